// AIFF and AIFF-C prober: walks the chunk list with bounded reads to find COMM (channels, frame
// count, sample size, rate as an 80-bit float, compression type) and SSND, never the samples.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';

/** COMM of AIFF-C: 18 bytes of AIFF, the compression type, then its name as a Pascal string. */
const COMM_BYTES_USED = 22;
/** SSND starts with an offset and a block size before the samples. */
const SSND_PREFIX_BYTES = 8;

interface Comm {
  channels: number;
  sampleFrames: number;
  sampleBits: number;
  sampleRateHz: number;
  /** 'NONE' for plain AIFF. */
  compression: string;
}

interface Codec {
  name: string;
  /** Bytes per sample frame of all channels; undefined for codecs that pack frames into blocks. */
  frameBytes?: number;
  /** Samples per COMM frame: ima4 and GSM count packets, not samples. */
  samplesPerFrame: number;
}

/** IEEE 754 80-bit extended: sign and 15-bit exponent, then a 64-bit mantissa with explicit 1. */
export function readExtended(bytes: Buffer, at: number): number {
  const exponent = bytes.readUInt16BE(at) & 0x7fff;
  const mantissa = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
  if (exponent === 0 && mantissa === 0) return 0;
  return mantissa * 2 ** (exponent - 16383 - 63);
}

function isChunkId(id: string): boolean {
  return /^[\x20-\x7e]{4}$/.test(id);
}

/** Big-endian PCM named by container width, as ffmpeg does; `le` for AIFF-C 'sowt'. */
function pcmCodec(comm: Comm, endian: 'be' | 'le'): Codec {
  const bytes = Math.ceil(comm.sampleBits / 8);
  if (bytes === 1) return { name: 'pcm_s8', frameBytes: comm.channels, samplesPerFrame: 1 };
  if (bytes < 2 || bytes > 4) {
    reject('corrupt-media', `PCM with ${comm.sampleBits} bits per sample is not a valid AIFF`);
  }
  return { name: `pcm_s${bytes * 8}${endian}`, frameBytes: bytes * comm.channels, samplesPerFrame: 1 };
}

/** Codec names as ffprobe prints them, by AIFF-C compression type (case varies between writers). */
function codecOf(comm: Comm): Codec {
  const fixed = (name: string, bytesPerSample: number): Codec => ({
    name,
    frameBytes: bytesPerSample * comm.channels,
    samplesPerFrame: 1,
  });
  switch (comm.compression.toLowerCase()) {
    case 'none':
    case 'twos':
      return pcmCodec(comm, 'be');
    case 'sowt':
      return pcmCodec(comm, 'le');
    case 'in24':
      return fixed('pcm_s24be', 3);
    case 'in32':
      return fixed('pcm_s32be', 4);
    case 'raw ':
      return fixed('pcm_u8', 1);
    case 'fl32':
      return fixed('pcm_f32be', 4);
    case 'fl64':
      return fixed('pcm_f64be', 8);
    case 'ulaw':
      return fixed('pcm_mulaw', 1);
    case 'alaw':
      return fixed('pcm_alaw', 1);
    case 'ima4':
      return { name: 'adpcm_ima_qt', samplesPerFrame: 64 };
    case 'gsm ':
      return { name: 'gsm', samplesPerFrame: 160 };
    default:
      // A valid AIFF-C with a codec we do not name is still audio; its frames still count samples.
      return { name: `unknown_${comm.compression.replace(/[^\x21-\x7e]/g, '_')}`, samplesPerFrame: 1 };
  }
}

function parseComm(body: Buffer, declared: number, isAifc: boolean): Comm {
  const needed = isAifc ? COMM_BYTES_USED : 18;
  if (declared < needed) reject('corrupt-media', `COMM chunk is ${declared} bytes; it needs ${needed}`);
  if (body.length < needed) reject('corrupt-media', 'truncated: COMM chunk ends past the end of the file');
  const comm: Comm = {
    channels: body.readUInt16BE(0),
    sampleFrames: body.readUInt32BE(2),
    sampleBits: body.readUInt16BE(6),
    sampleRateHz: Math.round(readExtended(body, 8)),
    compression: isAifc ? body.toString('latin1', 18, 22) : 'NONE',
  };
  if (comm.channels === 0) reject('corrupt-media', 'COMM chunk declares 0 channels');
  if (comm.sampleRateHz === 0) reject('corrupt-media', 'COMM chunk declares a sample rate of 0 Hz');
  return comm;
}

