// Builders for hand-made MPEG program streams, shared by the MPEG-PS tests: MPEG-1 and MPEG-2 pack
// headers, PES packets with PTS, and the audio frames they carry (MPEG audio, AC-3, DVD LPCM).

const PTS_HZ = 90_000;

/** Bits of a number above 2^32 survive where `>>` would not. */
function bits(value: number, shift: number, mask: number): number {
  return Math.floor(value / 2 ** shift) & mask;
}

/** A 5-byte PTS field with its 4-bit prefix (0x2: PTS only) and marker bits. */
export function ptsField(pts: number, prefix = 0x2): Buffer {
  return Buffer.from([
    (prefix << 4) | (bits(pts, 30, 0x7) << 1) | 1,
    bits(pts, 22, 0xff),
    (bits(pts, 15, 0x7f) << 1) | 1,
    bits(pts, 7, 0xff),
    (bits(pts, 0, 0x7f) << 1) | 1,
  ]);
}

/** A pack header: MPEG-1's 12 bytes or MPEG-2's 14 (no stuffing), with a system clock reference. */
export function packHeader(mpeg: 1 | 2, scr: number): Buffer {
  const muxRate = 2520; // 50-byte units per second: 1 Mbit/s
  if (mpeg === 1) {
    return Buffer.from([
      0x00,
      0x00,
      0x01,
      0xba,
      0x21 | (bits(scr, 30, 0x7) << 1),
      bits(scr, 22, 0xff),
      (bits(scr, 15, 0x7f) << 1) | 1,
      bits(scr, 7, 0xff),
      (bits(scr, 0, 0x7f) << 1) | 1,
      0x80 | bits(muxRate, 15, 0x7f),
      bits(muxRate, 7, 0xff),
      (bits(muxRate, 0, 0x7f) << 1) | 1,
    ]);
  }
  return Buffer.from([
    0x00,
    0x00,
    0x01,
    0xba,
    0x40 | (bits(scr, 30, 0x7) << 3) | 0x04 | bits(scr, 28, 0x3),
    bits(scr, 20, 0xff),
    (bits(scr, 15, 0x1f) << 3) | 0x04 | bits(scr, 13, 0x3),
    bits(scr, 5, 0xff),
    (bits(scr, 0, 0x1f) << 3) | 0x04,
    0x01,
    bits(muxRate, 14, 0xff),
    bits(muxRate, 6, 0xff),
    (bits(muxRate, 0, 0x3f) << 2) | 0x03,
    0xf8,
  ]);
}

/** A system header listing `streamIds`; the probe skips it, but real streams carry one. */
export function systemHeader(streamIds: number[]): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x80, 0x13, 0xb1, 0x04, 0xe1, 0xff]),
    ...streamIds.map((id) => Buffer.from([id, 0xe0, 0x20])),
  ]);
  const header = Buffer.from([0x00, 0x00, 0x01, 0xbb, 0, 0]);
  header.writeUInt16BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** A PES packet with an MPEG-1 or MPEG-2 header, and a PTS when given. */
export function pesPacket(streamId: number, payload: Buffer, options: { mpeg: 1 | 2; pts?: number }): Buffer {
  let header: Buffer;
  if (options.mpeg === 2) {
    header =
      options.pts === undefined
        ? Buffer.from([0x81, 0x00, 0x00])
        : Buffer.concat([Buffer.from([0x81, 0x80, 0x05]), ptsField(options.pts)]);
  } else {
    header = options.pts === undefined ? Buffer.from([0x0f]) : ptsField(options.pts);
  }
  const start = Buffer.from([0x00, 0x00, 0x01, streamId, 0, 0]);
  start.writeUInt16BE(header.length + payload.length, 4);
  return Buffer.concat([start, header, payload]);
}

/** Padding stream packet of `length` payload bytes. */
export function paddingPacket(length: number): Buffer {
  const start = Buffer.from([0x00, 0x00, 0x01, 0xbe, 0, 0]);
  start.writeUInt16BE(length, 4);
  return Buffer.concat([start, Buffer.alloc(length, 0xff)]);
}

export interface MpegAudioFrameSpec {
  /** MPEG-1 or MPEG-2 (LSF). */
  version: 1 | 2;
  layer: 1 | 2 | 3;
  bitrateIndex: number;
  sampleRateIndex: number;
  mono: boolean;
  /** The frame's size in bytes, from the standard's formula; the body is zeros (silence). */
  frameBytes: number;
}

export function mpegAudioFrame(spec: MpegAudioFrameSpec): Buffer {
  const frame = Buffer.alloc(spec.frameBytes);
  frame[0] = 0xff;
  frame[1] = 0xe0 | ((spec.version === 1 ? 3 : 2) << 3) | ((4 - spec.layer) << 1) | 1;
  frame[2] = (spec.bitrateIndex << 4) | (spec.sampleRateIndex << 2);
  frame[3] = spec.mono ? 0xc0 : 0x00;
  return frame;
}

