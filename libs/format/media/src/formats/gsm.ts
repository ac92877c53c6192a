// Raw GSM 06.10 prober: the file is nothing but 33-byte frames of 160 samples (20 ms at 8 kHz,
// mono), so the size gives the duration. With no header, the frames themselves are the check:
// each starts with the signature nibble 0xD, and the file holds whole frames only.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';

const FRAME_BYTES = 33;
const FRAME_SECONDS = 0.02;
const SAMPLE_RATE_HZ = 8000;
const SIGNATURE_NIBBLE = 0xd;

/** Frames checked past the head: a few spread over the file, each one small ranged read. */
const SPREAD_SAMPLES = 4;

function hasSignature(frame: Buffer): boolean {
  return frame.length === FRAME_BYTES && (frame[0] ?? 0) >> 4 === SIGNATURE_NIBBLE;
}

async function probeGsm(input: ProbeInput): Promise<MediaFacts> {
  const { head, sizeBytes } = input;
  // Without a magic number, content that is no GSM cannot be told from damaged GSM: both are
  // undecodable. The first frame is checked before the size, so noise is not called truncated.
  if ((head[0] ?? 0) >> 4 !== SIGNATURE_NIBBLE) {
    reject('corrupt-media', 'not raw GSM 06.10: the first frame lacks the 0xD signature nibble');
  }
  if (sizeBytes % FRAME_BYTES !== 0) {
    reject(
      'corrupt-media',
      `truncated: ${sizeBytes} bytes is not a whole number of ${FRAME_BYTES}-byte GSM frames`,
    );
  }
  const frameCount = sizeBytes / FRAME_BYTES;
  const headFrames = Math.floor(head.length / FRAME_BYTES);
  for (let index = 0; index < headFrames; index += 1) {
    if (!hasSignature(head.subarray(index * FRAME_BYTES, (index + 1) * FRAME_BYTES))) {
      reject(
        'corrupt-media',
        `GSM frame ${index} (offset ${index * FRAME_BYTES}) lacks the 0xD signature nibble`,
      );
    }
  }
  if (frameCount > headFrames) {
    const picks = new Set<number>();
    for (let step = 1; step <= SPREAD_SAMPLES; step += 1) {
      picks.add(headFrames + Math.floor(((frameCount - 1 - headFrames) * step) / SPREAD_SAMPLES));
    }
    for (const index of picks) {
      const frame = await input.read(index * FRAME_BYTES, FRAME_BYTES);
      if (!hasSignature(frame)) {
        reject(
          'corrupt-media',
          `GSM frame ${index} (offset ${index * FRAME_BYTES}) lacks the 0xD signature nibble`,
        );
      }
    }
  }
  return audioFacts({
    container: 'gsm',
    codec: 'gsm',
    durationSec: frameCount * FRAME_SECONDS,
    channels: 1,
    sampleRateHz: SAMPLE_RATE_HZ,
    sizeBytes,
  });
}

export const gsmProber: FormatProber = {
  expected: 'raw GSM 06.10',
  signatures: [],
  // Raw GSM has no magic number; the prober checks the frames itself.
  acceptsUnrecognised: true,
  probe: probeGsm,
};
