// WAV (RIFF/WAVE, RF64/BW64) prober: walks the chunk list with bounded reads to find `fmt ` and
// `data`, and never reads the samples themselves.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_ADPCM_MS = 0x0002;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_IMA_ADPCM = 0x0011;
const WAVE_FORMAT_GSM610 = 0x0031;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes 2..15 of KSDATAFORMAT_SUBTYPE_* GUIDs whose first two bytes are a plain format tag. */
const SUBFORMAT_GUID_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');

/** Size-field value of RF64 chunks whose real size lives in ds64, and of streamed headers. */
const SIZE_UNKNOWN = 0xffffffff;

/**
 * Hops beyond the head read this much at once: one round trip to S3 or SFTP costs the same for
 * 8 bytes or 4 KiB, and small chunks (fact, LIST) usually sit next to each other.
 */
const HOP_WINDOW_BYTES = 4096;

/** Extensible fmt is 40 bytes; anything after it is vendor data we do not need. */
const FMT_BYTES_USED = 40;

interface WavFormat {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

interface Ds64 {
  dataSize: number;
  sampleCount: number;
}

interface DataChunk {
  sizeBytes: number;
  /** Size came from the file's length, not the header (streamed or crashed writer). */
  restOfFile: boolean;
}

/** Bounded view over the file: serves from the head or the last window, reads a new window otherwise. */
class ChunkWindow {
  private windowOffset = 0;
  private window: Buffer;

  constructor(private readonly input: ProbeInput) {
    this.window = input.head;
  }

  /** Up to `length` bytes at `offset`; fewer only where the file ends. */
  async bytes(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.input.sizeBytes);
    if (offset >= this.windowOffset && end <= this.windowOffset + this.window.length) {
      return this.window.subarray(offset - this.windowOffset, end - this.windowOffset);
    }
    const needed = end - offset;
    const windowLength = Math.max(needed, Math.min(HOP_WINDOW_BYTES, this.input.remainingBudget()));
    this.window = await this.input.read(offset, windowLength);
    this.windowOffset = offset;
    return this.window.subarray(0, needed);
  }
}

function isChunkId(id: string): boolean {
  return /^[\x20-\x7e]{4}$/.test(id);
}

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(4, '0')}`;
}

function parseFmt(body: Buffer, declaredSize: number): WavFormat {
  if (declaredSize < 16) reject('corrupt-media', `fmt chunk is ${declaredSize} bytes; a WAV format needs 16`);
  if (body.length < 16) reject('corrupt-media', 'truncated: fmt chunk ends past the end of the file');
  let formatTag = body.readUInt16LE(0);
  const format: WavFormat = {
    formatTag,
    channels: body.readUInt16LE(2),
    sampleRateHz: body.readUInt32LE(4),
    byteRate: body.readUInt32LE(8),
    blockAlign: body.readUInt16LE(12),
    bitsPerSample: body.readUInt16LE(14),
  };
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (declaredSize < 40) {
      reject('corrupt-media', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${declaredSize} bytes; it needs 40`);
    }
    if (body.length < 40) reject('corrupt-media', 'truncated: fmt chunk ends past the end of the file');
    const subFormat = body.subarray(24, 40);
    // Sub-formats outside the KSDATAFORMAT family (e.g. ambisonic B-format) keep the extensible tag,
    // which then names no codec we know.
    if (subFormat.subarray(2).equals(SUBFORMAT_GUID_TAIL)) formatTag = subFormat.readUInt16LE(0);
  }
  format.formatTag = formatTag;
  if (format.channels === 0) reject('corrupt-media', 'fmt chunk declares 0 channels');
  if (format.sampleRateHz === 0) reject('corrupt-media', 'fmt chunk declares a sample rate of 0 Hz');
  if (format.blockAlign === 0) reject('corrupt-media', 'fmt chunk declares a block alignment of 0 bytes');
  return format;
}

