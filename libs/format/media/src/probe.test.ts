import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import { MAX_MEDIA_BYTES, bufferReader, countingReader, encodeWav, probeMedia } from './index';
import { assertRejection, untouchableReader } from '../test/wav-fixtures';

describe('probeMedia: rules for every format', () => {
  it('rejects an empty file as empty-file without reading it', async () => {
    await assertRejection(probeMedia(untouchableReader(0), { extension: 'wav' }), 'empty-file', /empty/);
  });

  it('rejects a file over 2 GiB as too-large without calling read', async () => {
    let reads = 0;
    const reader = {
      sizeBytes: MAX_MEDIA_BYTES + 1,
      read() {
        reads += 1;
        return Promise.resolve(Buffer.alloc(0));
      },
    };
    await assertRejection(probeMedia(reader, { extension: 'wav' }), 'too-large', /2147483649 bytes/);
    await assertRejection(probeMedia(reader, { extension: 'mp3' }), 'too-large', /2 GiB/);
    assert.equal(reads, 0);
  });

  it('takes exactly 2 GiB as within the limit', async () => {
    await assert.rejects(
      probeMedia(untouchableReader(MAX_MEDIA_BYTES), { extension: 'wav' }),
      /read must not/,
    );
  });

  it('accepts arf unprobed, without reading it', async () => {
    assert.deepEqual(await probeMedia(untouchableReader(123_456), { extension: 'arf' }), {
      container: 'arf',
      sizeBytes: 123_456,
      probed: false,
    });
  });

  it('throws a plain Error, not a rejection, for a format that has no prober yet', async () => {
    for (const extension of ['xyz', 'constructor', '__proto__']) {
      await assert.rejects(probeMedia(untouchableReader(100), { extension }), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(!(error instanceof RejectionError));
        assert.equal(error.message, `no prober for ${extension} yet`);
        return true;
      });
    }
  });

  it('tolerates a dotted or upper-case extension', async () => {
    const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1 });
    const facts = await probeMedia(bufferReader(wav), { extension: '.WAV' });
    assert.equal(facts.durationSec, 1);
  });

  it('rejects a .wav holding plain text as format-mismatch', async () => {
    const text = Buffer.from('caller_id,agent\n5551234,joe@example.com\nçà et là\n');
    await assertRejection(
      probeMedia(bufferReader(text), { extension: 'wav' }),
      'format-mismatch',
      'expected WAV (RIFF/WAVE) but content looks like plain text',
    );
  });

  it('rejects MP3 bytes named .wav as format-mismatch naming MP3', async () => {
    const id3 = Buffer.concat([
      Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x0a', 'latin1'),
      Buffer.alloc(4000, 0x55),
    ]);
    await assertRejection(
      probeMedia(bufferReader(id3), { extension: 'wav' }),
      'format-mismatch',
      'expected WAV (RIFF/WAVE) but content looks like MP3 (ID3)',
    );
    // A bare MPEG-1 Layer III frame: sync, 128 kbit/s, 44.1 kHz.
    const frames = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
    await assertRejection(probeMedia(bufferReader(frames), { extension: 'wav' }), 'format-mismatch', /MP3/);
  });

  it('names unknown binary content as such', async () => {
    const noise = Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0x00, 0x9c, 0x11, 0x00, 0x00, 0x00, 0x00]);
    await assertRejection(
      probeMedia(bufferReader(noise), { extension: 'wav' }),
      'format-mismatch',
      'expected WAV (RIFF/WAVE) but content looks like unknown binary',
    );
  });

  it('rejects a RIFF that is not WAVE (an AVI named .wav)', async () => {
    const avi = Buffer.concat([Buffer.from('RIFF\x00\x10\x00\x00AVI LIST', 'latin1'), Buffer.alloc(64)]);
    await assertRejection(
      probeMedia(bufferReader(avi), { extension: 'wav' }),
      'format-mismatch',
      /RIFF\/AVI/,
    );
  });

  it('reads no more than the budget, head included', async () => {
    const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 10 });
    const counted = countingReader(bufferReader(wav));
    await probeMedia(counted, { extension: 'wav', maxReadBytes: 1000 });
    assert.ok(counted.bytesRead <= 1000, `read ${counted.bytesRead} bytes`);
    assert.equal(counted.reads, 1);
  });
});
