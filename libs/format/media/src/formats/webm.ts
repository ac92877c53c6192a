// WebM / Matroska prober (.webm, .mkv, .mka): walks the EBML tree to the Segment's Info and Tracks,
// jumping through the SeekHead when they sit after the Clusters, and never reads the Clusters that
// hold the audio. One exception: a live recording whose Info has no Duration (browsers'
// MediaRecorder, ffmpeg writing to a pipe) gets an estimate from the last Cluster in the file's tail.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { parseWaveFormatEx, WAVE_FORMAT_BYTES, waveFormatCodecName } from './wave-format';

const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  DefaultDuration: 0x23e383,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  OutputSamplingFrequency: 0x78b5,
  Channels: 0x9f,
  BitDepth: 0x6264,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockDuration: 0x9b,
  DiscardPadding: 0x75a2,
  Void: 0xec,
  Crc32: 0xbf,
} as const;

/** Children a Cluster may hold; anything else after a Cluster's start ends an unknown-size one. */
const CLUSTER_CHILDREN: ReadonlySet<number> = new Set([
  ID.Timestamp,
  ID.SimpleBlock,
  ID.BlockGroup,
  0xa7, // Position
  0xab, // PrevSize
  0x5854, // SilentTracks
  0xaf, // EncryptedBlock
  ID.Void,
  ID.Crc32,
]);

const CLUSTER_ID_BYTES = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
const TRACK_TYPE_AUDIO = 2;
const DEFAULT_TIMESTAMP_SCALE_NS = 1_000_000;
/** Matroska's defaults when a TrackEntry's Audio element leaves them out. */
const DEFAULT_SAMPLING_FREQUENCY_HZ = 8000;
const DEFAULT_CHANNELS = 1;
const OPUS_SAMPLE_RATE_HZ = 48000;

/** Info and Tracks are a few KiB (Vorbis setup headers the most); more is not a header. */
const MAX_HEADER_ELEMENT_BYTES = 256 * 1024;
/** The EBML header holds a handful of short fields. */
const MAX_EBML_HEADER_BYTES = 1024;
/** Tail reads for a missing Duration: in steps of this, at most TAIL_MAX_BYTES in all. */
const TAIL_STEP_BYTES = 64 * 1024;
const TAIL_MAX_BYTES = 512 * 1024;

interface ElementHeader {
  id: number;
  /** Absolute offset of the element's first byte. */
  offset: number;
  /** Absolute offset of its data. */
  dataOffset: number;
  /** Undefined for an unknown size (live writers leave Segment and Cluster sizes open). */
  size: number | undefined;
}

interface AudioTrack {
  number: number;
  codec: string;
  channels: number;
  sampleRateHz: number;
  defaultDurationNs: number | undefined;
  isOpus: boolean;
}

interface SegmentInfo {
  timestampScaleNs: number;
  /** In timestamp units; undefined when the writer did not know it. */
  duration: number | undefined;
}

type Parsed<T> = { value: T; length: number } | 'short' | 'invalid';

/** An EBML element ID keeps its length marker: 0x1A45DFA3 is four bytes, 0xEC one. */
function parseId(bytes: Buffer, at: number): Parsed<number> {
  const first = bytes[at];
  if (first === undefined) return 'short';
  const length = Math.clz32(first) - 23;
  if (length < 1 || length > 4) return 'invalid';
  if (at + length > bytes.length) return 'short';
  let value = 0;
  for (let index = 0; index < length; index += 1) value = value * 256 + (bytes[at + index] ?? 0);
  return { value, length };
}

/** A data size: the marker bit removed; all value bits set means "unknown" (undefined). */
function parseSize(bytes: Buffer, at: number): Parsed<number | undefined> {
  const first = bytes[at];
  if (first === undefined) return 'short';
  const length = Math.clz32(first) - 23;
  if (length < 1 || length > 8) return 'invalid';
  if (at + length > bytes.length) return 'short';
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let index = 1; index < length; index += 1) {
    const byte = bytes[at + index] ?? 0;
    allOnes &&= byte === 0xff;
    value = value * 256 + byte;
  }
  return { value: allOnes ? undefined : value, length };
}

