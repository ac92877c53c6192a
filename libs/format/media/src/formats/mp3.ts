// MPEG audio (MP3, and MP2/MP1 in .mp3 files) prober: skips ID3v2 tags, finds the first frame that
// a second frame confirms, and takes the duration from a Xing/Info or VBRI header when the encoder
// wrote one, else from the bit rate (constant bit rate files), as ffprobe does.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import type { FormatProber, ProbeInput } from '../prober';
import { describeContent, sniffContainer } from '../sniff';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { endsWithId3v1, ID3V1_BYTES, skipId3v2Tags } from './id3';

/** How far past the tags we look for the first frame; encoders pad a little, never this much. */
const FRAME_SEARCH_BYTES = 64 * 1024;

/** ffmpeg's tolerance too: a Xing byte count off by more than 1/16 of the file is not rounding. */
const XING_SIZE_TOLERANCE = 1 / 16;

type MpegVersion = '1' | '2' | '2.5';
export type MpegLayer = 1 | 2 | 3;

export interface MpegFrameHeader {
  version: MpegVersion;
  layer: MpegLayer;
  bitrateKbps: number;
  sampleRateHz: number;
  channels: 1 | 2;
  samplesPerFrame: number;
  frameBytes: number;
}

/** kbit/s by [version 1 or not][layer - 1][bitrate index]; index 0 (free format) is not supported. */
const BITRATES_KBPS: Record<'v1' | 'v2', readonly (readonly number[])[]> = {
  v1: [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  v2: [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
};

const SAMPLE_RATES_HZ: Record<MpegVersion, readonly number[]> = {
  '1': [44100, 48000, 32000],
  '2': [22050, 24000, 16000],
  '2.5': [11025, 12000, 8000],
};

/** Codec names as ffprobe prints them. */
const CODEC_BY_LAYER: Record<MpegLayer, string> = { 1: 'mp1', 2: 'mp2', 3: 'mp3' };

export function mpegAudioCodec(layer: MpegLayer): string {
  return CODEC_BY_LAYER[layer];
}

/** The 4-byte MPEG audio frame header at `at`, or undefined when those bytes are not one. */
export function parseFrameHeader(bytes: Buffer, at = 0): MpegFrameHeader | undefined {
  if (at + 4 > bytes.length) return undefined;
  const b1 = bytes[at + 1] ?? 0;
  const b2 = bytes[at + 2] ?? 0;
  const b3 = bytes[at + 3] ?? 0;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 0x3;
  const layerBits = (b1 >> 1) & 0x3;
  const bitrateIndex = b2 >> 4;
  const sampleRateIndex = (b2 >> 2) & 0x3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 0xf) return undefined;
  if (sampleRateIndex === 3) return undefined;
  const version: MpegVersion = versionBits === 3 ? '1' : versionBits === 2 ? '2' : '2.5';
  const layer = (4 - layerBits) as MpegLayer;
  const bitrateKbps = BITRATES_KBPS[version === '1' ? 'v1' : 'v2'][layer - 1]?.[bitrateIndex] ?? 0;
  const sampleRateHz = SAMPLE_RATES_HZ[version][sampleRateIndex] ?? 0;
  const padding = (b2 >> 1) & 0x1;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== '1' ? 576 : 1152;
  const frameBytes =
    layer === 1
      ? (Math.floor((12 * bitrateKbps * 1000) / sampleRateHz) + padding) * 4
      : Math.floor(((samplesPerFrame / 8) * bitrateKbps * 1000) / sampleRateHz) + padding;
  return {
    version,
    layer,
    bitrateKbps,
    sampleRateHz,
    channels: b3 >> 6 === 3 ? 1 : 2,
    samplesPerFrame,
    frameBytes,
  };
}

interface VbrHeader {
  kind: 'Xing' | 'Info' | 'VBRI';
  frames?: number;
  /** Bytes of the MPEG stream the encoder wrote, this frame included. */
  streamBytes?: number;
}

/** Offset of the Xing/Info tag within its frame: after the header and the side information. */
function xingOffset(frame: MpegFrameHeader): number {
  if (frame.version === '1') return frame.channels === 1 ? 4 + 17 : 4 + 32;
  return frame.channels === 1 ? 4 + 9 : 4 + 17;
}

function parseVbrHeader(frameBytes: Buffer, frame: MpegFrameHeader): VbrHeader | undefined {
  if (frame.layer !== 3) return undefined;
  const xingAt = xingOffset(frame);
  const tag = frameBytes.toString('latin1', xingAt, xingAt + 4);
  if ((tag === 'Xing' || tag === 'Info') && frameBytes.length >= xingAt + 8) {
    const flags = frameBytes.readUInt32BE(xingAt + 4);
    let at = xingAt + 8;
    const header: VbrHeader = { kind: tag };
    if (flags & 0x1 && frameBytes.length >= at + 4) {
      header.frames = frameBytes.readUInt32BE(at);
      at += 4;
    }
    if (flags & 0x2 && frameBytes.length >= at + 4) header.streamBytes = frameBytes.readUInt32BE(at);
    return header;
  }
  // VBRI (Fraunhofer) sits at a fixed place: 32 bytes after the frame header.
  if (frameBytes.toString('latin1', 36, 40) === 'VBRI' && frameBytes.length >= 36 + 18) {
    return {
      kind: 'VBRI',
      streamBytes: frameBytes.readUInt32BE(36 + 10),
      frames: frameBytes.readUInt32BE(36 + 14),
    };
  }
  return undefined;
}

/** The same stream continues: a frame of a different version, layer or rate is a false sync. */
function sameStream(first: MpegFrameHeader, next: MpegFrameHeader): boolean {
  return (
    first.version === next.version && first.layer === next.layer && first.sampleRateHz === next.sampleRateHz
  );
}

interface FirstFrame {
  offset: number;
  header: MpegFrameHeader;
}

/**
 * The first frame whose successor starts where its length says (or that ends the audio exactly):
 * one header alone is four bytes, and 0xFFEx turns up in tags and binary junk.
 */
async function findFirstFrame(
  window: ByteWindow,
  audioStart: number,
  audioEnd: number,
): Promise<FirstFrame | undefined> {
  const searchEnd = Math.min(audioEnd, audioStart + FRAME_SEARCH_BYTES);
  const region = await window.bytes(audioStart, searchEnd - audioStart);
  for (let index = 0; index + 4 <= region.length; index += 1) {
    if (region[index] !== 0xff) continue;
    const header = parseFrameHeader(region, index);
    if (!header) continue;
    const offset = audioStart + index;
    const nextOffset = offset + header.frameBytes;
    if (nextOffset === audioEnd) return { offset, header };
    if (nextOffset + 4 > audioEnd) continue;
    const nextBytes =
      nextOffset + 4 <= audioStart + region.length
        ? region.subarray(nextOffset - audioStart, nextOffset - audioStart + 4)
        : await window.bytes(nextOffset, 4);
    const next = parseFrameHeader(nextBytes);
    if (next && sameStream(header, next)) return { offset, header };
  }
  return undefined;
}

/**
 * The frame count a Xing/VBRI header gives, once its byte count is checked against the file. Some
 * encoders count their ID3 tags in it (ffmpeg writes the file's length), so the whole file is the
 * measure: generous, yet a cut-off upload still falls far short.
 */
function vbrFrames(vbr: VbrHeader, fileBytes: number, first: FirstFrame): number | undefined {
  const declaredBytes =
    vbr.streamBytes ??
    // A CBR 'Info' header without a byte count: every frame is (nearly) the size of the first.
    (vbr.kind === 'Info' && vbr.frames !== undefined
      ? (vbr.frames + 1) * first.header.frameBytes
      : undefined);
  if (declaredBytes !== undefined && fileBytes < declaredBytes * (1 - XING_SIZE_TOLERANCE)) {
    reject(
      'corrupt-media',
      `truncated: the ${vbr.kind} header declares ${declaredBytes} bytes of MPEG audio but the file has only ${fileBytes}`,
    );
  }
  return vbr.frames !== undefined && vbr.frames > 0 ? vbr.frames : undefined;
}

async function probeMp3(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes, head } = input;
  const window = new ByteWindow(input);
  const recognised = sniffContainer(head) !== undefined;

  const audioStart = await skipId3v2Tags(window);
  const audioEnd = sizeBytes - ((await endsWithId3v1(window, audioStart)) ? ID3V1_BYTES : 0);
  if (audioEnd <= audioStart) reject('empty-file', 'the MP3 holds no audio: only ID3 tags');

  const first = await findFirstFrame(window, audioStart, audioEnd);
  if (!first) {
    // Content that announced itself as MPEG audio but has no frames is damaged; anything else
    // only carried the extension.
    if (!recognised) {
      reject('format-mismatch', `expected MP3 (MPEG audio) but content looks like ${describeContent(head)}`);
    }
    const where = audioStart > 0 ? 'after the ID3v2 tag' : 'at the start of the file';
    reject(
      'corrupt-media',
      `no valid MPEG audio frame ${where} (searched ${Math.min(FRAME_SEARCH_BYTES, audioEnd - audioStart)} bytes from offset ${audioStart})`,
    );
  }

  const { header } = first;
  const firstFrameBytes = await window.bytes(first.offset, Math.min(header.frameBytes, 192));
  const vbr = parseVbrHeader(firstFrameBytes, header);
  const frames = vbr ? vbrFrames(vbr, sizeBytes, first) : undefined;
  let durationSec: number;
  if (frames !== undefined) {
    durationSec = (frames * header.samplesPerFrame) / header.sampleRateHz;
  } else {
    // Constant bit rate: every frame carries bitrate × duration bits, so size gives the time.
    const streamStart = vbr ? first.offset + header.frameBytes : first.offset;
    durationSec = ((audioEnd - streamStart) * 8) / (header.bitrateKbps * 1000);
  }
  if (durationSec <= 0) reject('empty-file', 'the MP3 holds no audio frames, only its Xing/Info header');
  return audioFacts({
    container: 'mp3',
    codec: mpegAudioCodec(header.layer),
    durationSec,
    channels: header.channels,
    sampleRateHz: header.sampleRateHz,
    sizeBytes,
  });
}

export const mp3Prober: FormatProber = {
  expected: 'MP3 (MPEG audio)',
  signatures: ['mp3'],
  // Some recorders write frames after a few bytes of junk; the prober searches for them itself.
  acceptsUnrecognised: true,
  probe: probeMp3,
};
