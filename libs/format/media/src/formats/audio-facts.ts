// The MediaFacts every audio prober returns, built in one place so rounding, the speaker
// separation rule (two or more channels: one speaker per channel) and the last sanity checks stay
// the same for every format: a damaged header must end in a rejection, never in facts that would
// mislead pairing (a rate of 500 GHz, a call of 0 ms).
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';

/** Beyond any recording format in use (DXD is 352.8 kHz); higher means a damaged header. */
const MAX_SAMPLE_RATE_HZ = 768_000;
/** Below any speech codec (telephony starts at 8 kHz, old formats at 4 kHz). */
const MIN_SAMPLE_RATE_HZ = 1_000;
/** Opus and Ogg carry at most 255 channels; more means a damaged header. */
const MAX_CHANNELS = 255;

export interface AudioFacts {
  container: string;
  codec: string;
  /** Unrounded; omitted only when the format cannot tell (an unknown codec). */
  durationSec?: number;
  channels: number;
  sampleRateHz: number;
  sizeBytes: number;
}

export function audioFacts(facts: AudioFacts): MediaFacts {
  const { container, codec, channels, sampleRateHz, sizeBytes } = facts;
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    reject('corrupt-media', `implausible channel count ${channels}: the ${container} header is damaged`);
  }
  if (!(sampleRateHz >= MIN_SAMPLE_RATE_HZ && sampleRateHz <= MAX_SAMPLE_RATE_HZ)) {
    reject(
      'corrupt-media',
      `implausible sample rate of ${sampleRateHz} Hz: the ${container} header is damaged`,
    );
  }
  const durationSec =
    facts.durationSec === undefined ? undefined : Math.round(facts.durationSec * 1000) / 1000;
  if (durationSec !== undefined && !Number.isFinite(durationSec)) {
    reject('corrupt-media', `the ${container} headers give no usable duration`);
  }
  if (durationSec !== undefined && durationSec <= 0) {
    reject('empty-file', `the ${container} holds less than a millisecond of audio`);
  }
  return {
    container,
    codec,
    ...(durationSec === undefined ? {} : { durationSec }),
    channels,
    sampleRateHz,
    sizeBytes,
    speakerSeparation: channels >= 2 ? 'channels' : 'diarization',
    probed: true,
  };
}
