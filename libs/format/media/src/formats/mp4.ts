// MP4/M4A (ISO base media, QuickTime) prober: hops from box header to box header to find `moov`
// wherever it sits (recorders often write it last), descends only into the boxes that describe
// tracks, and never reads `mdat` or the sample tables. For AAC the channels and sample rate come
// from the AudioSpecificConfig in `esds`: the sample entry's channel count says 2 for many mono
// files.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { parseStreamInfo } from './flac';
import { mpegAudioCodec, parseFrameHeader as parseMpegFrameHeader } from './mp3';

/** The index of a long recording is mostly sample tables we skip; the boxes we read are small. */
const SMALL_BOX_READ_BYTES = 4096;

/** Top-level boxes walked after `moov` to spot a cut-off `mdat`; plain files have a handful. */
const MAX_TOP_LEVEL_BOXES = 64;

/** A fragment (`moof`) is followed by its `mdat`: a few seconds of audio fit in this tail. */
const FRAGMENT_TAIL_BYTES = 256 * 1024;

const UINT32_UNKNOWN = 0xffffffff;

interface Box {
  type: string;
  offset: number;
  bodyOffset: number;
  /** Offset just past the box, resolved for size 0 ("to the end of the file/parent"). */
  end: number;
  /** The box declared size 0: it runs to the end of its parent. */
  toEnd: boolean;
}

interface SoundEntry {
  codec: string;
  channels: number;
  sampleRateHz: number;
}

interface Track {
  trackId?: number;
  handler?: string;
  mediaTimescale?: number;
  mediaDuration?: number;
  /** Sum of the non-empty edits, in the movie's timescale: what a player plays. */
  editDuration?: number;
  sound?: SoundEntry;
}

interface Movie {
  timescale?: number;
  duration?: number;
  tracks: Track[];
  fragmented: boolean;
  fragmentDuration?: number;
  /** trex default sample durations by track id, for fragments that do not repeat them. */
  defaultSampleDurations: Map<number, number>;
}

function isBoxType(type: string): boolean {
  return /^[\x20-\x7e\xa9]{4}$/.test(type);
}

async function readBox(window: ByteWindow, offset: number, parentEnd: number): Promise<Box> {
  const header = await window.bytes(offset, 16);
  const type = header.toString('latin1', 4, 8);
  if (!isBoxType(type)) reject('corrupt-media', `unreadable box header at offset ${offset}`);
  const size32 = header.readUInt32BE(0);
  let headerBytes = 8;
  let size = size32;
  if (size32 === 1) {
    if (header.length < 16) reject('corrupt-media', `truncated: the file ends inside the ${type} box header`);
    const size64 = header.readBigUInt64BE(8);
    if (size64 > BigInt(Number.MAX_SAFE_INTEGER)) {
      reject(
        'corrupt-media',
        `${type} box at offset ${offset} declares an impossible size of ${size64} bytes`,
      );
    }
    size = Number(size64);
    headerBytes = 16;
  } else if (size32 === 0) {
    size = parentEnd - offset;
  }
  if (size < headerBytes) {
    reject('corrupt-media', `${type} box at offset ${offset} declares an impossible size of ${size} bytes`);
  }
  return { type, offset, bodyOffset: offset + headerBytes, end: offset + size, toEnd: size32 === 0 };
}

/** Visits the boxes inside [start, end); `parent` names the container in messages. */
async function forEachBox(
  window: ByteWindow,
  start: number,
  end: number,
  parent: string,
  visit: (box: Box) => Promise<void> | void,
): Promise<void> {
  let position = start;
  while (position + 8 <= end) {
    const box = await readBox(window, position, end);
    if (box.end > end) {
      reject(
        'corrupt-media',
        `${box.type} box at offset ${box.offset} runs ${box.end - end} bytes past the end of its ${parent} box`,
      );
    }
    await visit(box);
    position = box.end;
  }
}

async function body(window: ByteWindow, box: Box, limit = SMALL_BOX_READ_BYTES): Promise<Buffer> {
  return window.bytes(box.bodyOffset, Math.min(box.end - box.bodyOffset, limit));
}

function need(bytes: Buffer, length: number, what: string): void {
  if (bytes.length < length) reject('corrupt-media', `${what} box is too short (${bytes.length} bytes)`);
}