/** MPEG-1 Layer II, 44.1 kHz mono, 128 kbit/s: 417-byte frames of 1152 samples. */
export const MP2_MONO_44K: MpegAudioFrameSpec = {
  version: 1,
  layer: 2,
  bitrateIndex: 8,
  sampleRateIndex: 0,
  mono: true,
  frameBytes: 417,
};

/** MPEG-2 Layer III, 22.05 kHz stereo, 64 kbit/s: 208-byte frames of 576 samples. */
export const MP3_STEREO_22K: MpegAudioFrameSpec = {
  version: 2,
  layer: 3,
  bitrateIndex: 8,
  sampleRateIndex: 0,
  mono: false,
  frameBytes: 208,
};

/** Writes `value` as `count` bits at bit `offset` of `bytes`. */
function putBits(bytes: Buffer, offset: number, count: number, value: number): void {
  for (let index = 0; index < count; index += 1) {
    const bit = (value >> (count - 1 - index)) & 1;
    const position = offset + index;
    bytes[position >> 3] = (bytes[position >> 3] ?? 0) | (bit << (7 - (position & 7)));
  }
}

export interface Ac3FrameSpec {
  /** 0: 48 kHz, 1: 44.1 kHz, 2: 32 kHz. */
  fscod: number;
  /** 0..7: 1+1, 1/0, 2/0, 3/0, 2/1, 3/1, 2/2, 3/2. */
  acmod: number;
  lfeon: boolean;
}

/** An AC-3 frame of 384 bytes (frmsizecod 12: 96 kbit/s at 48 kHz), bsid 8, mix levels zero. */
export function ac3Frame(spec: Ac3FrameSpec): Buffer {
  const frame = Buffer.alloc(384);
  frame[0] = 0x0b;
  frame[1] = 0x77;
  frame[4] = (spec.fscod << 6) | 12;
  frame[5] = 8 << 3;
  let bit = 48;
  putBits(frame, bit, 3, spec.acmod);
  bit += 3;
  if ((spec.acmod & 1) !== 0 && spec.acmod !== 1) bit += 2;
  if ((spec.acmod & 4) !== 0) bit += 2;
  if (spec.acmod === 2) bit += 2;
  putBits(frame, bit, 1, spec.lfeon ? 1 : 0);
  putBits(frame, bit + 1, 5, 27); // dialnorm
  return frame;
}

/** Private stream 1 payload: substream id, frame count, first access unit pointer, then data. */
export function privateStreamPayload(substream: number, frames: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([substream, frames, 0x00, 0x01]), data]);
}

/** DVD LPCM in private stream 1: 16-bit, 48 kHz, `channels` channels; `bytes` of silence. */
export function lpcmPayload(channels: number, bytes: number): Buffer {
  return Buffer.concat([
    Buffer.from([0xa0, 0x07, 0x00, 0x04, 0x0c, channels - 1, 0x80]),
    Buffer.alloc(bytes),
  ]);
}

export interface AudioProgramOptions {
  mpeg: 1 | 2;
  streamId: number;
  /** Payload of the Nth audio packet: frames, or a private stream header and its frames. */
  payload: (packetIndex: number) => Buffer;
  packets: number;
  /** Ticks of 90 kHz between packets. */
  ptsStep: number;
  firstPts?: number;
  /** Give only every Nth packet a PTS, as muxers do. */
  ptsEvery?: number;
  /** Stream ids for the system header. */
  streamIds?: number[];
  endCode?: boolean;
}

/** One pack per audio packet (and a system header in the first), as ffmpeg's mpeg muxer writes. */
export function audioProgramStream(options: AudioProgramOptions): Buffer {
  const firstPts = options.firstPts ?? PTS_HZ / 2;
  const parts: Buffer[] = [];
  for (let index = 0; index < options.packets; index += 1) {
    const pts = firstPts + Math.round(index * options.ptsStep);
    parts.push(packHeader(options.mpeg, Math.max(0, pts - 9000)));
    if (index === 0) parts.push(systemHeader(options.streamIds ?? [options.streamId]));
    const withPts = index % (options.ptsEvery ?? 1) === 0;
    parts.push(
      pesPacket(options.streamId, options.payload(index), {
        mpeg: options.mpeg,
        ...(withPts ? { pts } : {}),
      }),
    );
  }
  if (options.endCode !== false) parts.push(Buffer.from([0x00, 0x00, 0x01, 0xb9]));
  return Buffer.concat(parts);
}
