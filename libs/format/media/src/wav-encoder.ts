// Synthetic WAV files for tests and demos: a PCM tone with a canonical 44-byte header.

export interface EncodeWavOptions {
  sampleRateHz: number;
  channels: number;
  durationSec: number;
  bitsPerSample?: 8 | 16;
  /** Tone of the first channel; default 440 Hz. */
  frequencyHz?: number;
  /**
   * Makes the bytes unique to this tag (the first bytes of audio carry its hash; inaudible):
   * the service takes the same bytes under a second name as a duplicate of the first.
   */
  uniqueTag?: string | number;
}

const HEADER_BYTES = 44;
/** Half scale: a clearly audible tone that never clips. */
const AMPLITUDE = 0.5;

export function encodeWav(opts: EncodeWavOptions): Buffer {
  const { sampleRateHz, channels, durationSec } = opts;
  const bitsPerSample = opts.bitsPerSample ?? 16;
  const frequencyHz = opts.frequencyHz ?? 440;
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1) {
    throw new RangeError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) {
    throw new RangeError(`channels must be an integer from 1 to 65535, got ${channels}`);
  }
  if (!Number.isFinite(durationSec) || durationSec < 0) {
    throw new RangeError(`durationSec must be a non-negative number, got ${durationSec}`);
  }
  const bytesPerSample = bitsPerSample / 8;
  const blockAlign = channels * bytesPerSample;
  const frames = Math.round(durationSec * sampleRateHz);
  const dataBytes = frames * blockAlign;
  const wav = Buffer.alloc(HEADER_BYTES + dataBytes + (dataBytes % 2));

  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(channels, 22);
  wav.writeUInt32LE(sampleRateHz, 24);
  wav.writeUInt32LE(sampleRateHz * blockAlign, 28);
  wav.writeUInt16LE(blockAlign, 32);
  wav.writeUInt16LE(bitsPerSample, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(dataBytes, 40);

  for (let frame = 0; frame < frames; frame += 1) {
    for (let channel = 0; channel < channels; channel += 1) {
      // Each channel on its own harmonic, so a test can tell one speaker's channel from another's.
      const phase = (2 * Math.PI * frequencyHz * (channel + 1) * frame) / sampleRateHz;
      const level = AMPLITUDE * Math.sin(phase);
      const offset = HEADER_BYTES + frame * blockAlign + channel * bytesPerSample;
      // 8-bit WAV is unsigned with silence at 128; 16-bit is signed.
      if (bitsPerSample === 8) wav.writeUInt8(Math.round(128 + 127 * level), offset);
      else wav.writeInt16LE(Math.round(32767 * level), offset);
    }
  }
  if (opts.uniqueTag !== undefined) stampTag(wav, String(opts.uniqueTag), HEADER_BYTES);
  return wav;
}

/** Writes a 32-bit FNV-1a hash of `tag` over the first audio bytes there are (up to 4). */
export function stampTag(wav: Buffer, tag: string, dataOffset = HEADER_BYTES): Buffer {
  let hash = 0x811c9dc5;
  for (const char of Buffer.from(tag, 'utf8')) hash = Math.imul(hash ^ char, 0x01000193) >>> 0;
  const room = Math.min(4, wav.length - dataOffset);
  for (let index = 0; index < room; index += 1) wav[dataOffset + index] = (hash >>> (8 * index)) & 0xff;
  return wav;
}
