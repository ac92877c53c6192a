// MPEG program stream prober (.mpg, .mpeg; MPEG-1 system streams and MPEG-2 PS/VOB): walks the
// packs from the start to the first audio packet and reads its frame header (MPEG audio, AC-3,
// E-AC-3, DTS or DVD LPCM), then walks the file's tail for the last audio timestamp. The duration
// is timed as ffprobe times it: last audio PTS plus one frame, minus the first audio PTS.
//
// The container is reported as `mpeg-ps` (ffprobe says `mpeg`, which would not tell it from MPEG
// audio or a transport stream). A file cut mid-packet is accepted with the duration of what is
// there: unlike a WAV or WebM header, a program stream declares no length that could disagree.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { parseFrameHeader } from './mp3';

const START_CODE_PREFIX = Buffer.from([0x00, 0x00, 0x01]);
const PACK_START = 0xba;
const PROGRAM_END = 0xb9;
const PRIVATE_STREAM_1 = 0xbd;
/** Stream ids whose packets carry no PES header extension (ISO/IEC 13818-1 §2.4.3.7). */
const PLAIN_PACKET_STREAMS: ReadonlySet<number> = new Set([0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff]);
const PTS_HZ = 90_000;
const PTS_WRAP = 2 ** 33;

/** How far from the start we look for the first audio packet; muxers interleave within KiBs. */
const SCAN_MAX_BYTES = 256 * 1024;
/** Tail reads for the last audio timestamp: in steps of this, at most TAIL_MAX_BYTES in all. */
const TAIL_STEP_BYTES = 64 * 1024;
const TAIL_MAX_BYTES = 256 * 1024;
const SCAN_STEP_BYTES = 64 * 1024;

interface AudioFormat {
  codec: string;
  channels: number;
  sampleRateHz: number;
  /** Samples of one coded frame: the last packet's timestamp plus one frame is where audio ends. */
  frameSamples: number;
  /** LPCM has no frames: its packets are timed by their bytes. */
  lpcmBytesPerSecond?: number;
}

interface PesPacket {
  offset: number;
  streamId: number;
  /** Payload present in the buffer; shorter than declared when the file ends inside the packet. */
  payload: Buffer;
  pts: number | undefined;
}

type Parsed<T> = T | 'short' | 'invalid';

/** A 33-bit PTS from its 5-byte field, checking the marker bits that tell it from random bytes. */
function readPts(bytes: Buffer, at: number): number | undefined {
  const [b0, b1, b2, b3, b4] = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3], bytes[at + 4]];
  if (b0 === undefined || b1 === undefined || b2 === undefined || b3 === undefined || b4 === undefined) {
    return undefined;
  }
  if ((b0 & 1) !== 1 || (b2 & 1) !== 1 || (b4 & 1) !== 1) return undefined;
  return ((b0 >> 1) & 0x7) * 2 ** 30 + b1 * 2 ** 22 + (b2 >> 1) * 2 ** 15 + b3 * 2 ** 7 + (b4 >> 1);
}

/** Length of the pack header at `at` (MPEG-1: 12 bytes; MPEG-2: 14 plus stuffing). */
function packHeaderLength(bytes: Buffer, at: number): Parsed<number> {
  const b4 = bytes[at + 4];
  if (b4 === undefined) return 'short';
  if ((b4 & 0xc0) === 0x40) {
    if (at + 14 > bytes.length) return 'short';
    const markers =
      (b4 & 0x04) !== 0 &&
      ((bytes[at + 6] ?? 0) & 0x04) !== 0 &&
      ((bytes[at + 8] ?? 0) & 0x04) !== 0 &&
      ((bytes[at + 9] ?? 0) & 0x01) !== 0 &&
      ((bytes[at + 12] ?? 0) & 0x03) === 0x03;
    return markers ? 14 + ((bytes[at + 13] ?? 0) & 0x7) : 'invalid';
  }
  if ((b4 & 0xf0) === 0x20) {
    if (at + 12 > bytes.length) return 'short';
    const markers =
      (b4 & 0x01) !== 0 &&
      ((bytes[at + 6] ?? 0) & 0x01) !== 0 &&
      ((bytes[at + 8] ?? 0) & 0x01) !== 0 &&
      ((bytes[at + 9] ?? 0) & 0x80) !== 0 &&
      ((bytes[at + 11] ?? 0) & 0x01) !== 0;
    return markers ? 12 : 'invalid';
  }
  return 'invalid';
}

