import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection } from '../../test/wav-fixtures';
import { assertNeverCrashes, mpegFrames, patternReader } from '../../test/audio-builders';

const FRAME_BYTES = 33;

/** Frames that start with the signature nibble (0xD) and carry arbitrary coefficients. */
function gsmFrames(count: number): Buffer {
  const file = Buffer.alloc(count * FRAME_BYTES, 0x49);
  for (let index = 0; index < count; index += 1) file[index * FRAME_BYTES] = 0xd0 | (index % 16);
  return file;
}

function probeGsm(file: Buffer) {
  return probeMedia(bufferReader(file), { extension: 'gsm' });
}

describe('GSM probe', () => {
  it('times raw GSM 06.10 by its 20 ms frames', async () => {
    // ffmpeg -c:a libgsm -f gsm and sox, 3.3 s: 5445 bytes; ffprobe 5.1 says gsm, 1, 8000, 3.300000.
    const file = gsmFrames(165);
    assert.equal(file.length, 5445);
    assert.deepEqual(await probeGsm(file), {
      container: 'gsm',
      codec: 'gsm',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: 5445,
      speakerSeparation: 'diarization',
      probed: true,
    });
  });

  it('checks frames spread over a 1.5 GB file, reading little more than the head', async () => {
    const sizeBytes = FRAME_BYTES * 45_000_000;
    const reader = countingReader(
      patternReader(sizeBytes, (offset) => (offset % FRAME_BYTES === 0 ? 0xd4 : 0x21)),
    );
    const facts = await probeMedia(reader, { extension: 'gsm' });
    assert.equal(facts.durationSec, 900_000);
    assert.ok(reader.bytesRead < 64 * 1024 + 4 * FRAME_BYTES + 1, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 5);
  });
});

describe('GSM probe: rejections', () => {
  it('rejects a size that is not whole frames', async () => {
    await assertRejection(
      probeGsm(gsmFrames(100).subarray(0, 3290)),
      'corrupt-media',
      'truncated: 3290 bytes is not a whole number of 33-byte GSM frames',
    );
  });

  it('rejects frames without the signature nibble, in the head or far beyond it', async () => {
    const damaged = gsmFrames(100);
    damaged[50 * FRAME_BYTES] = 0x20;
    await assertRejection(
      probeGsm(damaged),
      'corrupt-media',
      'GSM frame 50 (offset 1650) lacks the 0xD signature nibble',
    );
    const sizeBytes = FRAME_BYTES * 1_000_000;
    const farAway = patternReader(sizeBytes, (offset) =>
      offset % FRAME_BYTES === 0 && offset < sizeBytes / 2 ? 0xd4 : 0x21,
    );
    await assertRejection(
      probeMedia(farAway, { extension: 'gsm' }),
      'corrupt-media',
      /^GSM frame \d+ \(offset \d+\) lacks the 0xD signature nibble$/,
    );
  });

  it('rejects noise named .gsm as corrupt-media: without a magic number it is undecodable GSM', async () => {
    const noise = Buffer.from(Array.from({ length: 3300 }, (_, index) => (index * 37 + 11) % 256));
    await assertRejection(
      probeGsm(noise),
      'corrupt-media',
      'not raw GSM 06.10: the first frame lacks the 0xD signature nibble',
    );
  });

  it('rejects content that sniffs as something else as format-mismatch', async () => {
    await assertRejection(
      probeGsm(Buffer.from('GSM recording\n')),
      'format-mismatch',
      'expected raw GSM 06.10 but content looks like plain text',
    );
    const mp3 = mpegFrames({ version: '2.5', layer: 3, bitrateKbps: 16, sampleRateHz: 8000, mono: true }, 5);
    await assertRejection(
      probeGsm(mp3),
      'format-mismatch',
      'expected raw GSM 06.10 but content looks like MP3 (MPEG audio frame)',
    );
    await assertRejection(
      probeGsm(Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like WAV/,
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(gsmFrames(40), 'gsm');
  });
});
