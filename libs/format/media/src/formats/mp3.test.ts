import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import {
  assertNeverCrashes,
  id3v1,
  id3v2,
  mpegFrame,
  mpegFrameBytes,
  mpegFrames,
  vbriFrame,
  xingFrame,
} from '../../test/audio-builders';
import type { MpegFrameOptions } from '../../test/audio-builders';

const STEREO_44K_128: MpegFrameOptions = {
  version: '1',
  layer: 3,
  bitrateKbps: 128,
  sampleRateHz: 44100,
  mono: false,
};
/** What phone systems write: MPEG-2.5 layer III, 8 kHz mono, 16 kbit/s. */
const MONO_8K_16: MpegFrameOptions = {
  version: '2.5',
  layer: 3,
  bitrateKbps: 16,
  sampleRateHz: 8000,
  mono: true,
};

function probeMp3(file: Buffer) {
  return probeMedia(bufferReader(file), { extension: 'mp3' });
}

describe('MP3 probe: frames and headers', () => {
  it('times a constant bit rate file without Xing by its size, as ffprobe does', async () => {
    // ffmpeg -c:a libmp3lame -b:a 128k -write_xing 0: 53498 bytes of 417/418-byte frames; ffprobe
    // 5.1 says 3.343625 s (53498 × 8 / 128000). These 128 unpadded frames: ffprobe 5.1 says 3.336.
    const file = mpegFrames(STEREO_44K_128, 128);
    const counted = countingReader(bufferReader(file));
    const facts = await probeMedia(counted, { extension: 'mp3' });
    assert.deepEqual(facts, {
      container: 'mp3',
      codec: 'mp3',
      durationSec: Math.round(((128 * 417 * 8) / 128000) * 1000) / 1000,
      channels: 2,
      sampleRateHz: 44100,
      sizeBytes: file.length,
      speakerSeparation: 'channels',
      probed: true,
    });
    assert.equal(facts.durationSec, 3.336);
    assert.equal(counted.reads, 1);
  });

  it('times by the Xing frame count: MPEG-1 stereo VBR', async () => {
    // ffmpeg -q:a 4 at 44.1 kHz stereo wrote Xing frames=128; ffprobe 5.1: 3.343673 s (128 × 1152 / 44100),
    // on that file and on these bytes alike.
    const xing = xingFrame(STEREO_44K_128, 'Xing', { frames: 128 });
    const file = Buffer.concat([id3v2(35), xing, mpegFrames(STEREO_44K_128, 128)]);
    const facts = await probeMp3(file);
    assert.equal(facts.durationSec, 3.344);
    assert.equal(facts.channels, 2);
    assert.equal(facts.codec, 'mp3');
  });

  it('times MPEG-2.5 8 kHz mono by its Info header (576 samples a frame)', async () => {
    // ffmpeg -ar 8000 -b:a 16k (LAME Info tag, frames=48): ffprobe 5.1 says 3.456 s.
    const frameBytes = mpegFrameBytes(MONO_8K_16);
    const info = xingFrame(MONO_8K_16, 'Info', { frames: 48, bytes: 49 * frameBytes });
    const facts = await probeMp3(Buffer.concat([info, mpegFrames(MONO_8K_16, 48)]));
    assert.deepEqual(
      { ...facts, sizeBytes: 0 },
      {
        container: 'mp3',
        codec: 'mp3',
        durationSec: 3.456,
        channels: 1,
        sampleRateHz: 8000,
        sizeBytes: 0,
        speakerSeparation: 'diarization',
        probed: true,
      },
    );
  });

  it('reads a VBRI (Fraunhofer) header', async () => {
    const options: MpegFrameOptions = { ...STEREO_44K_128, sampleRateHz: 48000 };
    const frames = mpegFrames(options, 20);
    const vbri = vbriFrame(options, { frames: 2500, bytes: 20 * mpegFrameBytes(options) });
    const facts = await probeMp3(Buffer.concat([vbri, frames]));
    // 2500 × 1152 / 48000 = 60 s: the header's count wins over the (short) size; ffprobe 5.1 agrees.
    assert.equal(facts.durationSec, 60);
    assert.equal(facts.sampleRateHz, 48000);
  });

  it('skips an ID3v2.4 tag with a footer, and a second tag after it', async () => {
    const file = Buffer.concat([id3v2(1000, true), id3v2(20), mpegFrames(MONO_8K_16, 50)]);
    const facts = await probeMp3(file);
    // 50 frames × 144 bytes × 8 / 16000 = 3.6 s: the tags are not audio (ffprobe 5.1: 3.600).
    assert.equal(facts.durationSec, 3.6);
  });

  it('leaves an ID3v1 tag out of the constant bit rate estimate', async () => {
    const file = Buffer.concat([mpegFrames(MONO_8K_16, 50), id3v1()]);
    // ffprobe 5.1 counts the 128-byte tag as audio (3.664 s here); it is not.
    assert.equal((await probeMp3(file)).durationSec, 3.6);
  });

  it('names layer II as mp2 and layer I as mp1', async () => {
    // ffmpeg -c:a mp2 -b:a 64k at 16 kHz mono, 26496 bytes: ffprobe 5.1 says mp2, 3.312 s.
    const mp2: MpegFrameOptions = {
      version: '2',
      layer: 2,
      bitrateKbps: 64,
      sampleRateHz: 16000,
      mono: true,
    };
    const mp2Facts = await probeMp3(mpegFrames(mp2, 46));
    assert.equal(mp2Facts.codec, 'mp2');
    assert.equal(mp2Facts.durationSec, 3.312);
    const mp1: MpegFrameOptions = {
      version: '1',
      layer: 1,
      bitrateKbps: 384,
      sampleRateHz: 48000,
      mono: false,
    };
    const mp1Facts = await probeMp3(mpegFrames(mp1, 10));
    assert.equal(mp1Facts.codec, 'mp1');
    assert.equal(mp1Facts.durationSec, 0.08);
  });

  it('finds the first frame after junk that sniffs as nothing', async () => {
    const junk = Buffer.from([0x00, 0x13, 0x37, 0x00, 0x42, 0xff, 0x00, 0x00, 0x01]);
    const facts = await probeMp3(Buffer.concat([junk, mpegFrames(MONO_8K_16, 50)]));
    // ffprobe 5.1 on these bytes: 3.600 s (the junk is not counted).
    assert.equal(facts.durationSec, 3.6);
  });

  it('takes a file of one frame', async () => {
    assert.equal((await probeMp3(mpegFrame(MONO_8K_16))).durationSec, 0.072);
  });
});