async function probeAiff(input: ProbeInput): Promise<MediaFacts> {
  const { head, sizeBytes, budgetBytes } = input;
  if (head.length < 12) reject('corrupt-media', 'truncated: the file ends inside the FORM/AIFF header');
  const isAifc = head.toString('latin1', 8, 12) === 'AIFC';
  const window = new ByteWindow(input);

  let comm: Comm | undefined;
  /** Bytes of sample data SSND holds (after its offset field), as far as the file has them. */
  let soundBytes: number | undefined;
  let overrun: string | undefined;
  let position = 12;
  try {
    while (position + 8 <= sizeBytes && !(comm && soundBytes !== undefined)) {
      const header = await window.bytes(position, 8);
      const id = header.toString('latin1', 0, 4);
      if (!isChunkId(id)) reject('corrupt-media', `unreadable chunk header at offset ${position}`);
      const declared = header.readUInt32BE(4);
      const bodyOffset = position + 8;
      const presentBytes = sizeBytes - bodyOffset;
      if (id === 'COMM') {
        comm = parseComm(
          await window.bytes(bodyOffset, Math.min(declared, COMM_BYTES_USED)),
          declared,
          isAifc,
        );
      } else if (id === 'SSND') {
        const prefix = await window.bytes(bodyOffset, SSND_PREFIX_BYTES);
        if (declared === 0 && prefix.length === SSND_PREFIX_BYTES) {
          // A streaming writer's placeholder: the samples run to the end of the file.
          soundBytes = Math.max(0, presentBytes - SSND_PREFIX_BYTES - prefix.readUInt32BE(0));
          break;
        }
        if (prefix.length < SSND_PREFIX_BYTES || declared < SSND_PREFIX_BYTES) {
          reject('corrupt-media', 'truncated: the SSND chunk ends inside its header');
        }
        if (declared > presentBytes) {
          reject(
            'corrupt-media',
            `truncated: SSND chunk declares ${declared} bytes but only ${presentBytes} are present`,
          );
        }
        soundBytes = Math.max(0, declared - SSND_PREFIX_BYTES - prefix.readUInt32BE(0));
      } else if (bodyOffset + declared > sizeBytes) {
        overrun = `${id.trim()} chunk at offset ${position} declares ${declared} bytes but only ${presentBytes} are present`;
      }
      position = bodyOffset + declared + (declared % 2);
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
    reject('corrupt-media', `could not find the ${comm ? 'SSND' : 'COMM'} chunk within ${budgetBytes} bytes`);
  }
  if (!comm) {
    reject('corrupt-media', overrun ? `truncated: no COMM chunk; ${overrun}` : 'no COMM chunk in the file');
  }
  if (comm.sampleFrames === 0) {
    if (!soundBytes) reject('empty-file', 'the AIFF holds no audio: COMM declares 0 sample frames');
    // ffmpeg refuses these too: a writer that never went back to fill in the header.
    reject('corrupt-media', `COMM declares 0 sample frames but SSND holds ${soundBytes} bytes`);
  }
  if (soundBytes === undefined) {
    reject('corrupt-media', overrun ? `truncated: no SSND chunk; ${overrun}` : 'no SSND chunk in the file');
  }
  const codec = codecOf(comm);
  if (codec.frameBytes !== undefined && comm.sampleFrames * codec.frameBytes > soundBytes) {
    reject(
      'corrupt-media',
      `truncated: COMM declares ${comm.sampleFrames} sample frames (${comm.sampleFrames * codec.frameBytes} bytes) but SSND holds ${soundBytes} bytes`,
    );
  }
  return audioFacts({
    container: 'aiff',
    codec: codec.name,
    durationSec: (comm.sampleFrames * codec.samplesPerFrame) / comm.sampleRateHz,
    channels: comm.channels,
    sampleRateHz: comm.sampleRateHz,
    sizeBytes,
  });
}

export const aiffProber: FormatProber = {
  expected: 'AIFF (FORM/AIFF or AIFC)',
  signatures: ['aiff'],
  probe: probeAiff,
};