function parseHeader(bytes: Buffer, at: number, baseOffset: number): ElementHeader | 'short' | 'invalid' {
  const id = parseId(bytes, at);
  if (typeof id === 'string') return id;
  const size = parseSize(bytes, at + id.length);
  if (typeof size === 'string') return size;
  return {
    id: id.value,
    offset: baseOffset + at,
    dataOffset: baseOffset + at + id.length + size.length,
    size: size.value,
  };
}

function elementName(id: number): string {
  const known = Object.entries(ID).find(([, value]) => value === id);
  return known ? known[0] : `0x${id.toString(16)}`;
}

/** The children of a master element read whole; a child that overruns its parent is corruption. */
function* children(body: Buffer, parentId: number): Generator<{ id: number; data: Buffer }> {
  let at = 0;
  while (at < body.length) {
    const header = parseHeader(body, at, 0);
    if (header === 'short' || header === 'invalid' || header.size === undefined) {
      return reject('corrupt-media', `malformed ${elementName(parentId)} element: unreadable child`);
    }
    const end = header.dataOffset + header.size;
    if (end > body.length) {
      return reject(
        'corrupt-media',
        `malformed ${elementName(parentId)} element: ${elementName(header.id)} overruns it`,
      );
    }
    yield { id: header.id, data: body.subarray(header.dataOffset, end) };
    at = end;
  }
}

function readUint(data: Buffer): number {
  let value = 0;
  for (const byte of data) value = value * 256 + byte;
  return value;
}

function readFloat(data: Buffer): number | undefined {
  if (data.length === 4) return data.readFloatBE(0);
  if (data.length === 8) return data.readDoubleBE(0);
  return data.length === 0 ? 0 : undefined;
}

function readString(data: Buffer): string {
  return data.toString('latin1').replace(/\0+$/, '');
}

class EbmlReader {
  constructor(
    private readonly window: ByteWindow,
    private readonly sizeBytes: number,
  ) {}

  /** The element header at `offset`, or undefined where the file ends. */
  async header(offset: number): Promise<ElementHeader | undefined> {
    const bytes = await this.window.bytes(offset, 12);
    const header = parseHeader(bytes, 0, offset);
    if (header === 'invalid') reject('corrupt-media', `invalid EBML element header at offset ${offset}`);
    if (header === 'short') {
      if (bytes.length === 0) return undefined;
      return reject(
        'corrupt-media',
        `truncated: the file ends inside an EBML element header at offset ${offset}`,
      );
    }
    return header;
  }

  /** A known-size element's data, whole: Info, Tracks, SeekHead, the EBML header. */
  async body(header: ElementHeader, limit = MAX_HEADER_ELEMENT_BYTES): Promise<Buffer> {
    const name = elementName(header.id);
    if (header.size === undefined) return reject('corrupt-media', `${name} element has an unknown size`);
    if (header.size > limit) {
      return reject(
        'corrupt-media',
        `${name} element declares ${header.size} bytes; a header is at most ${limit}`,
      );
    }
    if (header.dataOffset + header.size > this.sizeBytes) {
      reject(
        'corrupt-media',
        `truncated: ${name} element at offset ${header.offset} ends past the end of the file`,
      );
    }
    return this.window.bytes(header.dataOffset, header.size);
  }
}

function parseDocType(body: Buffer): string {
  for (const child of children(body, ID.EBML)) {
    if (child.id === ID.DocType) return readString(child.data);
  }
  // The EBML specification's default.
  return 'matroska';
}

function parseSeekHead(body: Buffer, segmentDataOffset: number, into: Map<number, number>): void {
  for (const seek of children(body, ID.SeekHead)) {
    if (seek.id !== ID.Seek) continue;
    let seekId: number | undefined;
    let position: number | undefined;
    for (const field of children(seek.data, ID.Seek)) {
      if (field.id === ID.SeekID) seekId = readUint(field.data);
      if (field.id === ID.SeekPosition) position = readUint(field.data);
    }
    // The first entry for an element wins, as in ffmpeg.
    if (seekId !== undefined && position !== undefined && !into.has(seekId)) {
      into.set(seekId, segmentDataOffset + position);
    }
  }
}