/** The packet at `at` (after its start code): where its payload starts, where it ends, its PTS. */
function parsePes(
  bytes: Buffer,
  at: number,
): Parsed<{ streamId: number; payloadStart: number; end: number; pts: number | undefined }> {
  if (at + 6 > bytes.length) return 'short';
  const streamId = bytes[at + 3] ?? 0;
  const end = at + 6 + bytes.readUInt16BE(at + 4);
  if (PLAIN_PACKET_STREAMS.has(streamId)) return { streamId, payloadStart: at + 6, end, pts: undefined };
  let position = at + 6;
  let pts: number | undefined;
  const first = bytes[position];
  if (first === undefined) return 'short';
  if ((first & 0xc0) === 0x80) {
    // MPEG-2 PES header: flags, header length, then PTS when flagged.
    if (position + 3 > bytes.length) return 'short';
    const flags = bytes[position + 1] ?? 0;
    const headerLength = bytes[position + 2] ?? 0;
    if ((flags & 0x80) !== 0) {
      if (position + 8 > bytes.length) return 'short';
      pts = readPts(bytes, position + 3);
      if (pts === undefined) return 'invalid';
    }
    position += 3 + headerLength;
  } else {
    // MPEG-1 packet header: stuffing, optional STD buffer size, then PTS, PTS and DTS, or 0x0F.
    for (let stuffing = 0; bytes[position] === 0xff; stuffing += 1) {
      if (stuffing === 16) return 'invalid';
      position += 1;
    }
    if (((bytes[position] ?? 0) & 0xc0) === 0x40) position += 2;
    const marker = bytes[position];
    if (marker === undefined) return 'short';
    if ((marker & 0xf0) === 0x20 || (marker & 0xf0) === 0x30) {
      if (position + 5 > bytes.length) return 'short';
      pts = readPts(bytes, position);
      if (pts === undefined) return 'invalid';
      position += (marker & 0xf0) === 0x20 ? 5 : 10;
    } else if (marker === 0x0f) {
      position += 1;
    } else {
      return 'invalid';
    }
  }
  if (position > end) return 'invalid';
  return { streamId, payloadStart: position, end, pts };
}

/**
 * Walks packs and packets from `from`, skipping bytes that are no start code (junk, or a walk that
 * started mid-packet). Returns where it stopped: the start of a packet that runs past the buffer,
 * unless `final` says the buffer ends the file, in which case that packet is visited cut short.
 */
function walk(bytes: Buffer, from: number, final: boolean, visit: (packet: PesPacket) => boolean): number {
  let at = from;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0 || bytes[at + 1] !== 0 || bytes[at + 2] !== 1 || (bytes[at + 3] ?? 0) < PROGRAM_END) {
      const next = bytes.indexOf(START_CODE_PREFIX, at + 1);
      if (next < 0) return final ? bytes.length : Math.max(at, bytes.length - 3);
      at = next;
      continue;
    }
    const code = bytes[at + 3];
    if (code === PROGRAM_END) {
      at += 4;
      continue;
    }
    if (code === PACK_START) {
      const length = packHeaderLength(bytes, at);
      if (length === 'short') return final ? bytes.length : at;
      at += length === 'invalid' ? 1 : length;
      continue;
    }
    const packet = parsePes(bytes, at);
    if (packet === 'short') return final ? bytes.length : at;
    if (packet === 'invalid') {
      at += 1;
      continue;
    }
    if (packet.end > bytes.length && !final) return at;
    const payload = bytes.subarray(packet.payloadStart, Math.min(packet.end, bytes.length));
    if (visit({ offset: at, streamId: packet.streamId, payload, pts: packet.pts })) return at;
    at = packet.end;
  }
  return final ? bytes.length : at;
}

/** An MPEG audio frame at the start of the payload, or the first one a following frame confirms. */
function mpegAudioFormat(payload: Buffer): AudioFormat | undefined {
  for (
    let at = payload.indexOf(0xff);
    at >= 0 && at + 4 <= payload.length;
    at = payload.indexOf(0xff, at + 1)
  ) {
    const frame = parseFrameHeader(payload, at);
    if (!frame) continue;
    const next = at + frame.frameBytes;
    if (at > 0 && next + 4 <= payload.length) {
      // Off the payload's start, a lone sync word may be chance: the next frame must agree.
      const following = parseFrameHeader(payload, next);
      const confirmed = following?.layer === frame.layer && following.sampleRateHz === frame.sampleRateHz;
      if (!confirmed) continue;
    }
    return {
      codec: `mp${frame.layer}`,
      channels: frame.channels,
      sampleRateHz: frame.sampleRateHz,
      frameSamples: frame.samplesPerFrame,
    };
  }
  return undefined;
}