/** mvhd and mdhd share their layout up to the duration: version 1 widens the times to 64 bits. */
function parseTimes(bytes: Buffer, what: string): { timescale: number; duration?: number } {
  need(bytes, 4, what);
  if (bytes[0] === 1) {
    need(bytes, 32, what);
    const duration = bytes.readBigUInt64BE(24);
    return {
      timescale: bytes.readUInt32BE(20),
      duration: duration === 0xffffffffffffffffn ? undefined : Number(duration),
    };
  }
  need(bytes, 20, what);
  const duration = bytes.readUInt32BE(16);
  return { timescale: bytes.readUInt32BE(12), duration: duration === UINT32_UNKNOWN ? undefined : duration };
}

function parseEditDuration(bytes: Buffer): number | undefined {
  need(bytes, 8, 'elst');
  const version = bytes[0];
  const entries = bytes.readUInt32BE(4);
  const entryBytes = version === 1 ? 20 : 12;
  let total = 0;
  for (let index = 0; index < entries && 8 + (index + 1) * entryBytes <= bytes.length; index += 1) {
    const at = 8 + index * entryBytes;
    const segment = version === 1 ? Number(bytes.readBigUInt64BE(at)) : bytes.readUInt32BE(at);
    const mediaTime = version === 1 ? Number(bytes.readBigInt64BE(at + 8)) : bytes.readInt32BE(at + 4);
    // An empty edit (media time -1) delays the track; it plays no samples.
    if (mediaTime !== -1) total += segment;
  }
  return total > 0 ? total : undefined;
}

/** AAC sampling frequency indexes (ISO 14496-3, table 1.18). */
const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Channels by AAC channelConfiguration; 0 means a program config element we do not parse. */
const AAC_CHANNELS: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  6: 6,
  7: 8,
  11: 7,
  12: 8,
  14: 8,
};

class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Buffer) {}

  read(count: number): number {
    let value = 0;
    for (let index = 0; index < count; index += 1) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('AudioSpecificConfig ends early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit += 1;
    }
    return value;
  }
}

interface AudioSpecificConfig {
  sampleRateHz?: number;
  channels?: number;
}

export function parseAudioSpecificConfig(bytes: Buffer): AudioSpecificConfig {
  const bits = new BitReader(bytes);
  const readRate = (): number | undefined => {
    const index = bits.read(4);
    return index === 0xf ? bits.read(24) : AAC_SAMPLE_RATES[index];
  };
  const config: AudioSpecificConfig = {};
  try {
    let objectType = bits.read(5);
    if (objectType === 31) objectType = 32 + bits.read(6);
    config.sampleRateHz = readRate();
    config.channels = AAC_CHANNELS[bits.read(4)];
    // Explicitly signalled HE-AAC: decoders output the SBR rate, and PS (v2) makes mono stereo.
    if (objectType === 5 || objectType === 29) {
      config.sampleRateHz = readRate() ?? config.sampleRateHz;
      if (objectType === 29 && config.channels === 1) config.channels = 2;
    } else if (objectType === 2 && config.channels !== undefined) {
      // AAC-LC may announce SBR after its GASpecificConfig (backward-compatible signalling).
      bits.read(1); // frameLengthFlag
      if (bits.read(1) === 1) bits.read(14); // dependsOnCoreCoder: coreCoderDelay
      bits.read(1); // extensionFlag, always 0 for AAC-LC
      if (bits.read(11) === 0x2b7 && bits.read(5) === 5 && bits.read(1) === 1) {
        config.sampleRateHz = readRate() ?? config.sampleRateHz;
        if (bits.read(11) === 0x548 && bits.read(1) === 1 && config.channels === 1) config.channels = 2;
      }
    }
  } catch (error) {
    // A config that stops early still gave what it had: the optional extensions come last.
    if (!(error instanceof RangeError)) throw error;
  }
  return config;
}