function parseInfo(body: Buffer): SegmentInfo {
  let timestampScaleNs = DEFAULT_TIMESTAMP_SCALE_NS;
  let duration: number | undefined;
  for (const child of children(body, ID.Info)) {
    if (child.id === ID.TimestampScale) timestampScaleNs = readUint(child.data) || DEFAULT_TIMESTAMP_SCALE_NS;
    if (child.id === ID.Duration) {
      const value = readFloat(child.data);
      if (value === undefined) reject('corrupt-media', `Duration is a ${child.data.length}-byte float`);
      duration = value;
    }
  }
  return {
    timestampScaleNs,
    duration: duration !== undefined && Number.isFinite(duration) && duration > 0 ? duration : undefined,
  };
}

/** Codec IDs by prefix, as ffmpeg matches them (A_AAC/MPEG4/LC is aac), mapped to ffprobe's names. */
const CODECS_BY_PREFIX: ReadonlyArray<readonly [string, string]> = [
  ['A_OPUS', 'opus'],
  ['A_VORBIS', 'vorbis'],
  ['A_AAC', 'aac'],
  ['A_MPEG/L3', 'mp3'],
  ['A_MPEG/L2', 'mp2'],
  ['A_MPEG/L1', 'mp1'],
  ['A_FLAC', 'flac'],
  ['A_AC3', 'ac3'],
  ['A_EAC3', 'eac3'],
  ['A_DTS', 'dts'],
  ['A_TRUEHD', 'truehd'],
  ['A_ALAC', 'alac'],
  ['A_TTA1', 'tta'],
  ['A_WAVPACK4', 'wavpack'],
];

function pcmCodec(codecId: string, bitDepth: number | undefined): string | undefined {
  // ffmpeg's matroska demuxer picks the PCM width from BitDepth.
  if (codecId === 'A_PCM/INT/LIT') {
    if (bitDepth === 8) return 'pcm_u8';
    if (bitDepth === 24) return 'pcm_s24le';
    if (bitDepth === 32) return 'pcm_s32le';
    return 'pcm_s16le';
  }
  if (codecId === 'A_PCM/INT/BIG') {
    if (bitDepth === 8) return 'pcm_u8';
    if (bitDepth === 24) return 'pcm_s24be';
    if (bitDepth === 32) return 'pcm_s32be';
    return 'pcm_s16be';
  }
  if (codecId === 'A_PCM/FLOAT/IEEE') return bitDepth === 64 ? 'pcm_f64le' : 'pcm_f32le';
  return undefined;
}

interface TrackEntryFields {
  number: number;
  type: number | undefined;
  codecId: string;
  codecPrivate: Buffer | undefined;
  defaultDurationNs: number | undefined;
  samplingFrequency: number | undefined;
  outputSamplingFrequency: number | undefined;
  channels: number | undefined;
  bitDepth: number | undefined;
}

function parseTrackEntry(body: Buffer): TrackEntryFields {
  const entry: TrackEntryFields = {
    number: 0,
    type: undefined,
    codecId: '',
    codecPrivate: undefined,
    defaultDurationNs: undefined,
    samplingFrequency: undefined,
    outputSamplingFrequency: undefined,
    channels: undefined,
    bitDepth: undefined,
  };
  for (const child of children(body, ID.TrackEntry)) {
    switch (child.id) {
      case ID.TrackNumber:
        entry.number = readUint(child.data);
        break;
      case ID.TrackType:
        entry.type = readUint(child.data);
        break;
      case ID.CodecID:
        entry.codecId = readString(child.data);
        break;
      case ID.CodecPrivate:
        entry.codecPrivate = child.data;
        break;
      case ID.DefaultDuration:
        entry.defaultDurationNs = readUint(child.data);
        break;
      case ID.Audio:
        for (const field of children(child.data, ID.Audio)) {
          if (field.id === ID.SamplingFrequency) entry.samplingFrequency = readFloat(field.data);
          if (field.id === ID.OutputSamplingFrequency) entry.outputSamplingFrequency = readFloat(field.data);
          if (field.id === ID.Channels) entry.channels = readUint(field.data);
          if (field.id === ID.BitDepth) entry.bitDepth = readUint(field.data);
        }
        break;
      default:
        break;
    }
  }
  return entry;
}

