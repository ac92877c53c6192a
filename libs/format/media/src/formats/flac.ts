// FLAC prober: STREAMINFO gives rate, channels and the sample count; the last frame, found in the
// file's tail and checked by its CRC, tells whether the file really ends where STREAMINFO says
// (a cut-off upload still has a perfect STREAMINFO) and times streamed files that never filled
// the count in.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { endsWithId3v1, ID3V1_BYTES, skipId3v2Tags } from './id3';

const STREAMINFO_BYTES = 34;
const BLOCK_HEADER_BYTES = 4;
const BLOCK_TYPE_STREAMINFO = 0;
const BLOCK_TYPE_INVALID = 127;

/** Frames of speech and music are a few KiB; the last one starts well inside this. */
const TAIL_BYTES = 64 * 1024;

/**
 * Frame headers checked from the end: the final frame's header is the last real one, so only a
 * false sync inside its data could come after it, and that is rare already.
 */
const MAX_FINAL_FRAME_CANDIDATES = 8;

/** A frame header is at most 16 bytes: sync, codes, a 7-byte number, block size, rate, CRC-8. */
const MAX_FRAME_HEADER_BYTES = 16;

export interface StreamInfo {
  maxBlockSize: number;
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know it (streamed output). */
  totalSamples: number;
}

