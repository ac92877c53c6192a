// WAVEFORMATEX, the audio format record Microsoft containers share: ASF (WMA/WMV) stream
// properties and Matroska's A_MS/ACM codec private data carry it.

export interface WaveFormatEx {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
}

/** wFormatTag values, with the names ffprobe prints for them (libavformat/riff.c). */
const CODEC_BY_FORMAT_TAG: ReadonlyMap<number, string> = new Map([
  [0x0002, 'adpcm_ms'],
  [0x0006, 'pcm_alaw'],
  [0x0007, 'pcm_mulaw'],
  [0x000a, 'wmavoice'],
  [0x0011, 'adpcm_ima_wav'],
  [0x0022, 'truespeech'],
  [0x0031, 'gsm_ms'],
  [0x0042, 'g723_1'],
  [0x0045, 'adpcm_g726'],
  [0x0050, 'mp2'],
  [0x0055, 'mp3'],
  [0x0057, 'amr_nb'],
  [0x0058, 'amr_wb'],
  [0x00ff, 'aac'],
  [0x0130, 'sipr'],
  [0x0160, 'wmav1'],
  [0x0161, 'wmav2'],
  [0x0162, 'wmapro'],
  [0x0163, 'wmalossless'],
  [0x028f, 'adpcm_g722'],
  [0x1500, 'gsm_ms'],
  [0x1600, 'aac'],
  [0x2000, 'ac3'],
  [0x2001, 'dts'],
  [0xa106, 'aac'],
  [0xa109, 'speex'],
  [0xf1ac, 'flac'],
]);

export const WAVE_FORMAT_BYTES = 16;

/** The fixed part of a WAVEFORMATEX; callers check there are WAVE_FORMAT_BYTES. */
export function parseWaveFormatEx(bytes: Buffer): WaveFormatEx {
  return {
    formatTag: bytes.readUInt16LE(0),
    channels: bytes.readUInt16LE(2),
    sampleRateHz: bytes.readUInt32LE(4),
    bitsPerSample: bytes.readUInt16LE(14),
  };
}

/** The codec name ffprobe gives a WAVEFORMATEX; `unknown_0x....` for tags it has no decoder for. */
export function waveFormatCodecName(format: WaveFormatEx): string {
  if (format.formatTag === 0x0001) {
    // Like ffmpeg, PCM is named by its container width.
    const containerBits = Math.ceil(format.bitsPerSample / 8) * 8;
    if (containerBits === 8) return 'pcm_u8';
    if (containerBits === 24) return 'pcm_s24le';
    if (containerBits === 32) return 'pcm_s32le';
    return 'pcm_s16le';
  }
  if (format.formatTag === 0x0003) return format.bitsPerSample === 64 ? 'pcm_f64le' : 'pcm_f32le';
  return (
    CODEC_BY_FORMAT_TAG.get(format.formatTag) ?? `unknown_0x${format.formatTag.toString(16).padStart(4, '0')}`
  );
}