function audioTrack(entry: TrackEntryFields): AudioTrack {
  let channels = entry.channels ?? DEFAULT_CHANNELS;
  // ffmpeg reports the output rate: HE-AAC's SBR doubles the core rate.
  let sampleRate = entry.outputSamplingFrequency ?? entry.samplingFrequency ?? DEFAULT_SAMPLING_FREQUENCY_HZ;
  let codec =
    CODECS_BY_PREFIX.find(([prefix]) => entry.codecId.startsWith(prefix))?.[1] ??
    pcmCodec(entry.codecId, entry.bitDepth);
  if (entry.codecId === 'A_MS/ACM') {
    // Video-for-Windows compatibility mode: the real format is a WAVEFORMATEX in CodecPrivate.
    if (!entry.codecPrivate || entry.codecPrivate.length < WAVE_FORMAT_BYTES) {
      reject('corrupt-media', `track ${entry.number} is A_MS/ACM without a WAVEFORMATEX`);
    }
    const format = parseWaveFormatEx(entry.codecPrivate);
    codec = waveFormatCodecName(format);
    // What ffprobe 5.1 shows when the two disagree: the record's channels, the track's rate.
    channels = format.channels;
    sampleRate = entry.outputSamplingFrequency ?? entry.samplingFrequency ?? format.sampleRateHz;
  }
  // Opus always decodes at 48 kHz, and ffprobe says so whatever rate the encoder was fed (which
  // some muxers copy into SamplingFrequency).
  if (entry.codecId.startsWith('A_OPUS')) sampleRate = OPUS_SAMPLE_RATE_HZ;
  if (channels === 0) reject('corrupt-media', `audio track ${entry.number} declares 0 channels`);
  if (!(sampleRate > 0)) {
    reject('corrupt-media', `audio track ${entry.number} declares a sample rate of ${sampleRate} Hz`);
  }
  return {
    number: entry.number,
    codec: codec ?? `unknown_${entry.codecId || 'codec'}`,
    channels,
    sampleRateHz: Math.round(sampleRate),
    defaultDurationNs: entry.defaultDurationNs || undefined,
    isOpus: entry.codecId.startsWith('A_OPUS'),
  };
}

/** The first audio track, as ffprobe lists streams in track order. */
function parseTracks(body: Buffer): AudioTrack | undefined {
  for (const child of children(body, ID.Tracks)) {
    if (child.id !== ID.TrackEntry) continue;
    const entry = parseTrackEntry(child.data);
    if (entry.type === TRACK_TYPE_AUDIO) return audioTrack(entry);
  }
  return undefined;
}

/** Duration of one Opus packet from its TOC byte (RFC 6716 §3.1), for the last block of a recording. */
function opusPacketDurationNs(packet: Buffer): number | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const config = toc >> 3;
  let frameUs: number;
  if (config < 12) frameUs = [10_000, 20_000, 40_000, 60_000][config & 3] ?? 0;
  else if (config < 16) frameUs = (config & 1) === 0 ? 10_000 : 20_000;
  else frameUs = [2_500, 5_000, 10_000, 20_000][config & 3] ?? 0;
  const code = toc & 3;
  let frames = code === 0 ? 1 : 2;
  if (code === 3) {
    const count = packet[1];
    if (count === undefined) return undefined;
    frames = count & 0x3f;
  }
  return frameUs * frames * 1000;
}

/**
 * Where the audio of a Cluster found in the tail ends, in timestamp units; undefined when `at` is no
 * Cluster (the four ID bytes turned up inside a block) or holds no block of the track.
 */
