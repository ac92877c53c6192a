import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import { readExtended } from './aiff';
import { assertNeverCrashes, comm, extended80, form, iffChunk, ssnd } from '../../test/audio-builders';

function probeAiff(file: Buffer, extension = 'aiff') {
  return probeMedia(bufferReader(file), { extension });
}

describe('AIFF probe', () => {
  it('reads 16-bit AIFF', async () => {
    // ffmpeg -c:a pcm_s16be -ac 1 -ar 8000 (3.3 s): ffprobe 5.1 says pcm_s16be, 1, 8000, 3.300000.
    const file = form('AIFF', [
      comm({ channels: 1, sampleFrames: 26400, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(52800),
    ]);
    const counted = countingReader(bufferReader(file));
    assert.deepEqual(await probeMedia(counted, { extension: 'aif' }), {
      container: 'aiff',
      codec: 'pcm_s16be',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(counted.reads, 1);
  });

  it('reads the 80-bit sample rates writers use', () => {
    for (const rate of [8000, 11025, 16000, 22050, 44100, 48000, 96000]) {
      assert.equal(readExtended(extended80(rate), 0), rate);
    }
    // 44100 Hz exactly as every AIFF writer stores it.
    assert.equal(readExtended(Buffer.from('400eac44000000000000', 'hex'), 0), 44100);
  });

  it('names AIFF-C codecs as ffprobe does', async () => {
    // ffmpeg -f aiff with pcm_mulaw / pcm_alaw / pcm_f32be / pcm_s16le (AIFF-C ulaw, alaw, fl32,
    // sowt): ffprobe 5.1 says pcm_mulaw, pcm_alaw, pcm_f32be, pcm_s16le, each 3.300000 s.
    const cases: Array<[string, number, number, string]> = [
      ['ulaw', 16, 1, 'pcm_mulaw'],
      ['alaw', 16, 1, 'pcm_alaw'],
      ['fl32', 32, 4, 'pcm_f32be'],
      ['sowt', 16, 2, 'pcm_s16le'],
      ['NONE', 24, 3, 'pcm_s24be'],
      ['in32', 32, 4, 'pcm_s32be'],
    ];
    for (const [compression, sampleBits, bytesPerSample, codec] of cases) {
      const file = form('AIFC', [
        iffChunk('FVER', Buffer.from('a2805140', 'hex')),
        comm({ channels: 2, sampleFrames: 52800, sampleBits, sampleRateHz: 16000, compression }),
        ssnd(52800 * 2 * bytesPerSample),
      ]);
      const facts = await probeAiff(file);
      assert.deepEqual([facts.codec, facts.durationSec, facts.channels], [codec, 3.3, 2], compression);
    }
  });

  it('names 8-bit AIFF pcm_s8, and times ima4 by its 64-sample packets', async () => {
    const s8 = await probeAiff(
      form('AIFF', [
        comm({ channels: 1, sampleFrames: 8000, sampleBits: 8, sampleRateHz: 8000 }),
        ssnd(8000),
      ]),
    );
    assert.deepEqual([s8.codec, s8.durationSec], ['pcm_s8', 1]);
    const ima4 = await probeAiff(
      form('AIFC', [
        comm({ channels: 1, sampleFrames: 250, sampleBits: 16, sampleRateHz: 16000, compression: 'ima4' }),
        ssnd(250 * 34),
      ]),
    );
    assert.deepEqual([ima4.codec, ima4.durationSec], ['adpcm_ima_qt', 1]);
  });

  it('finds COMM and SSND after other chunks, and SSND before COMM', async () => {
    const facts = await probeAiff(
      form('AIFF', [
        iffChunk('NAME', Buffer.from('call')),
        iffChunk('ANNO', Buffer.from('odd')),
        ssnd(16000),
        comm({ channels: 2, sampleFrames: 4000, sampleBits: 16, sampleRateHz: 8000 }),
      ]),
    );
    assert.equal(facts.durationSec, 0.5);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('hops over a 300 MB application chunk through ranged reads, reading under 1 MiB', async () => {
    const appBytes = 300_000_000;
    const head = Buffer.concat([
      Buffer.from('FORM\x00\x00\x00\x00AIFF', 'latin1'),
      iffChunk('APPL', Buffer.alloc(0), appBytes),
    ]);
    const tail = Buffer.concat([
      comm({ channels: 1, sampleFrames: 8000 * 60, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(0, 8 + 8000 * 60 * 2),
    ]);
    const sizeBytes = head.length + appBytes + tail.length + 8000 * 60 * 2;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: head.length + appBytes, bytes: tail },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'aiff' });
    assert.equal(facts.durationSec, 60);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
  });
});

describe('AIFF probe: rejections', () => {
  it('rejects a truncated SSND chunk', async () => {
    const file = form('AIFF', [
      comm({ channels: 1, sampleFrames: 26400, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(52800),
    ]);
    await assertRejection(
      probeAiff(file.subarray(0, 30000)),
      'corrupt-media',
      'truncated: SSND chunk declares 52808 bytes but only 29954 are present',
    );
  });

  it('rejects COMM promising more frames than SSND holds', async () => {
    const file = form('AIFF', [
      comm({ channels: 1, sampleFrames: 26400, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(1000),
    ]);
    await assertRejection(
      probeAiff(file),
      'corrupt-media',
      'truncated: COMM declares 26400 sample frames (52800 bytes) but SSND holds 1000 bytes',
    );
  });

  it('rejects a header a streaming writer never finished, as ffmpeg does', async () => {
    // ffmpeg -f aiff to a pipe: COMM frames 0, SSND size 0; ffprobe 5.1: "Invalid data found".
    const file = form('AIFF', [
      comm({ channels: 1, sampleFrames: 0, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(4000, 0),
    ]);
    await assertRejection(
      probeAiff(file),
      'corrupt-media',
      'COMM declares 0 sample frames but SSND holds 4000 bytes',
    );
  });

  it('rejects an AIFF without samples as empty', async () => {
    const file = form('AIFF', [
      comm({ channels: 1, sampleFrames: 0, sampleBits: 16, sampleRateHz: 8000 }),
      ssnd(0),
    ]);
    await assertRejection(
      probeAiff(file),
      'empty-file',
      'the AIFF holds no audio: COMM declares 0 sample frames',
    );
  });

  it('rejects missing COMM or SSND, and zero channels or rate', async () => {
    await assertRejection(probeAiff(form('AIFF', [ssnd(100)])), 'corrupt-media', 'no COMM chunk in the file');
    await assertRejection(
      probeAiff(form('AIFF', [comm({ channels: 1, sampleFrames: 10, sampleBits: 16, sampleRateHz: 8000 })])),
      'corrupt-media',
      'no SSND chunk in the file',
    );
    await assertRejection(
      probeAiff(
        form('AIFF', [comm({ channels: 0, sampleFrames: 10, sampleBits: 16, sampleRateHz: 8000 }), ssnd(20)]),
      ),
      'corrupt-media',
      'COMM chunk declares 0 channels',
    );
    await assertRejection(
      probeAiff(
        form('AIFF', [comm({ channels: 1, sampleFrames: 10, sampleBits: 16, sampleRateHz: 0 }), ssnd(20)]),
      ),
      'corrupt-media',
      'COMM chunk declares a sample rate of 0 Hz',
    );
  });

  it('says which chunk ran past the end when COMM was never reached', async () => {
    const file = Buffer.concat([
      Buffer.from('FORM\x00\x00\x10\x00AIFF', 'latin1'),
      iffChunk('ANNO', Buffer.alloc(20), 5000),
    ]);
    await assertRejection(
      probeAiff(file),
      'corrupt-media',
      'truncated: no COMM chunk; ANNO chunk at offset 12 declares 5000 bytes but only 20 are present',
    );
  });

  it('rejects text and MP3 named .aiff as format-mismatch', async () => {
    await assertRejection(
      probeAiff(Buffer.from('not audio\n')),
      'format-mismatch',
      'expected AIFF (FORM/AIFF or AIFC) but content looks like plain text',
    );
    await assertRejection(
      probeAiff(Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like MP3/,
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(
      form('AIFC', [
        iffChunk('FVER', Buffer.alloc(4)),
        comm({ channels: 2, sampleFrames: 100, sampleBits: 16, sampleRateHz: 8000, compression: 'sowt' }),
        ssnd(400),
      ]),
      'aiff',
    );
  });
});