/** The 34-byte STREAMINFO block body; also found in Ogg FLAC and MP4 `dfLa`. */
export function parseStreamInfo(bytes: Buffer): StreamInfo {
  const packed = bytes.readBigUInt64BE(10);
  return {
    maxBlockSize: bytes.readUInt16BE(2),
    sampleRateHz: Number(packed >> 44n),
    channels: Number((packed >> 41n) & 0x7n) + 1,
    bitsPerSample: Number((packed >> 36n) & 0x1fn) + 1,
    totalSamples: Number(packed & 0xfffffffffn),
  };
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

/** Sample rates by frame header code 1..11; 0 means "as STREAMINFO", 12..14 follow the header. */
const FRAME_SAMPLE_RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
/** Bits per sample by frame header code; 0 means "as STREAMINFO", 3 is reserved. */
const FRAME_SAMPLE_BITS = [0, 8, 12, -1, 16, 20, 24, 32];

/** Block sizes by frame header code; 6 and 7 mean "in the next 1 or 2 bytes", 0 is reserved. */
const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, 0, 0, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

/** Continuation bytes after a UTF-8-style lead byte (up to 6 in FLAC), or -1 if it cannot lead. */
function continuationBytes(lead: number): number {
  if (lead < 0x80) return 0;
  if (lead < 0xc0 || lead === 0xff) return -1;
  let ones = 0;
  while (lead & (0x80 >> ones)) ones += 1;
  return ones - 1;
}

interface FrameHeader {
  /** First sample of the frame within the stream. */
  firstSample: number;
  blockSize: number;
}

/**
 * The frame header at `at`, if those bytes are one of this stream: its CRC-8 matches and its rate,
 * channels and sample size agree with STREAMINFO. Audio data rarely survives all of that.
 */
export function parseFrameHeader(bytes: Buffer, at: number, info: StreamInfo): FrameHeader | undefined {
  if (at + 6 > bytes.length || bytes[at] !== 0xff) return undefined;
  const b1 = bytes[at + 1] ?? 0;
  const b2 = bytes[at + 2] ?? 0;
  const b3 = bytes[at + 3] ?? 0;
  if ((b1 & 0xfe) !== 0xf8) return undefined;
  const variableBlocks = (b1 & 1) === 1;
  const blockCode = b2 >> 4;
  const rateCode = b2 & 0xf;
  const channelCode = b3 >> 4;
  const bitsCode = (b3 >> 1) & 0x7;
  if (blockCode === 0 || rateCode === 0xf || channelCode > 10 || bitsCode === 3 || (b3 & 1) === 1) {
    return undefined;
  }
  if ((channelCode < 8 ? channelCode + 1 : 2) !== info.channels) return undefined;
  const bits = FRAME_SAMPLE_BITS[bitsCode] ?? -1;
  if (bits !== 0 && bits !== info.bitsPerSample) return undefined;

  // The frame (or sample) number, UTF-8 style: the first byte's leading ones count the bytes.
  let position = at + 4;
  const lead = bytes[position] ?? 0xff;
  const extra = continuationBytes(lead);
  if (extra < 0) return undefined;
  let number = extra === 0 ? lead : lead & (0x3f >> extra);
  for (let index = 1; index <= extra; index += 1) {
    const byte = bytes[position + index];
    if (byte === undefined || (byte & 0xc0) !== 0x80) return undefined;
    number = number * 64 + (byte & 0x3f);
  }
  position += 1 + extra;

  let blockSize = BLOCK_SIZES[blockCode] ?? 0;
  if (blockCode === 6) {
    blockSize = (bytes[position] ?? 0) + 1;
    position += 1;
  } else if (blockCode === 7) {
    blockSize = (bytes[position] ?? 0) * 256 + (bytes[position + 1] ?? 0) + 1;
    position += 2;
  }

  let rate = FRAME_SAMPLE_RATES[rateCode] ?? 0;
  if (rateCode === 12) {
    rate = (bytes[position] ?? 0) * 1000;
    position += 1;
  } else if (rateCode === 13 || rateCode === 14) {
    rate = ((bytes[position] ?? 0) * 256 + (bytes[position + 1] ?? 0)) * (rateCode === 14 ? 10 : 1);
    position += 2;
  }
  if (rate !== 0 && rate !== info.sampleRateHz) return undefined;
  if (position >= bytes.length || crc8(bytes.subarray(at, position)) !== bytes[position]) return undefined;
  return { firstSample: variableBlocks ? number : number * info.maxBlockSize, blockSize };
}

interface FinalFrame {
  endSample: number;
}

/**
 * The frame that ends the audio exactly: the last frame header in `tail` whose CRC-16 over the
 * rest of the tail matches the last two bytes. No final frame while frames were seen means the
 * file stops inside a frame.
 */
function findFinalFrame(tail: Buffer, info: StreamInfo): { final?: FinalFrame; framesSeen: number } {
  if (tail.length < 2) return { framesSeen: 0 };
  const expectedCrc = tail.readUInt16BE(tail.length - 2);
  let framesSeen = 0;
  for (let at = tail.length - 2; at >= 0; at -= 1) {
    if (tail[at] !== 0xff) continue;
    const header = parseFrameHeader(
      tail.subarray(0, Math.min(tail.length, at + MAX_FRAME_HEADER_BYTES)),
      at,
      info,
    );
    if (!header) continue;
    framesSeen += 1;
    if (framesSeen > MAX_FINAL_FRAME_CANDIDATES) break;
    if (crc16(tail.subarray(at, tail.length - 2)) === expectedCrc) {
      return { final: { endSample: header.firstSample + header.blockSize }, framesSeen };
    }
  }
  return { framesSeen };
}

async function probeFlac(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes } = input;
  const window = new ByteWindow(input);
  const start = await skipId3v2Tags(window);
  if ((await window.bytes(start, 4)).toString('latin1') !== 'fLaC') {
    reject('corrupt-media', `no fLaC marker after the ID3v2 tag (offset ${start})`);
  }

  let info: StreamInfo | undefined;
  let position = start + 4;
  for (let isLast = false; !isLast;) {
    const header = await window.bytes(position, BLOCK_HEADER_BYTES);
    if (header.length < BLOCK_HEADER_BYTES) {
      reject('corrupt-media', `truncated: the file ends inside the FLAC metadata (offset ${position})`);
    }
    isLast = ((header[0] ?? 0) & 0x80) !== 0;
    const type = (header[0] ?? 0) & 0x7f;
    const length = header.readUIntBE(1, 3);
    const bodyOffset = position + BLOCK_HEADER_BYTES;
    if (info === undefined) {
      if (type !== BLOCK_TYPE_STREAMINFO || length < STREAMINFO_BYTES) {
        reject('corrupt-media', 'the FLAC metadata does not start with a STREAMINFO block');
      }
      const body = await window.bytes(bodyOffset, STREAMINFO_BYTES);
      if (body.length < STREAMINFO_BYTES) {
        reject('corrupt-media', 'truncated: the file ends inside STREAMINFO');
      }
      info = parseStreamInfo(body);
    } else if (type === BLOCK_TYPE_INVALID) {
      reject('corrupt-media', `invalid FLAC metadata block type 127 at offset ${position}`);
    }
    if (bodyOffset + length > sizeBytes) {
      reject(
        'corrupt-media',
        `truncated: FLAC metadata block (type ${type}) at offset ${position} declares ${length} bytes but only ${sizeBytes - bodyOffset} are present`,
      );
    }
    position = bodyOffset + length;
  }
  if (!info) return reject('corrupt-media', 'the FLAC metadata does not start with a STREAMINFO block');
  if (info.sampleRateHz === 0) reject('corrupt-media', 'STREAMINFO declares a sample rate of 0 Hz');

  const framesStart = position;
  // One read for the tail serves both the ID3v1 check and the search for the last frame.
  const tailStart = Math.max(framesStart, sizeBytes - Math.min(TAIL_BYTES, input.remainingBudget()));
  const tailWithTags = await window.bytes(tailStart, sizeBytes - tailStart);
  const audioEnd = sizeBytes - ((await endsWithId3v1(window, framesStart)) ? ID3V1_BYTES : 0);
  if (framesStart >= audioEnd) {
    if (info.totalSamples > 0) {
      reject(
        'corrupt-media',
        `truncated: STREAMINFO declares ${info.totalSamples} samples but the file ends after the metadata`,
      );
    }
    reject('empty-file', 'the FLAC holds no audio frames, only metadata');
  }
  const firstFrame = await window.bytes(framesStart, MAX_FRAME_HEADER_BYTES);
  if (!parseFrameHeader(firstFrame, 0, info)) {
    reject('corrupt-media', `no valid FLAC frame where the audio should start (offset ${framesStart})`);
  }

  const tail = tailWithTags.subarray(0, Math.max(0, audioEnd - tailStart));
  const { final, framesSeen } = findFinalFrame(tail, info);
  let totalSamples = info.totalSamples;
  if (final) {
    if (totalSamples > 0 && final.endSample < totalSamples) {
      reject(
        'corrupt-media',
        `truncated: STREAMINFO declares ${totalSamples} samples but the last frame ends at sample ${final.endSample}`,
      );
    }
    // A streamed encoder could not go back to fill the count in; the last frame knows it.
    if (totalSamples === 0) totalSamples = final.endSample;
  } else if (framesSeen > 0) {
    reject('corrupt-media', 'truncated: the file ends inside a FLAC frame');
  } else if (totalSamples === 0) {
    reject(
      'corrupt-media',
      `STREAMINFO gives no sample count and no FLAC frame was found in the last ${tail.length} bytes`,
    );
  }
  // No frame header in the tail at all: a frame longer than the tail; STREAMINFO stands.
  return audioFacts({
    container: 'flac',
    codec: 'flac',
    durationSec: totalSamples / info.sampleRateHz,
    channels: info.channels,
    sampleRateHz: info.sampleRateHz,
    sizeBytes,
  });
}

export const flacProber: FormatProber = {
  expected: 'FLAC',
  signatures: ['flac'],
  probe: probeFlac,
};