/** A descriptor in an esds box: a tag and a length of one to four 7-bit bytes. */
function readDescriptor(bytes: Buffer, at: number): { tag: number; bodyAt: number; end: number } | undefined {
  const tag = bytes[at];
  if (tag === undefined) return undefined;
  let length = 0;
  let position = at + 1;
  for (let count = 0; count < 4; count += 1) {
    const byte = bytes[position];
    if (byte === undefined) return undefined;
    position += 1;
    length = length * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  return { tag, bodyAt: position, end: Math.min(bytes.length, position + length) };
}

const ES_DESCRIPTOR = 0x03;
const DECODER_CONFIG_DESCRIPTOR = 0x04;
const DECODER_SPECIFIC_INFO = 0x05;

/** objectTypeIndication values (mp4ra.org) to codec names as ffprobe prints them. */
const CODEC_BY_OBJECT_TYPE: Record<number, string> = {
  0x40: 'aac',
  0x66: 'aac',
  0x67: 'aac',
  0x68: 'aac',
  0x69: 'mp3',
  0x6b: 'mp3',
  0xa5: 'ac3',
  0xa6: 'eac3',
  0xa9: 'dts',
  0xad: 'opus',
  0xdd: 'vorbis',
  0xe1: 'qcelp',
};

interface EsdsInfo {
  codec: string;
  config?: AudioSpecificConfig;
}

/** esds: ES_Descriptor > DecoderConfigDescriptor (objectTypeIndication) > DecoderSpecificInfo. */
function parseEsds(bytes: Buffer): EsdsInfo | undefined {
  let descriptor = readDescriptor(bytes, 4);
  if (descriptor?.tag === ES_DESCRIPTOR) {
    let at = descriptor.bodyAt + 2;
    const flags = bytes[at] ?? 0;
    at += 1;
    if (flags & 0x80) at += 2;
    if (flags & 0x40) at += 1 + (bytes[at] ?? 0);
    if (flags & 0x20) at += 2;
    descriptor = readDescriptor(bytes, at);
  }
  if (descriptor?.tag !== DECODER_CONFIG_DESCRIPTOR) return undefined;
  const objectType = bytes[descriptor.bodyAt];
  if (objectType === undefined) return undefined;
  const codec = CODEC_BY_OBJECT_TYPE[objectType] ?? `unknown_0x${objectType.toString(16).padStart(2, '0')}`;
  const specific = readDescriptor(bytes, descriptor.bodyAt + 13);
  if (codec === 'aac' && specific?.tag === DECODER_SPECIFIC_INFO) {
    return { codec, config: parseAudioSpecificConfig(bytes.subarray(specific.bodyAt, specific.end)) };
  }
  return { codec };
}

/** Child boxes of a sample entry (or of a QuickTime `wave` box inside one), by type. */
function childBoxes(bytes: Buffer, start: number): Map<string, Buffer> {
  const boxes = new Map<string, Buffer>();
  let at = start;
  while (at + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (size < 8 || at + size > bytes.length) break;
    const content = bytes.subarray(at + 8, at + size);
    if (!boxes.has(type)) boxes.set(type, content);
    // QuickTime wraps the decoder config of compressed audio in `wave`.
    if (type === 'wave') for (const [inner, innerBody] of childBoxes(content, 0)) boxes.set(inner, innerBody);
    at += size;
  }
  return boxes;
}

/** Sample entry formats whose codec follows from the format alone. */
const CODEC_BY_FORMAT: Record<string, string> = {
  ulaw: 'pcm_mulaw',
  alaw: 'pcm_alaw',
  in24: 'pcm_s24be',
  in32: 'pcm_s32be',
  fl32: 'pcm_f32be',
  fl64: 'pcm_f64be',
  'raw ': 'pcm_u8',
  ima4: 'adpcm_ima_qt',
  '.mp3': 'mp3',
  'ac-3': 'ac3',
  'ec-3': 'eac3',
  alac: 'alac',
  Opus: 'opus',
  fLaC: 'flac',
  samr: 'amr_nb',
  sawb: 'amr_wb',
};

function lpcmCodec(flags: number, bits: number): string {
  const float = (flags & 0x1) !== 0;
  const bigEndian = (flags & 0x2) !== 0;
  if (bits === 8) return (flags & 0x4) !== 0 ? 'pcm_s8' : 'pcm_u8';
  return `pcm_${float ? 'f' : 's'}${bits}${bigEndian ? 'be' : 'le'}`;
}

/** One audio sample entry of stsd: fields by sound description version, then its config boxes. */
function parseSoundEntry(entry: Buffer): SoundEntry {
  need(entry, 36, 'audio sample entry');
  const format = entry.toString('latin1', 4, 8);
  const version = entry.readUInt16BE(16);
  let channels = entry.readUInt16BE(24);
  let sampleBits = entry.readUInt16BE(26);
  let sampleRateHz = entry.readUInt32BE(32) >>> 16;
  let lpcmFlags = 0;
  let childrenAt = 36;
  if (version === 1) childrenAt = 52;
  if (version === 2) {
    need(entry, 72, 'audio sample entry (version 2)');
    sampleRateHz = Math.round(entry.readDoubleBE(40));
    channels = entry.readUInt32BE(48);
    sampleBits = entry.readUInt32BE(56);
    lpcmFlags = entry.readUInt32BE(60);
    childrenAt = 72;
  }
  const children = childBoxes(entry, childrenAt);
  let codec: string;
  switch (format) {
    case 'mp4a': {
      const esds = children.get('esds');
      const info = esds ? parseEsds(esds) : undefined;
      codec = info?.codec ?? 'aac';
      channels = info?.config?.channels ?? channels;
      sampleRateHz = info?.config?.sampleRateHz ?? sampleRateHz;
      break;
    }
    case 'twos':
      codec = sampleBits === 8 ? 'pcm_s8' : 'pcm_s16be';
      break;
    case 'sowt':
      codec = sampleBits === 8 ? 'pcm_s8' : 'pcm_s16le';
      break;
    case 'lpcm':
      codec = lpcmCodec(lpcmFlags, sampleBits);
      break;
    default:
      codec = CODEC_BY_FORMAT[format] ?? `unknown_${format.replace(/[^\x21-\x7e]/g, '_')}`;
  }
  // Codec configs carry the real values where the sample entry's fields are fixed or unreliable.
  const alacConfig = children.get('alac');
  if (format === 'alac' && alacConfig && alacConfig.length >= 28) {
    channels = alacConfig[4 + 9] ?? channels;
    sampleRateHz = alacConfig.readUInt32BE(4 + 20);
  }
  const opusConfig = children.get('dOps');
  if (format === 'Opus') {
    if (opusConfig && opusConfig.length >= 2) channels = opusConfig[1] ?? channels;
    sampleRateHz = 48000; // Opus always decodes at 48 kHz; ffprobe reports that rate.
  }
  const flacConfig = children.get('dfLa');
  if (format === 'fLaC' && flacConfig && flacConfig.length >= 4 + 4 + 34) {
    const streamInfo = parseStreamInfo(flacConfig.subarray(8, 8 + 34));
    channels = streamInfo.channels;
    sampleRateHz = streamInfo.sampleRateHz;
  }
  if (format === 'samr') [channels, sampleRateHz] = [1, 8000];
  if (format === 'sawb') [channels, sampleRateHz] = [1, 16000];
  if (channels === 0) reject('corrupt-media', `the ${format} sample entry declares 0 channels`);
  if (sampleRateHz === 0) {
    reject('corrupt-media', `the ${format} sample entry declares a sample rate of 0 Hz`);
  }
  return { codec, channels, sampleRateHz };
}

async function parseTrack(window: ByteWindow, trak: Box): Promise<Track> {
  const track: Track = {};
  let stsd: Box | undefined;
  let chunkOffsets: Box | undefined;
  const visit = async (box: Box, parent: string): Promise<void> => {
    switch (box.type) {
      case 'tkhd': {
        const bytes = await body(window, box, 24);
        need(bytes, 24, 'tkhd');
        track.trackId = bytes.readUInt32BE(bytes[0] === 1 ? 20 : 12);
        break;
      }
      case 'elst':
        track.editDuration = parseEditDuration(await body(window, box));
        break;
      case 'mdhd': {
        const times = parseTimes(await body(window, box, 32), 'mdhd');
        track.mediaTimescale = times.timescale;
        track.mediaDuration = times.duration;
        break;
      }
      case 'hdlr': {
        // QuickTime puts a data handler (alis, url) in minf too; the media handler is mdia's.
        if (parent !== 'mdia') break;
        const bytes = await body(window, box, 12);
        need(bytes, 12, 'hdlr');
        track.handler = bytes.toString('latin1', 8, 12);
        break;
      }
      case 'stsd':
        stsd = box;
        break;
      case 'stco':
      case 'co64':
        chunkOffsets = box;
        break;
      case 'edts':
      case 'mdia':
      case 'minf':
      case 'stbl':
        await forEachBox(window, box.bodyOffset, box.end, box.type, (child) => visit(child, box.type));
        break;
      default:
        break;
    }
  };
  await forEachBox(window, trak.bodyOffset, trak.end, 'trak', (box) => visit(box, 'trak'));
  // The sample entry only means sound once hdlr says so, and hdlr may come after stsd in a QuickTime file.
  if (stsd && track.handler === 'soun') {
    const bytes = await body(window, stsd);
    need(bytes, 16, 'stsd');
    const entrySize = bytes.readUInt32BE(8);
    if (bytes.readUInt32BE(4) === 0) reject('corrupt-media', 'the audio track has no sample description');
    track.sound = parseSoundEntry(bytes.subarray(8, 8 + entrySize));
    if (track.sound.codec === 'mp3' && chunkOffsets) {
      track.sound = await refineFromFirstMpegFrame(window, chunkOffsets, track.sound);
    }
  }
  return track;
}

/**
 * MPEG audio in MP4 describes itself only in its frames (the sample entry says 2 channels for
 * mono, as for AAC), so read the first frame's header where the first chunk starts.
 */
async function refineFromFirstMpegFrame(
  window: ByteWindow,
  chunkOffsets: Box,
  sound: SoundEntry,
): Promise<SoundEntry> {
  const table = await body(window, chunkOffsets, 16);
  if (table.length < 12 || table.readUInt32BE(4) === 0) return sound;
  const is64 = chunkOffsets.type === 'co64';
  if (is64 && table.length < 16) return sound;
  const firstChunk = is64 ? Number(table.readBigUInt64BE(8)) : table.readUInt32BE(8);
  const frame = parseMpegFrameHeader(await window.bytes(firstChunk, 4));
  if (!frame) return sound;
  return { codec: mpegAudioCodec(frame.layer), channels: frame.channels, sampleRateHz: frame.sampleRateHz };
}

async function parseMovie(window: ByteWindow, moov: Box): Promise<Movie> {
  const movie: Movie = { tracks: [], fragmented: false, defaultSampleDurations: new Map() };
  await forEachBox(window, moov.bodyOffset, moov.end, 'moov', async (box) => {
    if (box.type === 'mvhd') {
      const times = parseTimes(await body(window, box, 32), 'mvhd');
      movie.timescale = times.timescale;
      movie.duration = times.duration;
    } else if (box.type === 'trak') {
      movie.tracks.push(await parseTrack(window, box));
    } else if (box.type === 'mvex') {
      movie.fragmented = true;
      await forEachBox(window, box.bodyOffset, box.end, 'mvex', async (child) => {
        const bytes = await body(window, child, 24);
        if (child.type === 'mehd' && bytes.length >= 8) {
          const duration =
            bytes[0] === 1 && bytes.length >= 12 ? Number(bytes.readBigUInt64BE(4)) : bytes.readUInt32BE(4);
          if (duration > 0) movie.fragmentDuration = duration;
        } else if (child.type === 'trex' && bytes.length >= 16) {
          movie.defaultSampleDurations.set(bytes.readUInt32BE(4), bytes.readUInt32BE(12));
        }
      });
    }
  });
  return movie;
}

interface FragmentTiming {
  /** tfdt: where this fragment's samples of the track start, in media timescale units. */
  baseTime?: number;
  /** Sum of the fragment's sample durations for the track. */
  duration: number;
}

/** A moof's timing for one track: tfdt's start plus its samples' durations. */
function parseFragment(
  moof: Buffer,
  trackId: number,
  defaultDuration: number | undefined,
): FragmentTiming | undefined {
  let result: FragmentTiming | undefined;
  const walk = (
    bytes: Buffer,
    start: number,
    end: number,
    visit: (type: string, content: Buffer) => void,
  ): void => {
    let at = start;
    while (at + 8 <= end) {
      const size = bytes.readUInt32BE(at);
      if (size < 8 || at + size > end) return;
      visit(bytes.toString('latin1', at + 4, at + 8), bytes.subarray(at + 8, at + size));
      at += size;
    }
  };
  walk(moof, 8, moof.length, (type, traf) => {
    if (type !== 'traf') return;
    let matches = false;
    let trackDefault = defaultDuration;
    let baseTime: number | undefined;
    let durations = 0;
    walk(traf, 0, traf.length, (childType, content) => {
      if (childType === 'tfhd' && content.length >= 8) {
        matches = content.readUInt32BE(4) === trackId;
        const flags = content.readUInt32BE(0) & 0xffffff;
        const at = 8 + (flags & 0x1 ? 8 : 0) + (flags & 0x2 ? 4 : 0);
        if (flags & 0x8 && content.length >= at + 4) trackDefault = content.readUInt32BE(at);
      } else if (childType === 'tfdt' && content.length >= 8) {
        baseTime =
          content[0] === 1 && content.length >= 12
            ? Number(content.readBigUInt64BE(4))
            : content.readUInt32BE(4);
      } else if (childType === 'trun' && content.length >= 8) {
        const flags = content.readUInt32BE(0) & 0xffffff;
        const count = content.readUInt32BE(4);
        let at = 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
        const fieldBytes = [0x100, 0x200, 0x400, 0x800].filter((flag) => flags & flag).length * 4;
        if (flags & 0x100) {
          for (let index = 0; index < count && at + 4 <= content.length; index += 1, at += fieldBytes) {
            durations += content.readUInt32BE(at);
          }
        } else {
          durations += count * (trackDefault ?? 0);
        }
      }
    });
    if (matches) result = { baseTime, duration: durations };
  });
  return result;
}

/**
 * End time of a fragmented file from its last `moof` (tfdt + sample durations), found by scanning
 * the tail, since there is no index to it. Also checks that the `mdat` after it is whole.
 */
async function lastFragmentEnd(
  window: ByteWindow,
  trackId: number,
  defaultDuration: number | undefined,
): Promise<number | undefined> {
  const { offset: tailOffset, bytes: tail } = await window.tail(
    Math.min(FRAGMENT_TAIL_BYTES, window.remainingBudget()),
  );
  for (let at = tail.lastIndexOf('moof'); at >= 4; at = tail.lastIndexOf('moof', at - 1)) {
    const size = tail.readUInt32BE(at - 4);
    const moofStart = at - 4;
    if (size < 16 || moofStart + size > tail.length || tail.toString('latin1', at + 8, at + 12) !== 'mfhd') {
      continue;
    }
    const next = moofStart + size;
    if (next + 8 <= tail.length && tail.toString('latin1', next + 4, next + 8) === 'mdat') {
      const mdatSize = tail.readUInt32BE(next);
      if (mdatSize > 1 && tailOffset + next + mdatSize > window.sizeBytes) {
        reject(
          'corrupt-media',
          `truncated: the last fragment's mdat box at offset ${tailOffset + next} declares ${mdatSize} bytes but only ${window.sizeBytes - tailOffset - next} are present`,
        );
      }
    }
    const timing = parseFragment(tail.subarray(moofStart, next), trackId, defaultDuration);
    if (timing?.baseTime !== undefined) return timing.baseTime + timing.duration;
  }
  return undefined;
}

/**
 * Without tfdt (Smooth Streaming, older writers) the fragments' durations add up from the first
 * one; the budget bounds the walk, and running out leaves the duration unknown.
 */
async function sumFragmentDurations(
  window: ByteWindow,
  firstFragment: number,
  trackId: number,
  defaultDuration: number | undefined,
): Promise<number | undefined> {
  let total = 0;
  let seen = false;
  try {
    for (let position = firstFragment; position + 8 <= window.sizeBytes;) {
      const box = await readBox(window, position, window.sizeBytes);
      if (box.end > window.sizeBytes) {
        reject(
          'corrupt-media',
          `truncated: ${box.type} box at offset ${box.offset} declares ${box.end - box.offset} bytes but only ${window.sizeBytes - box.offset} are present`,
        );
      }
      if (box.type === 'moof') {
        const moof = await window.bytes(
          box.offset,
          Math.min(box.end - box.offset, SMALL_BOX_READ_BYTES * 16),
        );
        const timing = parseFragment(moof, trackId, defaultDuration);
        if (timing) [total, seen] = [total + timing.duration, true];
      }
      position = box.end;
    }
  } catch (error) {
    if (error instanceof ReadBudgetExceededError) return undefined;
    throw error;
  }
  return seen ? total : undefined;
}

function movieSeconds(movie: Movie, units: number | undefined): number | undefined {
  return units !== undefined && movie.timescale ? units / movie.timescale : undefined;
}

async function trackDurationSec(
  window: ByteWindow,
  movie: Movie,
  track: Track,
  firstFragment: number | undefined,
): Promise<number | undefined> {
  if (movie.fragmented) {
    // The moov of a fragmented file describes no samples; the fragments hold the time.
    const declared = movieSeconds(movie, movie.fragmentDuration);
    if (declared !== undefined) return declared;
    if (track.trackId !== undefined && track.mediaTimescale) {
      const defaultDuration = movie.defaultSampleDurations.get(track.trackId);
      const end =
        (await lastFragmentEnd(window, track.trackId, defaultDuration)) ??
        (firstFragment === undefined
          ? undefined
          : await sumFragmentDurations(window, firstFragment, track.trackId, defaultDuration));
      if (end !== undefined) return end / track.mediaTimescale;
    }
  }
  // As ffprobe: the edit list says what plays (it drops AAC priming), else the media's own length.
  const edited = movieSeconds(movie, track.editDuration);
  if (edited !== undefined) return edited;
  if (track.mediaDuration && track.mediaTimescale) return track.mediaDuration / track.mediaTimescale;
  return movieSeconds(movie, movie.duration || undefined);
}

function missingMoov(overrun: string | undefined, runsToEnd: Box | undefined): never {
  if (overrun) return reject('corrupt-media', `truncated: no moov box (the MP4 index); ${overrun}`);
  if (runsToEnd) {
    return reject(
      'corrupt-media',
      `no moov box (the MP4 index): the ${runsToEnd.type} box at offset ${runsToEnd.offset} runs to the end of the file, so the recording was never finished or the upload was cut off`,
    );
  }
  return reject('corrupt-media', 'no moov box (the MP4 index) in the file');
}

async function probeMp4(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes, budgetBytes } = input;
  const window = new ByteWindow(input);
  let movie: Movie | undefined;
  let overrun: string | undefined;
  let runsToEnd: Box | undefined;
  let position = 0;
  let boxesAfterMoov = 0;
  let firstFragment: number | undefined;
  let readingMoov = false;
  try {
    while (position + 8 <= sizeBytes && boxesAfterMoov < MAX_TOP_LEVEL_BOXES) {
      // Past a complete index, bytes that are no box (an uploader's trailer) change nothing.
      if (movie && !isBoxType((await window.bytes(position, 8)).toString('latin1', 4, 8))) break;
      const box = await readBox(window, position, sizeBytes);
      if (box.end > sizeBytes) {
        overrun = `${box.type} box at offset ${box.offset} declares ${box.end - box.offset} bytes but only ${sizeBytes - box.offset} are present`;
        // Samples cut off after the index (a faststart file) are a cut-off upload too.
        if (box.type === 'moov' || (movie && box.type === 'mdat')) {
          reject('corrupt-media', `truncated: ${overrun}`);
        }
        break;
      }
      if (box.toEnd) runsToEnd = box;
      if (box.type === 'moov') {
        readingMoov = true;
        movie = await parseMovie(window, box);
      }
      // Fragments follow a fragmented file's moov by the thousand; their tail is checked on its own.
      if (movie?.fragmented && box.type !== 'moov') {
        firstFragment = box.offset;
        break;
      }
      if (movie) boxesAfterMoov += 1;
      position = box.end;
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
    // Out of budget only while checking boxes after a moov already read: nothing is missing.
    if (!movie) {
      const what = readingMoov ? 'read the moov box' : 'find the moov box';
      reject('corrupt-media', `could not ${what} (the MP4 index) within ${budgetBytes} bytes`);
    }
  }
  if (!movie) return missingMoov(overrun, runsToEnd);

  const audio = movie.tracks.find((track) => track.sound !== undefined);
  if (!audio?.sound) {
    const handlers = movie.tracks.map((track) => track.handler ?? '?').join(', ');
    return reject('corrupt-media', `no audio track in the MP4${handlers ? ` (tracks: ${handlers})` : ''}`);
  }
  const durationSec = await trackDurationSec(window, movie, audio, firstFragment);
  if (durationSec === 0) reject('empty-file', 'the MP4 audio track holds no samples');
  return audioFacts({
    container: 'mp4',
    codec: audio.sound.codec,
    durationSec,
    channels: audio.sound.channels,
    sampleRateHz: audio.sound.sampleRateHz,
    sizeBytes,
  });
}

export const mp4Prober: FormatProber = {
  expected: 'MP4/M4A (ISO base media)',
  signatures: ['mp4'],
  probe: probeMp4,
};
