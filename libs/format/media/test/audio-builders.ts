// Byte-level builders for the container formats the format tests synthesise (MPEG audio frames,
// MP4 boxes, FLAC, Ogg pages, AIFF, .snd), and a check that no damaged input crashes a probe.
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import { bufferReader, probeMedia } from '../src/index';
import type { RangeReader } from '../src/range-reader';

// ---------------------------------------------------------------- MPEG audio

export interface MpegFrameOptions {
  version: '1' | '2' | '2.5';
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRateHz: number;
  mono: boolean;
  padding?: boolean;
}

const MPEG_BITRATES: Record<string, number[]> = {
  'v1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  'v1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  'v1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  'v2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  'v2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  'v2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_RATES: Record<string, number[]> = {
  '1': [44100, 48000, 32000],
  '2': [22050, 24000, 16000],
  '2.5': [11025, 12000, 8000],
};

export function mpegFrameHeader(options: MpegFrameOptions): Buffer {
  const versionBits = { '1': 3, '2': 2, '2.5': 0 }[options.version];
  const table = MPEG_BITRATES[`${options.version === '1' ? 'v1' : 'v2'}-${options.layer}`] ?? [];
  const bitrateIndex = table.indexOf(options.bitrateKbps);
  const rateIndex = (MPEG_RATES[options.version] ?? []).indexOf(options.sampleRateHz);
  assert.ok(bitrateIndex > 0 && rateIndex >= 0, 'no such MPEG bit rate or sample rate');
  return Buffer.from([
    0xff,
    0xe0 | (versionBits << 3) | ((4 - options.layer) << 1) | 1,
    (bitrateIndex << 4) | (rateIndex << 2) | (options.padding ? 2 : 0),
    options.mono ? 0xc0 : 0x00,
  ]);
}

export function mpegSamplesPerFrame(options: MpegFrameOptions): number {
  if (options.layer === 1) return 384;
  return options.layer === 3 && options.version !== '1' ? 576 : 1152;
}

export function mpegFrameBytes(options: MpegFrameOptions): number {
  const padding = options.padding ? 1 : 0;
  if (options.layer === 1) {
    return (Math.floor((12 * options.bitrateKbps * 1000) / options.sampleRateHz) + padding) * 4;
  }
  const slots = mpegSamplesPerFrame(options) / 8;
  return Math.floor((slots * options.bitrateKbps * 1000) / options.sampleRateHz) + padding;
}

/** One frame: its header, then zeros (silence to a decoder: no side info, no main data). */
export function mpegFrame(options: MpegFrameOptions): Buffer {
  const frame = Buffer.alloc(mpegFrameBytes(options));
  mpegFrameHeader(options).copy(frame, 0);
  return frame;
}

export function mpegFrames(options: MpegFrameOptions, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => mpegFrame(options)));
}

/** A Xing (VBR) or Info (CBR) header frame, placed after the side information like LAME does. */
export function xingFrame(
  options: MpegFrameOptions,
  tag: 'Xing' | 'Info',
  fields: { frames?: number; bytes?: number },
): Buffer {
  const frame = mpegFrame(options);
  const sideInfo = options.version === '1' ? (options.mono ? 17 : 32) : options.mono ? 9 : 17;
  let at = 4 + sideInfo;
  frame.write(tag, at, 'latin1');
  const flags = (fields.frames !== undefined ? 1 : 0) | (fields.bytes !== undefined ? 2 : 0);
  frame.writeUInt32BE(flags, at + 4);
  at += 8;
  if (fields.frames !== undefined) {
    frame.writeUInt32BE(fields.frames, at);
    at += 4;
  }
  if (fields.bytes !== undefined) frame.writeUInt32BE(fields.bytes, at);
  return frame;
}

/** A Fraunhofer VBRI header frame: 32 bytes after the frame header. */
export function vbriFrame(options: MpegFrameOptions, fields: { frames: number; bytes: number }): Buffer {
  const frame = mpegFrame(options);
  frame.write('VBRI', 36, 'latin1');
  frame.writeUInt16BE(1, 40);
  frame.writeUInt32BE(fields.bytes, 46);
  frame.writeUInt32BE(fields.frames, 50);
  return frame;
}