function lastAudioBlockEnd(
  tail: Buffer,
  at: number,
  track: AudioTrack,
  timestampScaleNs: number,
): number | undefined {
  const cluster = parseHeader(tail, at, 0);
  if (typeof cluster === 'string' || cluster.id !== ID.Cluster) return undefined;
  const clusterEnd = cluster.size === undefined ? tail.length : cluster.dataOffset + cluster.size;
  let clusterTimestamp: number | undefined;
  let latest: number | undefined;
  let position = cluster.dataOffset;

  /** Notes a block's end; false when it is no block (so `at` was no Cluster). */
  const noteBlock = (block: Buffer, group?: { duration?: number; discardPaddingNs?: number }): boolean => {
    const trackNumber = parseSize(block, 0);
    if (typeof trackNumber === 'string' || trackNumber.value === undefined) return false;
    if (block.length < trackNumber.length + 3) return true; // cut off: nothing to learn
    if (trackNumber.value !== track.number || clusterTimestamp === undefined) return true;
    const start = clusterTimestamp + block.readInt16BE(trackNumber.length);
    let durationNs =
      group?.duration !== undefined ? group.duration * timestampScaleNs : track.defaultDurationNs;
    const flags = block[trackNumber.length + 2] ?? 0;
    const laced = (flags & 0x06) !== 0;
    if (durationNs === undefined && track.isOpus && !laced) {
      durationNs = opusPacketDurationNs(block.subarray(trackNumber.length + 3));
    }
    // A writer that knew the end trims the encoder's padding, as a seekable file's Duration does.
    const end = start + ((durationNs ?? 0) - (group?.discardPaddingNs ?? 0)) / timestampScaleNs;
    latest = latest === undefined ? end : Math.max(latest, end);
    return true;
  };

  while (position < Math.min(clusterEnd, tail.length)) {
    const child = parseHeader(tail, position, 0);
    if (child === 'invalid') return undefined;
    // The file may end inside the last block's header (a recorder that crashed): keep what we have.
    if (child === 'short') break;
    if (!CLUSTER_CHILDREN.has(child.id)) {
      // An unknown-size Cluster ends where the next top-level element starts.
      if (cluster.size === undefined && position > cluster.dataOffset) break;
      return undefined;
    }
    if (child.size === undefined) return undefined;
    const data = tail.subarray(child.dataOffset, child.dataOffset + child.size);
    if (child.id === ID.Timestamp) {
      clusterTimestamp = readUint(data);
    } else if (child.id === ID.SimpleBlock) {
      if (!noteBlock(data)) return undefined;
    } else if (child.id === ID.BlockGroup) {
      let block: Buffer | undefined;
      const group: { duration?: number; discardPaddingNs?: number } = {};
      let fieldOffset = 0;
      while (fieldOffset < data.length) {
        const field = parseHeader(data, fieldOffset, 0);
        if (typeof field === 'string' || field.size === undefined) break;
        const fieldData = data.subarray(field.dataOffset, field.dataOffset + field.size);
        if (field.id === ID.Block) block = fieldData;
        if (field.id === ID.BlockDuration) group.duration = readUint(fieldData);
        if (field.id === ID.DiscardPadding && fieldData.length >= 1 && fieldData.length <= 6) {
          group.discardPaddingNs = fieldData.readIntBE(0, fieldData.length);
        }
        fieldOffset = field.dataOffset + field.size;
      }
      if (block && !noteBlock(block, group)) return undefined;
    }
    position = child.dataOffset + child.size;
  }
  return clusterTimestamp === undefined ? undefined : latest;
}

/**
 * For a recording without Duration: read the file's tail (64 KiB at a time, at most 512 KiB) until
 * it holds the start of the last Cluster carrying audio, and time the end of its last audio block.
 * Undefined when the budget or the cap runs out first (a video recording's Clusters can be MBs).
 */
