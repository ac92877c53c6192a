import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import { assertNeverCrashes, sndHeader } from '../../test/audio-builders';

function au(fields: Parameters<typeof sndHeader>[0], presentBytes = fields.dataBytes): Buffer {
  return Buffer.concat([sndHeader(fields), Buffer.alloc(presentBytes, 0x7f)]);
}

function probeAu(file: Buffer) {
  return probeMedia(bufferReader(file), { extension: 'au' });
}

describe('AU probe', () => {
  it('reads mu-law from the header alone', async () => {
    // ffmpeg -c:a pcm_mulaw -ac 1 -ar 8000 (3.3 s, 26432 bytes): ffprobe 5.1 says pcm_mulaw, 1, 8000, 3.300000.
    const file = au({ dataBytes: 26400, encoding: 1, sampleRateHz: 8000, channels: 1 });
    assert.equal(file.length, 26432);
    const counted = countingReader(bufferReader(file));
    assert.deepEqual(await probeMedia(counted, { extension: 'au' }), {
      container: 'au',
      codec: 'pcm_mulaw',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: 26432,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(counted.reads, 1);
  });

  it('takes an unknown data size (written to a pipe) as the rest of the file', async () => {
    // ffmpeg -f au - > file writes 0xFFFFFFFF; ffprobe 5.1 still says 3.300000 s.
    const file = au({ dataBytes: 0xffffffff, encoding: 1, sampleRateHz: 8000, channels: 1 }, 26400);
    assert.equal((await probeAu(file)).durationSec, 3.3);
  });

  it('names every encoding ffmpeg reads, timing each by its sample width', async () => {
    // ffmpeg pcm_s16be stereo 16 kHz and adpcm_g726le 8 kHz: ffprobe 5.1 says 3.300000 s each.
    const cases: Array<[number, string, number]> = [
      [1, 'pcm_mulaw', 8],
      [2, 'pcm_s8', 8],
      [3, 'pcm_s16be', 16],
      [4, 'pcm_s24be', 24],
      [5, 'pcm_s32be', 32],
      [6, 'pcm_f32be', 32],
      [7, 'pcm_f64be', 64],
      [23, 'adpcm_g726le', 4],
      [25, 'adpcm_g726le', 3],
      [26, 'adpcm_g726le', 5],
      [27, 'pcm_alaw', 8],
    ];
    for (const [encoding, codec, bits] of cases) {
      const dataBytes = (16000 * 2 * 3.3 * bits) / 8;
      const facts = await probeAu(au({ dataBytes, encoding, sampleRateHz: 16000, channels: 2 }));
      assert.deepEqual(
        [facts.codec, facts.durationSec, facts.speakerSeparation],
        [codec, 3.3, 'channels'],
        codec,
      );
    }
  });

  it('describes an encoding it cannot name, without a duration', async () => {
    const facts = await probeAu(au({ dataBytes: 1000, encoding: 99, sampleRateHz: 8000, channels: 1 }));
    assert.equal(facts.codec, 'unknown_99');
    assert.equal(facts.durationSec, undefined);
  });

  it('honours a data offset past an annotation, and ignores trailing bytes', async () => {
    const file = Buffer.concat([
      sndHeader({ dataOffset: 64, dataBytes: 8000, encoding: 1, sampleRateHz: 8000, channels: 1 }),
      Buffer.alloc(9000),
    ]);
    assert.equal((await probeAu(file)).durationSec, 1);
  });

  it('probes a 1.6 GB file reading its head only', async () => {
    const header = sndHeader({ dataBytes: 1_600_000_000, encoding: 3, sampleRateHz: 8000, channels: 2 });
    const reader = countingReader(virtualReader(1_600_000_032, [{ offset: 0, bytes: header }]));
    const facts = await probeMedia(reader, { extension: 'au' });
    assert.equal(facts.durationSec, 50_000);
    assert.equal(reader.reads, 1);
    assert.ok(reader.bytesRead <= 64 * 1024);
  });
});

describe('AU probe: rejections', () => {
  it('rejects a data section cut short', async () => {
    await assertRejection(
      probeAu(au({ dataBytes: 40000, encoding: 3, sampleRateHz: 8000, channels: 2 }, 23987)),
      'corrupt-media',
      'truncated: the .snd header declares 40000 bytes of samples but only 23987 are present',
    );
  });

  it('rejects a header cut short, a data offset inside the header, zero channels or rate', async () => {
    await assertRejection(
      probeAu(Buffer.from('.snd\x00\x00\x00\x20', 'latin1')),
      'corrupt-media',
      'truncated: the file ends inside the .snd header',
    );
    await assertRejection(
      probeAu(
        au({ dataOffset: 24, dataBytes: 100, encoding: 1, sampleRateHz: 8000, channels: 1 }).fill(0, 4, 8),
      ),
      'corrupt-media',
      'the .snd header puts the samples at offset 0, inside the header',
    );
    await assertRejection(
      probeAu(au({ dataBytes: 100, encoding: 1, sampleRateHz: 8000, channels: 0 })),
      'corrupt-media',
      '.snd header declares 0 channels',
    );
    await assertRejection(
      probeAu(au({ dataBytes: 100, encoding: 1, sampleRateHz: 0, channels: 1 })),
      'corrupt-media',
      '.snd header declares a sample rate of 0 Hz',
    );
  });

  it('rejects a header without samples as empty', async () => {
    await assertRejection(
      probeAu(au({ dataBytes: 0, encoding: 1, sampleRateHz: 8000, channels: 1 })),
      'empty-file',
      'the .au file holds no audio: its data section is empty',
    );
  });

  it('rejects text and WAV named .au as format-mismatch', async () => {
    await assertRejection(
      probeAu(Buffer.from('snd file\n')),
      'format-mismatch',
      'expected Sun/NeXT audio (.snd) but content looks like plain text',
    );
    await assertRejection(
      probeAu(Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like WAV/,
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(au({ dataBytes: 400, encoding: 27, sampleRateHz: 8000, channels: 1 }), 'au');
  });
});