export function syncsafe(value: number): Buffer {
  return Buffer.from([(value >> 21) & 0x7f, (value >> 14) & 0x7f, (value >> 7) & 0x7f, value & 0x7f]);
}

/** An ID3v2.4 tag with `bodyBytes` of padding, and the 10-byte footer when asked. */
export function id3v2(bodyBytes: number, footer = false): Buffer {
  const header = Buffer.concat([
    Buffer.from([0x49, 0x44, 0x33, 4, 0, footer ? 0x10 : 0]),
    syncsafe(bodyBytes),
  ]);
  const tail = footer
    ? Buffer.concat([Buffer.from('3DI\x04\x00\x10', 'latin1'), syncsafe(bodyBytes)])
    : Buffer.alloc(0);
  return Buffer.concat([header, Buffer.alloc(bodyBytes), tail]);
}

export function id3v1(): Buffer {
  const tag = Buffer.alloc(128);
  tag.write('TAGa title', 0, 'latin1');
  return tag;
}

// ---------------------------------------------------------------- ISO BMFF (MP4)

export function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const versionAndFlags = Buffer.alloc(4);
  versionAndFlags.writeUInt32BE(((version << 24) | flags) >>> 0, 0);
  return box(type, versionAndFlags, ...parts);
}

export function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value, 0);
  return bytes;
}

export function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
}

export function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value), 0);
  return bytes;
}

export function ftyp(brand = 'M4A '): Buffer {
  return box('ftyp', Buffer.from(brand, 'latin1'), u32(512), Buffer.from(`${brand}isomiso2`, 'latin1'));
}

/** mvhd or mdhd body fields: creation and modification times are zero. */
export function timesBox(type: 'mvhd' | 'mdhd', timescale: number, duration: number, version = 0): Buffer {
  const times =
    version === 1
      ? Buffer.concat([u64(0), u64(0), u32(timescale), u64(duration)])
      : Buffer.concat([u32(0), u32(0), u32(timescale), u32(duration)]);
  const rest = type === 'mvhd' ? Buffer.alloc(80) : Buffer.alloc(4);
  return fullBox(type, version, 0, times, rest);
}

export function tkhd(trackId: number): Buffer {
  return fullBox('tkhd', 0, 3, u32(0), u32(0), u32(trackId), Buffer.alloc(68));
}

export function hdlr(handler: string): Buffer {
  return fullBox('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), Buffer.alloc(12), Buffer.from('\0'));
}

export function elst(edits: Array<{ segmentDuration: number; mediaTime: number }>): Buffer {
  const entries = edits.map((edit) => {
    const entry = Buffer.alloc(12);
    entry.writeUInt32BE(edit.segmentDuration, 0);
    entry.writeInt32BE(edit.mediaTime, 4);
    entry.writeUInt32BE(0x00010000, 8);
    return entry;
  });
  return box('edts', fullBox('elst', 0, 0, u32(edits.length), ...entries));
}

/** A version 0 audio sample entry: the fields ffmpeg writes (channel count 2 for ISO mp4a). */
export function soundEntry(
  format: string,
  channels: number,
  sampleRateHz: number,
  ...children: Buffer[]
): Buffer {
  const fields = Buffer.concat([
    Buffer.alloc(6),
    u16(1),
    u16(0),
    u16(0),
    u32(0),
    u16(channels),
    u16(16),
    u16(0),
    u16(0),
    u32((sampleRateHz & 0xffff) * 0x10000),
  ]);
  return box(format, fields, ...children);
}

function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  // ffmpeg writes lengths as four 7-bit bytes, 0x80-continued.
  return Buffer.concat([Buffer.from([tag, 0x80, 0x80, 0x80, body.length]), body]);
}

export function esds(objectType: number, audioSpecificConfig?: Buffer): Buffer {
  const decoderConfig = descriptor(
    0x04,
    Buffer.from([objectType, 0x15, 0, 0, 0]),
    u32(64000),
    u32(64000),
    ...(audioSpecificConfig ? [descriptor(0x05, audioSpecificConfig)] : []),
  );
  return fullBox(
    'esds',
    0,
    0,
    descriptor(0x03, u16(1), Buffer.from([0]), decoderConfig, descriptor(0x06, Buffer.from([2]))),
  );
}