/** PCM-like codecs have fixed-size frames, so the data size alone gives the duration exactly. */
function isPcmLike(formatTag: number): boolean {
  return (
    formatTag === WAVE_FORMAT_PCM ||
    formatTag === WAVE_FORMAT_IEEE_FLOAT ||
    formatTag === WAVE_FORMAT_ALAW ||
    formatTag === WAVE_FORMAT_MULAW
  );
}

/** Codec names as ffprobe prints them, so ours line up with what operators see in ffprobe. */
function codecName(format: WavFormat): string {
  // Like ffmpeg, name PCM by its container width: 20-bit samples in 3 bytes are pcm_s24le.
  const containerBits = Math.ceil(format.bitsPerSample / 8) * 8;
  switch (format.formatTag) {
    case WAVE_FORMAT_PCM:
      switch (containerBits) {
        case 8:
          return 'pcm_u8';
        case 16:
          return 'pcm_s16le';
        case 24:
          return 'pcm_s24le';
        case 32:
          return 'pcm_s32le';
        case 64:
          return 'pcm_s64le';
        default:
          return reject(
            'corrupt-media',
            `PCM with ${format.bitsPerSample} bits per sample is not a valid WAV`,
          );
      }
    case WAVE_FORMAT_IEEE_FLOAT:
      if (containerBits === 32) return 'pcm_f32le';
      if (containerBits === 64) return 'pcm_f64le';
      return reject(
        'corrupt-media',
        `IEEE float with ${format.bitsPerSample} bits per sample is not a valid WAV`,
      );
    case WAVE_FORMAT_ALAW:
      return 'pcm_alaw';
    case WAVE_FORMAT_MULAW:
      return 'pcm_mulaw';
    case WAVE_FORMAT_GSM610:
      return 'gsm_ms';
    case WAVE_FORMAT_IMA_ADPCM:
      return 'adpcm_ima_wav';
    case WAVE_FORMAT_ADPCM_MS:
      return 'adpcm_ms';
    default:
      // A valid WAV with a codec we do not name is still the customer's audio: describe, do not reject.
      return `unknown_${hex(format.formatTag)}`;
  }
}

function durationSec(format: WavFormat, data: DataChunk, factSamples: number | undefined): number {
  if (isPcmLike(format.formatTag)) {
    // Whole frames only; the header's byteRate is derived data that some writers get wrong.
    return Math.floor(data.sizeBytes / format.blockAlign) / format.sampleRateHz;
  }
  // A streamed header's fact count was written with the same placeholder sizes, so distrust it too.
  if (factSamples !== undefined && factSamples > 0 && !data.restOfFile) {
    return factSamples / format.sampleRateHz;
  }
  if (format.byteRate === 0) {
    reject('corrupt-media', `fmt chunk declares a byte rate of 0 for ${codecName(format)} and no fact chunk`);
  }
  return data.sizeBytes / format.byteRate;
}

function describeMissing(fmt: WavFormat | undefined, data: DataChunk | undefined): string {
  if (!fmt && !data) return 'fmt and data chunks';
  return fmt ? 'data chunk' : 'fmt chunk';
}

