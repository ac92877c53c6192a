// Sun/NeXT audio (.au, .snd) prober: one fixed header gives everything: where the samples start,
// how many bytes they take (or "unknown": to the end of the file), encoding, rate and channels.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';

const HEADER_BYTES = 24;
/** Data size of a header written to a pipe: the samples run to the end of the file. */
const SIZE_UNKNOWN = 0xffffffff;

interface AuEncoding {
  codec: string;
  bitsPerSample: number;
}

/** Encodings ffmpeg reads, with its codec names; G.726 comes in three widths under one name. */
const ENCODINGS: ReadonlyMap<number, AuEncoding> = new Map([
  [1, { codec: 'pcm_mulaw', bitsPerSample: 8 }],
  [2, { codec: 'pcm_s8', bitsPerSample: 8 }],
  [3, { codec: 'pcm_s16be', bitsPerSample: 16 }],
  [4, { codec: 'pcm_s24be', bitsPerSample: 24 }],
  [5, { codec: 'pcm_s32be', bitsPerSample: 32 }],
  [6, { codec: 'pcm_f32be', bitsPerSample: 32 }],
  [7, { codec: 'pcm_f64be', bitsPerSample: 64 }],
  [23, { codec: 'adpcm_g726le', bitsPerSample: 4 }],
  [25, { codec: 'adpcm_g726le', bitsPerSample: 3 }],
  [26, { codec: 'adpcm_g726le', bitsPerSample: 5 }],
  [27, { codec: 'pcm_alaw', bitsPerSample: 8 }],
]);

async function probeAu(input: ProbeInput): Promise<MediaFacts> {
  const { head, sizeBytes } = input;
  if (head.length < HEADER_BYTES) reject('corrupt-media', 'truncated: the file ends inside the .snd header');
  const dataOffset = head.readUInt32BE(4);
  const declaredBytes = head.readUInt32BE(8);
  const encodingId = head.readUInt32BE(12);
  const sampleRateHz = head.readUInt32BE(16);
  const channels = head.readUInt32BE(20);
  if (dataOffset < HEADER_BYTES) {
    reject('corrupt-media', `the .snd header puts the samples at offset ${dataOffset}, inside the header`);
  }
  if (channels === 0) reject('corrupt-media', '.snd header declares 0 channels');
  if (sampleRateHz === 0) reject('corrupt-media', '.snd header declares a sample rate of 0 Hz');
  const presentBytes = Math.max(0, sizeBytes - dataOffset);
  // Writers that cannot seek back leave the documented all-ones, or 0 as some WAV writers do.
  const restOfFile = declaredBytes === SIZE_UNKNOWN || (declaredBytes === 0 && presentBytes > 0);
  const dataBytes = restOfFile ? presentBytes : declaredBytes;
  if (dataBytes > presentBytes) {
    reject(
      'corrupt-media',
      `truncated: the .snd header declares ${dataBytes} bytes of samples but only ${presentBytes} are present`,
    );
  }
  if (dataBytes === 0) reject('empty-file', 'the .au file holds no audio: its data section is empty');

  const encoding = ENCODINGS.get(encodingId);
  // An encoding we cannot name is still the customer's audio: describe it, without a duration.
  const codec = encoding?.codec ?? `unknown_${encodingId}`;
  const frameBits = encoding ? encoding.bitsPerSample * channels : undefined;
  // PCM frames are whole bytes: a trailing partial frame is no sample.
  const frames =
    frameBits === undefined
      ? undefined
      : frameBits % 8 === 0
        ? Math.floor((dataBytes * 8) / frameBits)
        : (dataBytes * 8) / frameBits;
  if (frames === 0) reject('empty-file', `the .au file holds ${dataBytes} bytes: less than one sample frame`);
  return audioFacts({
    container: 'au',
    codec,
    ...(frames === undefined ? {} : { durationSec: frames / sampleRateHz }),
    channels,
    sampleRateHz,
    sizeBytes,
  });
}

export const auProber: FormatProber = {
  expected: 'Sun/NeXT audio (.snd)',
  signatures: ['au'],
  probe: probeAu,
};