/** AudioSpecificConfig: object type, sampling frequency index, channel configuration. */
export function audioSpecificConfig(
  objectType: number,
  frequencyIndex: number,
  channelConfig: number,
): Buffer {
  const bits = (objectType << 11) | (frequencyIndex << 7) | (channelConfig << 3);
  return u16(bits);
}

export interface AudioTrackOptions {
  trackId?: number;
  handler?: string;
  mediaTimescale: number;
  mediaDuration: number;
  edits?: Array<{ segmentDuration: number; mediaTime: number }>;
  sampleEntry: Buffer;
  /** Offset of the first chunk, for codecs read from their first frame. */
  firstChunkOffset?: number;
  /** Boxes between hdlr and minf (QuickTime puts a data handler in minf). */
  minfExtra?: Buffer[];
}

export function trak(options: AudioTrackOptions): Buffer {
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), options.sampleEntry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(1), u32(options.firstChunkOffset ?? 0)),
  );
  return box(
    'trak',
    tkhd(options.trackId ?? 1),
    ...(options.edits ? [elst(options.edits)] : []),
    box(
      'mdia',
      timesBox('mdhd', options.mediaTimescale, options.mediaDuration),
      hdlr(options.handler ?? 'soun'),
      box('minf', ...(options.minfExtra ?? []), box('dinf'), stbl),
    ),
  );
}

export function moov(movieTimescale: number, movieDuration: number, ...children: Buffer[]): Buffer {
  return box('moov', timesBox('mvhd', movieTimescale, movieDuration), ...children);
}

// ---------------------------------------------------------------- FLAC

export interface StreamInfoFields {
  blockSize: number;
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  totalSamples: number;
}

export function streamInfo(fields: StreamInfoFields): Buffer {
  const body = Buffer.alloc(34);
  body.writeUInt16BE(fields.blockSize, 0);
  body.writeUInt16BE(fields.blockSize, 2);
  const packed =
    (BigInt(fields.sampleRateHz) << 44n) |
    (BigInt(fields.channels - 1) << 41n) |
    (BigInt(fields.bitsPerSample - 1) << 36n) |
    BigInt(fields.totalSamples);
  body.writeBigUInt64BE(packed, 10);
  return body;
}

export function flacBlock(type: number, body: Buffer, last: boolean, declared = body.length): Buffer {
  const header = Buffer.alloc(4);
  header[0] = (last ? 0x80 : 0) | type;
  header.writeUIntBE(declared, 1, 3);
  return Buffer.concat([header, body]);
}

