import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import {
  assertNeverCrashes,
  flacBlock,
  flacFile,
  flacFrame,
  id3v1,
  id3v2,
  streamInfo,
} from '../../test/audio-builders';
import type { StreamInfoFields } from '../../test/audio-builders';

/** ffmpeg -ac 1 -ar 8000 (3.3 s): ffprobe 5.1 says flac, 1 channel, 8000 Hz, 3.300000 s. */
const MONO_8K: StreamInfoFields = {
  blockSize: 4608,
  sampleRateHz: 8000,
  channels: 1,
  bitsPerSample: 16,
  totalSamples: 26400,
};

function probeFlac(file: Buffer) {
  return probeMedia(bufferReader(file), { extension: 'flac' });
}

describe('FLAC probe', () => {
  it('reads STREAMINFO and checks the last frame', async () => {
    const file = flacFile(MONO_8K);
    const counted = countingReader(bufferReader(file));
    assert.deepEqual(await probeMedia(counted, { extension: 'flac' }), {
      container: 'flac',
      codec: 'flac',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(counted.reads, 1);
  });

  it('reads 24-bit stereo at 44.1 kHz', async () => {
    // ffmpeg -ac 2 -ar 44100 -sample_fmt s32: ffprobe 5.1 says 2 channels, 44100 Hz, 3.3 s.
    const stereo = {
      blockSize: 4608,
      sampleRateHz: 44100,
      channels: 2,
      bitsPerSample: 24,
      totalSamples: 145530,
    };
    const facts = await probeFlac(flacFile(stereo));
    assert.deepEqual([facts.channels, facts.sampleRateHz, facts.durationSec], [2, 44100, 3.3]);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('times a streamed FLAC (sample count 0) by its last frame', async () => {
    // ffmpeg -f flac to a pipe leaves the count at 0; ffprobe 5.1 then gives no duration at all.
    const streamed = flacFile({ ...MONO_8K, totalSamples: 0 }, { frames: 5 });
    assert.equal((await probeFlac(streamed)).durationSec, (5 * 4608) / 8000);
  });

  it('reads frame sample numbers of a variable block size stream', async () => {
    const info = { ...MONO_8K, totalSamples: 3000 };
    const frames = [
      flacFrame({ number: 0, blockSize: 1000, channels: 1, variable: true }),
      flacFrame({ number: 1000, blockSize: 2000, channels: 1, variable: true }),
    ];
    const file = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo(info), true),
      ...frames,
    ]);
    assert.equal((await probeFlac(file)).durationSec, 0.375);
  });

  it('skips an ID3v2 tag in front and an ID3v1 tag at the end', async () => {
    const file = Buffer.concat([id3v2(300), flacFile(MONO_8K), id3v1()]);
    assert.equal((await probeFlac(file)).durationSec, 3.3);
  });

  it('jumps over a 10 MB picture block through ranged reads, reading under 1 MiB', async () => {
    const pictureBytes = 10_000_000;
    const head = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo(MONO_8K), false),
      flacBlock(6, Buffer.alloc(0), true, pictureBytes),
    ]);
    const frames = flacFile(MONO_8K).subarray(4 + 4 + 34);
    const reader = countingReader(
      virtualReader(head.length + pictureBytes + frames.length, [
        { offset: 0, bytes: head },
        { offset: head.length + pictureBytes, bytes: frames },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'flac' });
    assert.equal(facts.durationSec, 3.3);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
  });

  it('probes a 1.9 GB file by its head and tail only', async () => {
    const info = { ...MONO_8K, totalSamples: 4608 * 100_000 };
    const head = flacFile(info, { frames: 3 });
    const last = flacFrame({ number: 99_999, blockSize: 4608, channels: 1 });
    const sizeBytes = 1_900_000_000;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: sizeBytes - last.length, bytes: last },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'flac' });
    assert.equal(facts.durationSec, 57_600);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 2);
  });
});

describe('FLAC probe: rejections', () => {
  it('rejects a file cut inside a frame', async () => {
    const file = flacFile(MONO_8K);
    await assertRejection(
      probeFlac(file.subarray(0, file.length - 20)),
      'corrupt-media',
      'truncated: the file ends inside a FLAC frame',
    );
  });

  it('rejects a file cut at a frame boundary: STREAMINFO promises more samples', async () => {
    const file = flacFile(MONO_8K, { frames: 3 });
    await assertRejection(
      probeFlac(file),
      'corrupt-media',
      'truncated: STREAMINFO declares 26400 samples but the last frame ends at sample 13824',
    );
  });

  it('rejects a file cut inside STREAMINFO or inside a metadata block', async () => {
    await assertRejection(
      probeFlac(flacFile(MONO_8K).subarray(0, 20)),
      'corrupt-media',
      'truncated: the file ends inside STREAMINFO',
    );
    const cut = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo(MONO_8K), false),
      flacBlock(4, Buffer.alloc(10), true, 500),
    ]);
    await assertRejection(
      probeFlac(cut),
      'corrupt-media',
      'truncated: FLAC metadata block (type 4) at offset 42 declares 500 bytes but only 10 are present',
    );
  });

  it('rejects metadata that does not start with STREAMINFO', async () => {
    const file = Buffer.concat([Buffer.from('fLaC', 'latin1'), flacBlock(4, Buffer.alloc(40), true)]);
    await assertRejection(
      probeFlac(file),
      'corrupt-media',
      'the FLAC metadata does not start with a STREAMINFO block',
    );
  });

  it('rejects a file cut right after its metadata', async () => {
    const file = Buffer.concat([Buffer.from('fLaC', 'latin1'), flacBlock(0, streamInfo(MONO_8K), true)]);
    await assertRejection(
      probeFlac(file),
      'corrupt-media',
      'truncated: STREAMINFO declares 26400 samples but the file ends after the metadata',
    );
  });

  it('rejects a FLAC of metadata only, promising no samples, as empty', async () => {
    const file = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo({ ...MONO_8K, totalSamples: 0 }), true),
    ]);
    await assertRejection(probeFlac(file), 'empty-file', 'the FLAC holds no audio frames, only metadata');
  });

  it('rejects garbage where the first frame should be', async () => {
    const file = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo(MONO_8K), true),
      Buffer.alloc(500, 0x42),
    ]);
    await assertRejection(
      probeFlac(file),
      'corrupt-media',
      'no valid FLAC frame where the audio should start (offset 42)',
    );
  });

  it('rejects a streamed FLAC whose last frame cannot be found', async () => {
    const frame = flacFrame({ number: 0, blockSize: 4608, channels: 1 });
    const file = Buffer.concat([
      Buffer.from('fLaC', 'latin1'),
      flacBlock(0, streamInfo({ ...MONO_8K, totalSamples: 0 }), true),
      frame,
      Buffer.alloc(1000, 0x42),
    ]);
    await assertRejection(probeFlac(file), 'corrupt-media', 'truncated: the file ends inside a FLAC frame');
  });

  it('rejects MP3 and text named .flac as format-mismatch', async () => {
    await assertRejection(
      probeFlac(Buffer.concat([id3v2(10), Buffer.alloc(100, 0x42)])),
      'format-mismatch',
      'expected FLAC but content looks like MP3 (ID3)',
    );
    await assertRejection(
      probeFlac(Buffer.from('hello\n')),
      'format-mismatch',
      'expected FLAC but content looks like plain text',
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(flacFile({ ...MONO_8K, blockSize: 1152, totalSamples: 4000 }), 'flac');
  });
});