describe('MP3 probe: large files through ranged reads', () => {
  it('probes a 1.9 GB constant bit rate file reading under 1 MiB', async () => {
    const frameBytes = mpegFrameBytes(STEREO_44K_128);
    const frameCount = Math.floor(1_900_000_000 / frameBytes);
    const sizeBytes = frameCount * frameBytes;
    const frames = mpegFrames(STEREO_44K_128, 4);
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: frames },
        { offset: sizeBytes - 128, bytes: Buffer.alloc(128) },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'mp3' });
    assert.equal(facts.durationSec, Math.round(((sizeBytes * 8) / 128000) * 1000) / 1000);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
  });

  it('jumps over a 20 MB ID3v2 tag (cover art) without reading it', async () => {
    const tag = id3v2(20_000_000);
    const frames = mpegFrames(MONO_8K_16, 1000);
    const sizeBytes = tag.length + frames.length;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: tag.subarray(0, 10) },
        { offset: tag.length, bytes: frames },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'mp3' });
    assert.equal(facts.durationSec, 72);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
  });
});

describe('MP3 probe: rejections', () => {
  it('rejects text named .mp3 as format-mismatch', async () => {
    await assertRejection(
      probeMp3(Buffer.from('call_id,agent\n1,joe\n')),
      'format-mismatch',
      'expected MP3 (MPEG audio) but content looks like plain text',
    );
  });

  it('rejects unknown binary without MPEG frames as format-mismatch', async () => {
    await assertRejection(
      probeMp3(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x09])),
      'format-mismatch',
      'expected MP3 (MPEG audio) but content looks like unknown binary',
    );
  });

  it('rejects FLAC and MP4 named .mp3, naming them', async () => {
    await assertRejection(
      probeMp3(Buffer.concat([id3v2(10), Buffer.from('fLaC\x80\x00\x00\x22', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like FLAC \(ID3-tagged\)/,
    );
    await assertRejection(
      probeMp3(Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypM4A ', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like MP4/,
    );
  });

  it('rejects an ID3 tag followed by garbage as corrupt-media', async () => {
    const garbage = Buffer.alloc(5000, 0x5a);
    await assertRejection(
      probeMp3(Buffer.concat([id3v2(100), garbage])),
      'corrupt-media',
      'no valid MPEG audio frame after the ID3v2 tag (searched 5000 bytes from offset 110)',
    );
  });

  it('rejects a frame sync that no second frame confirms', async () => {
    const lone = Buffer.concat([mpegFrame(STEREO_44K_128).subarray(0, 4), Buffer.alloc(3000, 0x33)]);
    await assertRejection(
      probeMp3(lone),
      'corrupt-media',
      /no valid MPEG audio frame at the start of the file/,
    );
  });

  it('rejects a file cut far short of what its Xing header declares', async () => {
    const frameBytes = mpegFrameBytes(STEREO_44K_128);
    const xing = xingFrame(STEREO_44K_128, 'Xing', { frames: 1000, bytes: 1001 * frameBytes });
    await assertRejection(
      probeMp3(Buffer.concat([xing, mpegFrames(STEREO_44K_128, 400)])),
      'corrupt-media',
      `truncated: the Xing header declares ${1001 * frameBytes} bytes of MPEG audio but the file has only ${401 * frameBytes}`,
    );
  });

  it('estimates a CBR Info header without a byte count from its frames', async () => {
    const info = xingFrame(MONO_8K_16, 'Info', { frames: 1000 });
    await assertRejection(
      probeMp3(Buffer.concat([info, mpegFrames(MONO_8K_16, 100)])),
      'corrupt-media',
      /truncated: the Info header declares 144144 bytes/,
    );
  });

  it('rejects an ID3v2 tag that runs past the end of the file', async () => {
    await assertRejection(
      probeMp3(id3v2(1000).subarray(0, 500)),
      'corrupt-media',
      'truncated: the ID3v2 tag at offset 0 declares 1010 bytes but the file has only 500 from there',
    );
  });

  it('rejects an ID3v2 size that is not syncsafe', async () => {
    const tag = id3v2(10);
    tag[7] = 0x80;
    await assertRejection(probeMp3(tag), 'corrupt-media', /not a syncsafe integer/);
  });

  it('rejects a file that is only ID3 tags as empty', async () => {
    await assertRejection(probeMp3(Buffer.concat([id3v2(200), id3v1()])), 'empty-file', /only ID3 tags/);
  });

  it('never crashes on damaged input', async () => {
    const xing = xingFrame(MONO_8K_16, 'Xing', { frames: 30, bytes: 31 * 144 });
    await assertNeverCrashes(
      Buffer.concat([id3v2(30, true), xing, mpegFrames(MONO_8K_16, 30), id3v1()]),
      'mp3',
    );
    await assertNeverCrashes(vbriFrame(STEREO_44K_128, { frames: 3, bytes: 3 * 417 }), 'mp3');
  });
});