const AC3_SAMPLE_RATES_HZ = [48000, 44100, 32000];
const EAC3_REDUCED_SAMPLE_RATES_HZ = [24000, 22050, 16000];
/** Full-bandwidth channels by acmod (ATSC A/52 Table 5.8); the LFE adds one. */
const AC3_CHANNELS_BY_ACMOD = [2, 1, 2, 3, 3, 4, 4, 5];
const EAC3_BLOCKS = [1, 2, 3, 6];

/** AC-3 syncinfo and BSI, or E-AC-3's (bsid 16), from the first sync word. */
function ac3Format(data: Buffer): AudioFormat | undefined {
  for (let at = data.indexOf(0x0b); at >= 0 && at + 8 <= data.length; at = data.indexOf(0x0b, at + 1)) {
    if (data[at + 1] !== 0x77) continue;
    const bsid = (data[at + 5] ?? 0) >> 3;
    if (bsid <= 10) {
      const fscod = (data[at + 4] ?? 0) >> 6;
      const frmsizecod = (data[at + 4] ?? 0) & 0x3f;
      const sampleRateHz = AC3_SAMPLE_RATES_HZ[fscod];
      if (sampleRateHz === undefined || frmsizecod >= 38) continue;
      const acmod = (data[at + 6] ?? 0) >> 5;
      // lfeon follows acmod, after the mix levels this acmod carries (2 bits each).
      let bit = 3;
      if ((acmod & 1) !== 0 && acmod !== 1) bit += 2;
      if ((acmod & 4) !== 0) bit += 2;
      if (acmod === 2) bit += 2;
      const bits = (data.readUInt16BE(at + 6) << 8) | (data[at + 8] ?? 0);
      const lfeon = (bits >> (23 - bit)) & 1;
      return {
        codec: 'ac3',
        channels: (AC3_CHANNELS_BY_ACMOD[acmod] ?? 2) + lfeon,
        sampleRateHz,
        frameSamples: 1536,
      };
    }
    if (bsid > 10 && bsid <= 16) {
      const b4 = data[at + 4] ?? 0;
      const fscod = b4 >> 6;
      const fscod2 = (b4 >> 4) & 0x3;
      const sampleRateHz = fscod === 3 ? EAC3_REDUCED_SAMPLE_RATES_HZ[fscod2] : AC3_SAMPLE_RATES_HZ[fscod];
      if (sampleRateHz === undefined) continue;
      const blocks = fscod === 3 ? 6 : (EAC3_BLOCKS[fscod2] ?? 6);
      const acmod = (b4 >> 1) & 0x7;
      return {
        codec: 'eac3',
        channels: (AC3_CHANNELS_BY_ACMOD[acmod] ?? 2) + (b4 & 1),
        sampleRateHz,
        frameSamples: 256 * blocks,
      };
    }
  }
  return undefined;
}

const DTS_SYNC = Buffer.from([0x7f, 0xfe, 0x80, 0x01]);
const DTS_SAMPLE_RATES_HZ = [
  0, 8000, 16000, 32000, 0, 0, 11025, 22050, 44100, 0, 0, 12000, 24000, 48000, 0, 0,
];
const DTS_CHANNELS_BY_AMODE = [1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 6, 6, 6, 7, 8, 8];