function crc8(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** UTF-8-style coding of FLAC frame and sample numbers (up to 36 bits). */
function flacNumber(value: number): Buffer {
  if (value < 0x80) return Buffer.from([value]);
  const bytes: number[] = [];
  let rest = value;
  let limit = 0x3f;
  for (;;) {
    bytes.unshift(0x80 | (rest & 0x3f));
    rest = Math.floor(rest / 64);
    limit >>= 1;
    if (rest <= limit) break;
  }
  const count = bytes.length + 1;
  const lead = (0xff << (8 - count)) & 0xff;
  return Buffer.from([lead | rest, ...bytes]);
}

/**
 * One FLAC frame with a valid header (CRC-8) and footer (CRC-16) around `payloadBytes` of filler:
 * enough for a prober, which never decodes subframes. Rate and sample size say "as STREAMINFO".
 */
export function flacFrame(options: {
  number: number;
  blockSize: number;
  channels: number;
  variable?: boolean;
  payloadBytes?: number;
}): Buffer {
  const channelCode = options.channels - 1;
  const header = Buffer.concat([
    Buffer.from([0xff, options.variable ? 0xf9 : 0xf8, (7 << 4) | 0, (channelCode << 4) | 0]),
    flacNumber(options.number),
    u16(options.blockSize - 1),
  ]);
  const withCrc8 = Buffer.concat([header, Buffer.from([crc8(header)])]);
  const body = Buffer.concat([withCrc8, Buffer.alloc(options.payloadBytes ?? 40, 0x11)]);
  return Buffer.concat([body, u16(crc16(body))]);
}

/** A whole FLAC stream: fLaC, STREAMINFO, optional extra blocks, fixed-size frames. */
export function flacFile(
  info: StreamInfoFields,
  options: { extraBlocks?: Buffer[]; frames?: number } = {},
): Buffer {
  const frames: Buffer[] = [];
  const frameCount = options.frames ?? Math.ceil(info.totalSamples / info.blockSize);
  for (let index = 0; index < frameCount; index += 1) {
    const remaining = info.totalSamples - index * info.blockSize;
    const blockSize = remaining > 0 ? Math.min(info.blockSize, remaining) : info.blockSize;
    frames.push(flacFrame({ number: index, blockSize, channels: info.channels }));
  }
  const extra = options.extraBlocks ?? [];
  return Buffer.concat([
    Buffer.from('fLaC', 'latin1'),
    flacBlock(0, streamInfo(info), extra.length === 0),
    ...extra,
    ...frames,
  ]);
}

// ---------------------------------------------------------------- Ogg

const OGG_CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let crc = index << 24;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  return crc >>> 0;
});

export interface OggPageOptions {
  serial: number;
  sequence: number;
  granule: bigint;
  flags?: number;
  packets: Buffer[];
  /** The last packet continues on the next page (no terminating lacing value). */
  continues?: boolean;
}