async function estimateDuration(
  input: ProbeInput,
  track: AudioTrack,
  info: SegmentInfo,
  firstClusterTimestamp: number,
): Promise<number | undefined> {
  const { sizeBytes, head } = input;
  let tailStart = sizeBytes;
  let tail = Buffer.alloc(0);
  while (tailStart > 0 && tail.length < TAIL_MAX_BYTES) {
    const from = Math.max(0, tailStart - TAIL_STEP_BYTES);
    let chunk: Buffer;
    if (tailStart <= head.length) {
      chunk = head.subarray(from, tailStart);
    } else {
      if (input.remainingBudget() < tailStart - from) return undefined;
      chunk = await input.read(from, tailStart - from);
    }
    tail = Buffer.concat([chunk, tail]);
    tailStart = from;
    // The last Cluster ID in the tail is the last Cluster, unless those four bytes sit inside a
    // block's payload; then the next one back is. Each round rescans in memory, which is cheap.
    for (
      let at = tail.lastIndexOf(CLUSTER_ID_BYTES);
      at >= 0;
      at = tail.lastIndexOf(CLUSTER_ID_BYTES, at - 1)
    ) {
      const end = lastAudioBlockEnd(tail, at, track, info.timestampScaleNs);
      if (end !== undefined) return ((end - firstClusterTimestamp) * info.timestampScaleNs) / 1e9;
      if (at === 0) break;
    }
  }
  return undefined;
}

/**
 * The first Cluster's Timestamp, where the recording starts: a few element headers past Tracks,
 * then a few bytes of the Cluster itself. 0 when it is not that close or not readable: this only
 * refines an estimate.
 */
async function firstClusterTimestamp(window: ByteWindow, from: number): Promise<number> {
  let offset = from;
  for (let hops = 0; hops < 8; hops += 1) {
    const bytes = await window.bytes(offset, 32);
    const header = parseHeader(bytes, 0, offset);
    if (typeof header === 'string') return 0;
    if (header.id === ID.Cluster) {
      // Every writer puts the Timestamp first.
      const timestamp = parseHeader(bytes, header.dataOffset - offset, 0);
      if (typeof timestamp === 'string' || timestamp.id !== ID.Timestamp || timestamp.size === undefined) {
        return 0;
      }
      const data = bytes.subarray(timestamp.dataOffset, timestamp.dataOffset + timestamp.size);
      return data.length === timestamp.size ? readUint(data) : 0;
    }
    if (header.size === undefined) return 0;
    offset = header.dataOffset + header.size;
  }
  return 0;
}