/** DTS core frame header (ETSI TS 102 114 §5.3): blocks, channel arrangement, rate, LFE. */
function dtsFormat(data: Buffer): AudioFormat | undefined {
  const at = data.indexOf(DTS_SYNC);
  if (at < 0 || at + 11 > data.length) return undefined;
  // 32-bit sync, then FTYPE(1) SHORT(5) CPF(1) NBLKS(7) FSIZE(14) AMODE(6) SFREQ(4) RATE(5),
  // MIX DYNF TIMEF AUXF HDCD (1 each), EXT_AUDIO_ID(3) EXT_AUDIO(1) ASPF(1) LFF(2).
  const bits = (offset: number, count: number): number => {
    let value = 0;
    for (let index = 0; index < count; index += 1) {
      const bit = offset + index;
      value = value * 2 + (((data[at + 4 + (bit >> 3)] ?? 0) >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  const blocks = bits(7, 7) + 1;
  const amode = bits(28, 6);
  const sampleRateHz = DTS_SAMPLE_RATES_HZ[bits(34, 4)] ?? 0;
  const lff = bits(53, 2);
  if (sampleRateHz === 0 || amode >= DTS_CHANNELS_BY_AMODE.length) return undefined;
  return {
    codec: 'dts',
    channels: (DTS_CHANNELS_BY_AMODE[amode] ?? 2) + (lff === 1 || lff === 2 ? 1 : 0),
    sampleRateHz,
    frameSamples: blocks * 32,
  };
}

const LPCM_SAMPLE_RATES_HZ = [48000, 96000, 44100, 32000];
const LPCM_BITS = [16, 20, 24];
/** Substream id, frame count, first-unit pointer, then 3 bytes of LPCM header. */
const LPCM_HEADER_BYTES = 7;

/** DVD LPCM's 3-byte header after the substream id, frame count and first-unit pointer. */
function lpcmFormat(payload: Buffer): AudioFormat | undefined {
  const format = payload[5];
  if (format === undefined) return undefined;
  const bits = LPCM_BITS[format >> 6];
  const sampleRateHz = LPCM_SAMPLE_RATES_HZ[(format >> 4) & 0x3] ?? 48000;
  const channels = (format & 0x7) + 1;
  if (bits === undefined) return undefined;
  return {
    codec: 'pcm_dvd',
    channels,
    sampleRateHz,
    frameSamples: 0,
    lpcmBytesPerSecond: (sampleRateHz * channels * bits) / 8,
  };
}

/** Which audio stream a packet belongs to: its stream id, and for private stream 1 its substream. */
function audioStreamKey(packet: PesPacket): number | undefined {
  if (packet.streamId >= 0xc0 && packet.streamId <= 0xdf) return packet.streamId;
  if (packet.streamId !== PRIVATE_STREAM_1) return undefined;
  const substream = packet.payload[0];
  if (substream === undefined) return undefined;
  // 0x80-0x8F AC-3 and DTS, 0xA0-0xAF LPCM, 0xC0-0xCF (E-)AC-3 in EVOB; 0x20-0x3F are subtitles.
  const isAudio =
    (substream >= 0x80 && substream <= 0x8f) ||
    (substream >= 0x98 && substream <= 0x9f) ||
    (substream >= 0xa0 && substream <= 0xaf) ||
    (substream >= 0xc0 && substream <= 0xcf);
  return isAudio ? 0x100 + substream : undefined;
}

function audioFormat(key: number, payload: Buffer): AudioFormat | undefined {
  if (key < 0x100) return mpegAudioFormat(payload);
  const substream = key - 0x100;
  // Private stream 1 audio: substream id, frame count, 2-byte pointer to the first access unit.
  const data = payload.subarray(4);
  if (substream >= 0xa0 && substream <= 0xaf) return lpcmFormat(payload);
  if ((substream >= 0x88 && substream <= 0x8f) || (substream >= 0x98 && substream <= 0x9f)) {
    return dtsFormat(data);
  }
  return ac3Format(data);
}

interface FirstAudio {
  key: number;
  format: AudioFormat;
  firstPts: number | undefined;
}

/**
 * How long the audio runs past the last timestamp. Coded audio: one frame, as ffprobe counts it.
 * LPCM: every byte from the last timestamped packet on (ffprobe leaves out the last packet, and
 * reports a few milliseconds less).
 */
function lastPacketSeconds(format: AudioFormat, lpcmBytesSinceLastPts: number): number {
  if (format.lpcmBytesPerSecond) return lpcmBytesSinceLastPts / format.lpcmBytesPerSecond;
  return format.frameSamples / format.sampleRateHz;
}

function ptsSpan(first: number, last: number): number {
  return (last - first + PTS_WRAP) % PTS_WRAP;
}

interface HeadScan {
  audio: FirstAudio | undefined;
  /** The file's first bytes, as far as the scan read them. */
  scanned: Buffer;
  videoSeen: boolean;
  /** An audio stream whose packets held no frame header we could read. */
  undecodableKey: number | undefined;
}

/** Walks from the start to the first audio packet whose frame header we can read, and its PTS. */
async function scanHead(input: ProbeInput): Promise<HeadScan> {
  const scan: HeadScan = {
    audio: undefined,
    scanned: input.head,
    videoSeen: false,
    undecodableKey: undefined,
  };
  let resumeAt = 0;
  try {
    for (;;) {
      const final = scan.scanned.length >= input.sizeBytes;
      resumeAt = walk(scan.scanned, resumeAt, final, (packet) => {
        if (packet.streamId >= 0xe0 && packet.streamId <= 0xef) scan.videoSeen = true;
        const key = audioStreamKey(packet);
        if (key === undefined) return false;
        if (!scan.audio) {
          const format = audioFormat(key, packet.payload);
          if (format) scan.audio = { key, format, firstPts: packet.pts };
          else scan.undecodableKey ??= key;
        } else if (key === scan.audio.key) {
          scan.audio.firstPts ??= packet.pts;
        }
        return scan.audio?.firstPts !== undefined;
      });
      if (scan.audio?.firstPts !== undefined || final || scan.scanned.length >= SCAN_MAX_BYTES) break;
      const more = await input.read(scan.scanned.length, Math.min(SCAN_STEP_BYTES, input.remainingBudget()));
      if (more.length === 0) break;
      scan.scanned = Buffer.concat([scan.scanned, more]);
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
  }
  return scan;
}

interface TailScan {
  lastPts: number;
  /** LPCM bytes from the packet that carried lastPts to the end. */
  lpcmBytesSinceLastPts: number;
}

/** The first pack header in `bytes`, where a walk is aligned with packets rather than mid-payload. */
function firstPackHeader(bytes: Buffer): number | undefined {
  for (let at = bytes.indexOf(START_CODE_PREFIX); at >= 0; at = bytes.indexOf(START_CODE_PREFIX, at + 1)) {
    if (bytes[at + 3] === PACK_START && typeof packHeaderLength(bytes, at) === 'number') return at;
  }
  return undefined;
}

/**
 * Walks the file's last 64 KiB (more, up to TAIL_MAX_BYTES, while it holds no timestamped packet of
 * the stream) for the stream's last PTS. Undefined when the budget or the cap runs out first.
 */
async function scanTail(input: ProbeInput, scanned: Buffer, key: number): Promise<TailScan | undefined> {
  let found: TailScan | undefined;
  let tailStart = input.sizeBytes;
  let tail = Buffer.alloc(0);
  try {
    while (!found && tailStart > 0 && tail.length < TAIL_MAX_BYTES) {
      const from = Math.max(0, tailStart - TAIL_STEP_BYTES);
      // What the head scan already read is not read again.
      const known = scanned.subarray(from, Math.min(tailStart, scanned.length));
      const unknownFrom = from + known.length;
      const chunk =
        unknownFrom < tailStart
          ? Buffer.concat([known, await input.read(unknownFrom, tailStart - unknownFrom)])
          : known;
      tail = Buffer.concat([chunk, tail]);
      tailStart = from;
      const start = tailStart === 0 ? 0 : firstPackHeader(tail);
      if (start === undefined) continue;
      walk(tail, start, true, (packet) => {
        if (audioStreamKey(packet) !== key) return false;
        const lpcmBytes = Math.max(0, packet.payload.length - LPCM_HEADER_BYTES);
        if (packet.pts !== undefined) found = { lastPts: packet.pts, lpcmBytesSinceLastPts: lpcmBytes };
        else if (found) found.lpcmBytesSinceLastPts += lpcmBytes;
        return false;
      });
    }
  } catch (error) {
    // Without the tail the recording is still good, only of unknown length.
    if (!(error instanceof ReadBudgetExceededError)) throw error;
  }
  return found;
}

async function probeMpegPs(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes } = input;
  const { audio, scanned, videoSeen, undecodableKey } = await scanHead(input);
  if (!audio) {
    if (undecodableKey !== undefined) {
      const stream =
        undecodableKey < 0x100
          ? `stream 0x${undecodableKey.toString(16)}`
          : `substream 0x${(undecodableKey - 0x100).toString(16)}`;
      return reject('corrupt-media', `no readable audio frame header in audio ${stream}`);
    }
    if (scanned.length < sizeBytes) {
      return reject('corrupt-media', `no audio stream in the first ${scanned.length} bytes`);
    }
    return reject(
      'corrupt-media',
      videoSeen ? 'no audio stream: the program stream holds only video' : 'no audio stream',
    );
  }
  const { format, firstPts } = audio;
  const tail = firstPts === undefined ? undefined : await scanTail(input, scanned, audio.key);
  const seconds =
    firstPts !== undefined && tail
      ? ptsSpan(firstPts, tail.lastPts) / PTS_HZ + lastPacketSeconds(format, tail.lpcmBytesSinceLastPts)
      : undefined;

  return audioFacts({
    container: 'mpeg-ps',
    codec: format.codec,
    ...(seconds !== undefined && seconds > 0 ? { durationSec: seconds } : {}),
    channels: format.channels,
    sampleRateHz: format.sampleRateHz,
    sizeBytes,
  });
}

export const mpegPsProber: FormatProber = {
  expected: 'MPEG program stream',
  signatures: ['mpeg-ps'],
  probe: probeMpegPs,
};