async function probeWav(input: ProbeInput): Promise<MediaFacts> {
  const { head, sizeBytes } = input;
  const riffId = head.toString('latin1', 0, 4);
  if (head.length < 12 || head.toString('latin1', 8, 12) !== 'WAVE') {
    reject('corrupt-media', 'truncated: the file ends inside the RIFF/WAVE header');
  }
  const isRf64 = riffId === 'RF64' || riffId === 'BW64';
  const window = new ChunkWindow(input);

  let fmt: WavFormat | undefined;
  let data: DataChunk | undefined;
  let ds64: Ds64 | undefined;
  let factSamples: number | undefined;
  /** A chunk whose declared size runs past the end of the file ended the walk. */
  let overrun: string | undefined;
  let previousChunkOdd = false;
  let position = 12;

  const wantsFact = (): boolean => fmt !== undefined && !isPcmLike(fmt.formatTag) && !data?.restOfFile;

  try {
    while (position + 8 <= sizeBytes) {
      let header = await window.bytes(position, 8);
      let id = header.toString('latin1', 0, 4);
      if (!isChunkId(id) && previousChunkOdd) {
        // Some writers forget the pad byte after an odd-sized chunk; ffmpeg tolerates it, so do we.
        const unpadded = await window.bytes(position - 1, 8);
        if (isChunkId(unpadded.toString('latin1', 0, 4))) {
          position -= 1;
          header = unpadded;
          id = header.toString('latin1', 0, 4);
        }
      }
      if (!isChunkId(id)) reject('corrupt-media', `unreadable chunk header at offset ${position}`);
      const declared = header.readUInt32LE(4);
      const bodyOffset = position + 8;
      const presentBytes = sizeBytes - bodyOffset;

      if (id === 'ds64' && isRf64) {
        const body = await window.bytes(bodyOffset, Math.min(declared, 24));
        if (body.length >= 24) {
          ds64 = { dataSize: Number(body.readBigUInt64LE(8)), sampleCount: Number(body.readBigUInt64LE(16)) };
        }
      } else if (id === 'fmt ') {
        fmt = parseFmt(await window.bytes(bodyOffset, Math.min(declared, FMT_BYTES_USED)), declared);
      } else if (id === 'fact' && declared >= 4) {
        const body = await window.bytes(bodyOffset, 4);
        if (body.length === 4) {
          const count = body.readUInt32LE(0);
          factSamples = count === SIZE_UNKNOWN && ds64 ? ds64.sampleCount : count;
        }
      } else if (id === 'data') {
        let dataSize = declared;
        let restOfFile = false;
        if (declared === SIZE_UNKNOWN && isRf64 && ds64) {
          dataSize = ds64.dataSize;
        } else if (declared === SIZE_UNKNOWN || (declared === 0 && presentBytes > 0)) {
          // Writers that stream (live call recorders, ffmpeg to a pipe, a crashed recorder) put a
          // placeholder size in the header and never come back to fix it: 0 or 0xFFFFFFFF. The
          // samples run to the end of the file, and rejecting them would lose real calls.
          dataSize = presentBytes;
          restOfFile = true;
        }
        if (dataSize > presentBytes) {
          reject(
            'corrupt-media',
            `truncated: data chunk declares ${dataSize} bytes but only ${presentBytes} are present`,
          );
        }
        data = { sizeBytes: dataSize, restOfFile };
        if (restOfFile) break;
      }

      if (fmt && data && !(wantsFact() && factSamples === undefined)) break;

      const chunkSize = id === 'data' && data ? data.sizeBytes : declared;
      const next = bodyOffset + chunkSize + (chunkSize % 2);
      if (bodyOffset + chunkSize > sizeBytes) {
        overrun = `${id.trim()} chunk at offset ${position} declares ${chunkSize} bytes but only ${presentBytes} are present`;
      }
      previousChunkOdd = chunkSize % 2 === 1;
      position = next;
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
    // Out of budget while only looking for an optional fact chunk: the byte rate will do.
    if (!fmt || !data) {
      reject(
        'corrupt-media',
        `could not find ${describeMissing(fmt, data)} within ${input.budgetBytes} bytes`,
      );
    }
  }

  if (!fmt || !data) {
    const missing = describeMissing(fmt, data);
    reject('corrupt-media', overrun ? `truncated: no ${missing}; ${overrun}` : `no ${missing} in the file`);
  }
  if (data.sizeBytes === 0) reject('empty-file', 'the WAV holds no audio: its data chunk is empty');

  const codec = codecName(fmt);
  const seconds = durationSec(fmt, data, factSamples);
  return {
    container: 'wav',
    codec,
    durationSec: Math.round(seconds * 1000) / 1000,
    channels: fmt.channels,
    sampleRateHz: fmt.sampleRateHz,
    sizeBytes,
    speakerSeparation: fmt.channels >= 2 ? 'channels' : 'diarization',
    probed: true,
  };
}

export const wavProber: FormatProber = {
  expected: 'WAV (RIFF/WAVE)',
  signatures: ['wav', 'rf64'],
  probe: probeWav,
};