async function probeWebm(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes, budgetBytes } = input;
  const window = new ByteWindow(input);
  const reader = new EbmlReader(window, sizeBytes);

  const ebml = await reader.header(0);
  if (!ebml || ebml.id !== ID.EBML) return reject('corrupt-media', 'no EBML header at the start of the file');
  if (ebml.size === undefined) return reject('corrupt-media', 'EBML header has an unknown size');
  const docType = parseDocType(await reader.body(ebml, MAX_EBML_HEADER_BYTES));
  if (docType !== 'webm' && docType !== 'matroska') {
    reject(
      'format-mismatch',
      `expected WebM/Matroska (EBML) but content looks like an EBML document of type "${docType}"`,
    );
  }

  // Only Void or CRC-32 elements may sit between the EBML header and the Segment.
  let segment = await reader.header(ebml.dataOffset + ebml.size);
  while (segment && segment.id !== ID.Segment) {
    if (segment.size === undefined) {
      return reject('corrupt-media', `unreadable element before the Segment at offset ${segment.offset}`);
    }
    segment = await reader.header(segment.dataOffset + segment.size);
  }
  if (!segment) return reject('corrupt-media', 'truncated: no Segment after the EBML header');
  const segmentEnd = segment.size === undefined ? sizeBytes : segment.dataOffset + segment.size;
  if (segmentEnd > sizeBytes) {
    reject(
      'corrupt-media',
      `truncated: the Segment declares ${segment.size} bytes but only ${sizeBytes - segment.dataOffset} are present`,
    );
  }

  const seekPositions = new Map<number, number>();
  let info: SegmentInfo | undefined;
  let track: AudioTrack | undefined;
  let tracksSeen = false;
  let firstCluster: ElementHeader | undefined;
  /** Where the walk of the Segment's children stopped. */
  let walkEnd = segment.dataOffset;

  const readAt = async (offset: number, expectedId: number): Promise<ElementHeader | undefined> => {
    if (offset >= sizeBytes) {
      return reject(
        'corrupt-media',
        `truncated: the SeekHead places ${elementName(expectedId)} at offset ${offset}, past the end of the file`,
      );
    }
    const header = await reader.header(offset);
    return header && header.id === expectedId ? header : undefined;
  };

  try {
    let offset = segment.dataOffset;
    while (offset < segmentEnd && !(info && tracksSeen)) {
      const header = await reader.header(offset);
      if (!header) break;
      if (header.id === ID.SeekHead) {
        parseSeekHead(await reader.body(header), segment.dataOffset, seekPositions);
      } else if (header.id === ID.Info) {
        info = parseInfo(await reader.body(header));
      } else if (header.id === ID.Tracks) {
        track = parseTracks(await reader.body(header));
        tracksSeen = true;
      } else if (header.id === ID.Cluster) {
        firstCluster ??= header;
        // Live writers put Info and Tracks first; a file that puts them after the media says
        // where in its SeekHead. Jump there rather than hop over Clusters.
        // Hop on over Clusters only for Tracks: without Info the duration is estimated instead.
        const missing = [...(info ? [] : [ID.Info]), ...(tracksSeen ? [] : [ID.Tracks])];
        if (tracksSeen || missing.every((id) => seekPositions.has(id))) break;
      }
      if (header.size === undefined) break;
      offset = header.dataOffset + header.size;
    }
    walkEnd = offset;

    // A second SeekHead (mkvmerge writes one at the end) may list what the first did not.
    const secondSeekHead = seekPositions.get(ID.SeekHead);
    if ((!info || !tracksSeen) && secondSeekHead !== undefined) {
      const header = await readAt(secondSeekHead, ID.SeekHead);
      if (header) parseSeekHead(await reader.body(header), segment.dataOffset, seekPositions);
    }
    const infoAt = seekPositions.get(ID.Info);
    if (!info && infoAt !== undefined) {
      const header = await readAt(infoAt, ID.Info);
      if (header) info = parseInfo(await reader.body(header));
    }
    const tracksAt = seekPositions.get(ID.Tracks);
    if (!tracksSeen && tracksAt !== undefined) {
      const header = await readAt(tracksAt, ID.Tracks);
      if (header) {
        track = parseTracks(await reader.body(header));
        tracksSeen = true;
      }
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
    reject('corrupt-media', `could not find ${tracksSeen ? 'Info' : 'Tracks'} within ${budgetBytes} bytes`);
  }

  if (!tracksSeen) return reject('corrupt-media', 'no Tracks element in the Segment');
  if (!track) return reject('corrupt-media', 'no audio track');
  info ??= { timestampScaleNs: DEFAULT_TIMESTAMP_SCALE_NS, duration: undefined };

  let seconds: number | undefined;
  if (info.duration !== undefined) {
    seconds = (info.duration * info.timestampScaleNs) / 1e9;
  } else {
    try {
      const start = await firstClusterTimestamp(window, firstCluster?.offset ?? walkEnd);
      seconds = await estimateDuration(input, track, info, start);
    } catch (error) {
      // The estimate is a bonus: without it the recording is still good, just of unknown length.
      if (!(error instanceof ReadBudgetExceededError)) throw error;
    }
  }

  return audioFacts({
    container: docType === 'webm' ? 'webm' : 'matroska',
    codec: track.codec,
    ...(seconds !== undefined && seconds > 0 ? { durationSec: seconds } : {}),
    channels: track.channels,
    sampleRateHz: track.sampleRateHz,
    sizeBytes,
  });
}

export const webmProber: FormatProber = {
  expected: 'WebM/Matroska (EBML)',
  signatures: ['ebml'],
  probe: probeWebm,
};