export function oggPage(options: OggPageOptions): Buffer {
  const lacing: number[] = [];
  options.packets.forEach((packet, index) => {
    let rest = packet.length;
    while (rest >= 255) {
      lacing.push(255);
      rest -= 255;
    }
    if (!(options.continues && index === options.packets.length - 1)) lacing.push(rest);
  });
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = options.flags ?? 0;
  header.writeBigInt64LE(options.granule, 6);
  header.writeUInt32LE(options.serial, 14);
  header.writeUInt32LE(options.sequence, 18);
  header[26] = lacing.length;
  const page = Buffer.concat([header, Buffer.from(lacing), ...options.packets]);
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ (OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  page.writeUInt32LE(crc, 22);
  return page;
}

export function vorbisIdHeader(channels: number, sampleRateHz: number): Buffer {
  const packet = Buffer.alloc(30);
  packet[0] = 1;
  packet.write('vorbis', 1, 'latin1');
  packet[11] = channels;
  packet.writeUInt32LE(sampleRateHz, 12);
  packet[29] = 1;
  return packet;
}

export function opusHead(channels: number, preSkip: number, inputRateHz: number): Buffer {
  const packet = Buffer.alloc(19);
  packet.write('OpusHead', 0, 'latin1');
  packet[8] = 1;
  packet[9] = channels;
  packet.writeUInt16LE(preSkip, 10);
  packet.writeUInt32LE(inputRateHz, 12);
  return packet;
}

export function oggFlacHeader(info: StreamInfoFields): Buffer {
  return Buffer.concat([
    Buffer.from([0x7f]),
    Buffer.from('FLAC', 'latin1'),
    Buffer.from([1, 0, 0, 1]),
    Buffer.from('fLaC', 'latin1'),
    flacBlock(0, streamInfo(info), false),
  ]);
}

// ---------------------------------------------------------------- AIFF

/** IEEE 754 80-bit extended, for AIFF's COMM sample rate. */
export function extended80(value: number): Buffer {
  const bytes = Buffer.alloc(10);
  if (value === 0) return bytes;
  const exponent = Math.floor(Math.log2(value));
  const mantissa = BigInt(Math.round(value * 2 ** (63 - exponent)));
  bytes.writeUInt16BE(exponent + 16383, 0);
  bytes.writeBigUInt64BE(mantissa, 2);
  return bytes;
}

export function iffChunk(id: string, body: Buffer, declared = body.length): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32BE(declared, 4);
  return Buffer.concat([header, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

export function comm(fields: {
  channels: number;
  sampleFrames: number;
  sampleBits: number;
  sampleRateHz: number;
  compression?: string;
}): Buffer {
  const body = Buffer.concat([
    u16(fields.channels),
    u32(fields.sampleFrames),
    u16(fields.sampleBits),
    extended80(fields.sampleRateHz),
    ...(fields.compression ? [Buffer.from(fields.compression, 'latin1'), Buffer.from([0, 0])] : []),
  ]);
  return iffChunk('COMM', body);
}

export function ssnd(soundBytes: number, declared?: number): Buffer {
  const body = Buffer.concat([u32(0), u32(0), Buffer.alloc(soundBytes)]);
  return iffChunk('SSND', body, declared ?? body.length);
}

export function form(type: 'AIFF' | 'AIFC', chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  return Buffer.concat([
    Buffer.from('FORM', 'latin1'),
    u32(body.length + 4),
    Buffer.from(type, 'latin1'),
    body,
  ]);
}

// ---------------------------------------------------------------- Sun .snd

export function sndHeader(fields: {
  dataOffset?: number;
  dataBytes: number;
  encoding: number;
  sampleRateHz: number;
  channels: number;
}): Buffer {
  const header = Buffer.alloc(fields.dataOffset ?? 32);
  header.write('.snd', 0, 'latin1');
  header.writeUInt32BE(fields.dataOffset ?? 32, 4);
  header.writeUInt32BE(fields.dataBytes >>> 0, 8);
  header.writeUInt32BE(fields.encoding, 12);
  header.writeUInt32BE(fields.sampleRateHz, 16);
  header.writeUInt32BE(fields.channels, 20);
  return header;
}

// ---------------------------------------------------------------- robustness

/** xorshift32: damaged inputs that are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

/**
 * Probes every prefix-length cut and many byte-damaged copies of `file`: each must give usable
 * facts or be rejected with a reason, never throw anything else (that would retry the job forever).
 */
export async function assertNeverCrashes(file: Buffer, extension: string, seed = 7): Promise<void> {
  const random = seededRandom(seed);
  const variants: Buffer[] = [];
  const step = Math.max(1, Math.floor(file.length / 97));
  for (let length = 1; length < file.length; length += step) variants.push(file.subarray(0, length));
  for (let copy = 0; copy < 150; copy += 1) {
    const damaged = Buffer.from(file);
    const hits = 1 + Math.floor(random() * 4);
    for (let hit = 0; hit < hits; hit += 1) {
      // Damage the headers more often than the bodies: that is where parsers trip.
      const limit = random() < 0.7 ? Math.min(file.length, 256) : file.length;
      damaged[Math.floor(random() * limit)] = Math.floor(random() * 256);
    }
    variants.push(damaged);
  }
  for (const variant of variants) {
    try {
      const facts = await probeMedia(bufferReader(variant), { extension });
      // Facts, when given, must be usable: a zero or NaN would mislead pairing and billing.
      assert.ok(
        (facts.channels ?? 1) > 0 && (facts.sampleRateHz ?? 1) > 0,
        `${extension}: ${JSON.stringify(facts)}`,
      );
      const seconds = facts.durationSec;
      assert.ok(
        seconds === undefined || (Number.isFinite(seconds) && seconds > 0),
        `${extension}: ${JSON.stringify(facts)}`,
      );
    } catch (error) {
      assert.ok(
        error instanceof RejectionError,
        `a damaged ${extension} of ${variant.length} bytes crashed the probe: ${String(error)}`,
      );
    }
  }
}

/** A reader over a file described by a function of the offset, for huge files with a pattern. */
export function patternReader(sizeBytes: number, byteAt: (offset: number) => number): RangeReader {
  return {
    sizeBytes,
    read(offset, length) {
      assert.ok(length <= 1024 * 1024, `probe asked for ${length} bytes in one read`);
      const end = Math.min(sizeBytes, offset + length);
      const out = Buffer.alloc(Math.max(0, end - offset));
      for (let index = 0; index < out.length; index += 1) out[index] = byteAt(offset + index);
      return Promise.resolve(out);
    },
  };
}
