import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import {
  assertNeverCrashes,
  audioSpecificConfig,
  box,
  esds,
  ftyp,
  fullBox,
  hdlr,
  moov,
  mpegFrames,
  soundEntry,
  tkhd,
  trak,
  u16,
  u32,
  u64,
  timesBox,
} from '../../test/audio-builders';
import type { AudioTrackOptions } from '../../test/audio-builders';

const AAC_LC = 2;
/** Sampling frequency indexes of the AudioSpecificConfig. */
const FREQ_8000 = 11;
const FREQ_16000 = 8;
const FREQ_44100 = 4;

/**
 * The audio track ffmpeg 5.1 writes for `-c:a aac -ac 1 -ar 8000` (aac_8k_mono.m4a, 3.3 s): mdhd
 * 27424/8000 (priming and padding included), an edit list of 3300 ms starting at sample 1024,
 * and an mp4a entry whose channel count says 2 while the AudioSpecificConfig says mono.
 * ffprobe 5.1 on that file: aac, 1 channel, 8000 Hz, 3.300000 s.
 */
const MONO_AAC_TRACK: AudioTrackOptions = {
  mediaTimescale: 8000,
  mediaDuration: 27424,
  edits: [{ segmentDuration: 3300, mediaTime: 1024 }],
  sampleEntry: soundEntry('mp4a', 2, 8000, esds(0x40, audioSpecificConfig(AAC_LC, FREQ_8000, 1))),
};

function m4a(track: AudioTrackOptions, options: { mdatBytes?: number; faststart?: boolean } = {}): Buffer {
  const index = moov(1000, 3300, trak(track));
  const mdat = box('mdat', Buffer.alloc(options.mdatBytes ?? 2000, 0x21));
  return options.faststart ? Buffer.concat([ftyp(), index, mdat]) : Buffer.concat([ftyp(), mdat, index]);
}

function probeM4a(file: Buffer, extension = 'm4a') {
  return probeMedia(bufferReader(file), { extension });
}

describe('MP4 probe: AAC', () => {
  it('reads mono AAC as mono although the sample entry says 2 channels', async () => {
    const file = m4a(MONO_AAC_TRACK);
    assert.deepEqual(await probeM4a(file), {
      container: 'mp4',
      codec: 'aac',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
  });

  it('finds moov first (faststart) or last, in .mp4 as in .m4a', async () => {
    const faststart = await probeM4a(m4a(MONO_AAC_TRACK, { faststart: true }), 'mp4');
    assert.equal(faststart.durationSec, 3.3);
    assert.equal(faststart.channels, 1);
  });

  it('takes the media duration when there is no edit list', async () => {
    const facts = await probeM4a(m4a({ ...MONO_AAC_TRACK, edits: undefined }));
    // 27424 / 8000: what ffprobe 5.1 reports for the same track without its edit list.
    assert.equal(facts.durationSec, 3.428);
  });

  it('reads stereo AAC at 44.1 kHz', async () => {
    // ffmpeg -ac 2 -ar 44100 -c:a aac: ffprobe 5.1 says 2 channels, 44100 Hz, 3.3 s.
    const track = {
      mediaTimescale: 44100,
      mediaDuration: 146554,
      edits: [{ segmentDuration: 3300, mediaTime: 1024 }],
      sampleEntry: soundEntry('mp4a', 2, 44100, esds(0x40, audioSpecificConfig(AAC_LC, FREQ_44100, 2))),
    };
    const facts = await probeM4a(m4a(track));
    assert.equal(facts.channels, 2);
    assert.equal(facts.sampleRateHz, 44100);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('reports the SBR rate of HE-AAC and two channels for parametric stereo', async () => {
    // AOT 5 (SBR), 16 kHz core, mono, extension rate index 5 (32 kHz), then AOT 2.
    const heAac = Buffer.from([
      (5 << 3) | (FREQ_16000 >> 1),
      ((FREQ_16000 & 1) << 7) | (1 << 3) | (5 >> 1),
      (1 << 7) | (2 << 2),
    ]);
    const sbr = await probeM4a(
      m4a({ ...MONO_AAC_TRACK, sampleEntry: soundEntry('mp4a', 2, 16000, esds(0x40, heAac)) }),
    );
    assert.equal(sbr.sampleRateHz, 32000);
    assert.equal(sbr.channels, 1);
    const heAacV2 = Buffer.from(heAac);
    heAacV2[0] = (29 << 3) | (FREQ_16000 >> 1);
    const ps = await probeM4a(
      m4a({ ...MONO_AAC_TRACK, sampleEntry: soundEntry('mp4a', 1, 16000, esds(0x40, heAacV2)) }),
    );
    assert.equal(ps.sampleRateHz, 32000);
    assert.equal(ps.channels, 2);
  });

  it('reads SBR signalled after an AAC-LC config (backward-compatible HE-AAC)', async () => {
    // AOT 2, 16 kHz, mono, GASpecificConfig 000, sync 0x2b7, AOT 5, sbrPresent 1, 32 kHz (index 5).
    const bits = '00010' + '1000' + '0001' + '000' + '01010110111' + '00101' + '1' + '0101';
    const bytes = Buffer.from((bits.padEnd(40, '0').match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
    const facts = await probeM4a(
      m4a({ ...MONO_AAC_TRACK, sampleEntry: soundEntry('mp4a', 2, 16000, esds(0x40, bytes)) }),
    );
    assert.equal(facts.sampleRateHz, 32000);
    assert.equal(facts.channels, 1);
  });

  it('falls back to the sample entry when esds has no decoder config', async () => {
    const facts = await probeM4a(m4a({ ...MONO_AAC_TRACK, sampleEntry: soundEntry('mp4a', 1, 22050) }));
    assert.equal(facts.codec, 'aac');
    assert.equal(facts.channels, 1);
    assert.equal(facts.sampleRateHz, 22050);
  });
});

describe('MP4 probe: other codecs', () => {
  it('reads ALAC from its magic cookie', async () => {
    // ffmpeg -c:a alac -ac 1 -ar 16000: ffprobe 5.1 says alac, 1 channel, 16000 Hz, 3.3 s.
    const cookie = Buffer.concat([
      u32(4096),
      Buffer.from([0, 16, 40, 10, 14, 1]),
      u16(255),
      u32(8196),
      u32(256000),
      u32(16000),
    ]);
    const entry = soundEntry('alac', 2, 44100, fullBox('alac', 0, 0, cookie));
    const facts = await probeM4a(
      m4a({ ...MONO_AAC_TRACK, mediaTimescale: 16000, mediaDuration: 52800, sampleEntry: entry }),
    );
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['alac', 1, 16000, 3.3],
    );
  });

  it('reads Opus at 48 kHz with the channel count of dOps', async () => {
    // ffmpeg -c:a libopus -ac 2 into .mp4: ffprobe 5.1 says opus, 2 channels, 48000 Hz, 3.3 s.
    const dOps = box('dOps', Buffer.from([0, 2]), u16(312), u32(16000), u16(0), Buffer.from([0]));
    const entry = soundEntry('Opus', 2, 48000, dOps);
    const facts = await probeM4a(
      m4a({ ...MONO_AAC_TRACK, mediaTimescale: 48000, mediaDuration: 158712, sampleEntry: entry }),
      'mp4',
    );
    assert.deepEqual([facts.codec, facts.channels, facts.sampleRateHz], ['opus', 2, 48000]);
  });

  it('reads MPEG audio in MP4 from its first frame, not the sample entry', async () => {
    // ffmpeg -c:a libmp3lame -ac 1 -ar 22050 into .mp4 writes channel count 2; ffprobe 5.1 says 1.
    const mono22k = { version: '2', layer: 3, bitrateKbps: 32, sampleRateHz: 22050, mono: true } as const;
    const frames = mpegFrames(mono22k, 10);
    const head = ftyp('isom');
    const mdat = box('mdat', frames);
    const track = {
      ...MONO_AAC_TRACK,
      mediaTimescale: 22050,
      mediaDuration: 73870,
      sampleEntry: soundEntry('mp4a', 2, 22050, esds(0x6b)),
      firstChunkOffset: head.length + 8,
    };
    const facts = await probeM4a(Buffer.concat([head, mdat, moov(1000, 3300, trak(track))]), 'mp4');
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['mp3', 1, 22050, 3.3],
    );
  });

  it('reads QuickTime mu-law, whose minf carries a data handler too', async () => {
    // ffmpeg -c:a pcm_mulaw -f mov: ffprobe 5.1 says pcm_mulaw, 1 channel, 8000 Hz, 3.3 s.
    const track = {
      mediaTimescale: 8000,
      mediaDuration: 26400,
      sampleEntry: soundEntry('ulaw', 1, 8000),
      minfExtra: [hdlr('alis')],
    };
    const facts = await probeM4a(m4a(track), 'mp4');
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['pcm_mulaw', 1, 8000, 3.3],
    );
  });

  it('reads AMR-NB as 8 kHz mono', async () => {
    const track = {
      mediaTimescale: 8000,
      mediaDuration: 16000,
      sampleEntry: soundEntry('samr', 2, 8000, box('damr', Buffer.alloc(9))),
    };
    const facts = await probeM4a(m4a(track), 'mp4');
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['amr_nb', 1, 8000, 2],
    );
  });

  it('reads a QuickTime version 2 sound description (float rate, 32-bit channel count)', async () => {
    const v2 = Buffer.concat([
      Buffer.alloc(6),
      u16(1),
      u16(2),
      u16(0),
      u32(0),
      u16(3),
      u16(16),
      u16(0xfffe),
      u16(0),
      u32(0x00010000),
      u32(72),
      Buffer.alloc(8),
      u32(6),
      u32(0x7f000000),
      u32(24),
      u32(0x4),
      u32(18),
      u32(1),
    ]);
    v2.writeDoubleBE(96000, 32);
    const entry = box('lpcm', v2);
    const facts = await probeM4a(
      m4a({ mediaTimescale: 96000, mediaDuration: 96000, sampleEntry: entry }),
      'mp4',
    );
    assert.deepEqual([facts.codec, facts.channels, facts.sampleRateHz], ['pcm_s24le', 6, 96000]);
  });

  it('names a codec it does not know after its sample entry', async () => {
    const facts = await probeM4a(m4a({ ...MONO_AAC_TRACK, sampleEntry: soundEntry('xyz1', 1, 8000) }), 'mp4');
    assert.equal(facts.codec, 'unknown_xyz1');
  });
});

describe('MP4 probe: layout', () => {
  it('skips a video track, and reads 64-bit versions of mvhd and mdhd', async () => {
    const video = box('trak', tkhd(1), box('mdia', timesBox('mdhd', 90000, 300000), hdlr('vide')));
    const audio = box(
      'trak',
      tkhd(2),
      box(
        'mdia',
        timesBox('mdhd', 16000, 48000, 1),
        hdlr('soun'),
        box(
          'minf',
          box(
            'stbl',
            fullBox(
              'stsd',
              0,
              0,
              u32(1),
              soundEntry('mp4a', 2, 16000, esds(0x40, audioSpecificConfig(AAC_LC, FREQ_16000, 1))),
            ),
          ),
        ),
      ),
    );
    const index = box('moov', timesBox('mvhd', 1000, 3300, 1), video, audio);
    const facts = await probeM4a(Buffer.concat([ftyp('isom'), index, box('mdat', Buffer.alloc(100))]), 'mp4');
    assert.equal(facts.durationSec, 3);
    assert.equal(facts.channels, 1);
  });

  it('finds moov after a 1.5 GB mdat with a 64-bit size, reading under 1 MiB', async () => {
    const head = ftyp();
    const mdatBytes = 1_500_000_000;
    const mdatHeader = Buffer.concat([u32(1), Buffer.from('mdat', 'latin1'), u64(16 + mdatBytes)]);
    const index = moov(1000, 3300, trak(MONO_AAC_TRACK));
    const moovOffset = head.length + 16 + mdatBytes;
    const reader = countingReader(
      virtualReader(moovOffset + index.length, [
        { offset: 0, bytes: Buffer.concat([head, mdatHeader]) },
        { offset: moovOffset, bytes: index },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'm4a' });
    assert.equal(facts.durationSec, 3.3);
    assert.equal(facts.channels, 1);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
    assert.ok(reader.reads <= 3, `${reader.reads} reads`);
  });

  it('accepts a QuickTime file that starts with wide and mdat instead of ftyp', async () => {
    const file = Buffer.concat([
      box('wide'),
      box('mdat', Buffer.alloc(500)),
      moov(1000, 3300, trak(MONO_AAC_TRACK)),
    ]);
    assert.equal((await probeM4a(file, 'mp4')).durationSec, 3.3);
  });
});

describe('MP4 probe: fragmented files', () => {
  const FRAGMENTED_TRACK = { ...MONO_AAC_TRACK, mediaDuration: 0, edits: undefined };

  function fragment(sequence: number, baseTime: number | undefined, samples: number): Buffer {
    const tfhd = fullBox('tfhd', 0, 0x20008, u32(1), u32(1024));
    const tfdt = baseTime === undefined ? [] : [fullBox('tfdt', 1, 0, u64(baseTime))];
    const trun = fullBox('trun', 0, 0x200, u32(samples), ...Array.from({ length: samples }, () => u32(50)));
    const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), box('traf', tfhd, ...tfdt, trun));
    return Buffer.concat([moof, box('mdat', Buffer.alloc(samples * 50))]);
  }

  function fragmentedFile(withTfdt: boolean, mvexExtra: Buffer[] = []): Buffer {
    const mvex = box('mvex', ...mvexExtra, fullBox('trex', 0, 0, u32(1), u32(1), u32(1024), u32(0), u32(0)));
    const index = box('moov', timesBox('mvhd', 1000, 0), trak(FRAGMENTED_TRACK), mvex);
    // ffmpeg -movflags frag_keyframe+empty_moov: 27 AAC frames of 1024 samples at 8 kHz = 3.456 s
    // (ffprobe 5.1 sums fragments the same way: 3.428 s for its 3.3 s tone).
    const fragments = [
      fragment(1, withTfdt ? 0 : undefined, 10),
      fragment(2, withTfdt ? 10240 : undefined, 10),
      fragment(3, withTfdt ? 20480 : undefined, 7),
    ];
    return Buffer.concat([ftyp('iso5'), index, ...fragments]);
  }

  it('times a fragmented file by its last fragment (tfdt plus sample durations)', async () => {
    assert.equal((await probeM4a(fragmentedFile(true))).durationSec, 3.456);
  });

  it('adds up fragment durations when the fragments carry no tfdt', async () => {
    assert.equal((await probeM4a(fragmentedFile(false))).durationSec, 3.456);
  });

  it('takes the fragment duration of mehd when the writer declared it', async () => {
    const mehd = fullBox('mehd', 0, 0, u32(4000));
    assert.equal((await probeM4a(fragmentedFile(true, [mehd]))).durationSec, 4);
  });

  it('rejects a fragmented file whose last mdat is cut off', async () => {
    const file = fragmentedFile(true);
    await assertRejection(
      probeM4a(file.subarray(0, file.length - 100)),
      'corrupt-media',
      /truncated: the last fragment's mdat box/,
    );
  });
});

describe('MP4 probe: rejections', () => {
  it('rejects a file whose mdat runs to the end with no moov (a recorder that never finished)', async () => {
    const mdat = Buffer.concat([u32(0), Buffer.from('mdat', 'latin1'), Buffer.alloc(3000)]);
    await assertRejection(
      probeM4a(Buffer.concat([ftyp(), mdat])),
      'corrupt-media',
      'no moov box (the MP4 index): the mdat box at offset 28 runs to the end of the file, so the recording was never finished or the upload was cut off',
    );
  });

  it('rejects a cut-off upload whose mdat declares more than is present', async () => {
    const file = m4a(MONO_AAC_TRACK, { mdatBytes: 5000 });
    await assertRejection(
      probeM4a(file.subarray(0, 3000)),
      'corrupt-media',
      'truncated: no moov box (the MP4 index); mdat box at offset 28 declares 5008 bytes but only 2972 are present',
    );
  });

  it('rejects a moov cut short, and a faststart file whose mdat is cut short', async () => {
    const moovLast = m4a(MONO_AAC_TRACK);
    await assertRejection(
      probeM4a(moovLast.subarray(0, moovLast.length - 10)),
      'corrupt-media',
      /^truncated: moov box at offset \d+ declares/,
    );
    const faststart = m4a(MONO_AAC_TRACK, { faststart: true });
    await assertRejection(
      probeM4a(faststart.subarray(0, faststart.length - 500)),
      'corrupt-media',
      /^truncated: mdat box at offset \d+ declares 2008 bytes/,
    );
  });

  it('rejects an MP4 without an audio track', async () => {
    const video = box('trak', tkhd(1), box('mdia', timesBox('mdhd', 90000, 300000), hdlr('vide')));
    await assertRejection(
      probeM4a(Buffer.concat([ftyp('isom'), box('moov', timesBox('mvhd', 1000, 3300), video)]), 'mp4'),
      'corrupt-media',
      'no audio track in the MP4 (tracks: vide)',
    );
  });

  it('rejects a file without any moov', async () => {
    await assertRejection(
      probeM4a(Buffer.concat([ftyp(), box('free', Buffer.alloc(10))])),
      'corrupt-media',
      'no moov box (the MP4 index) in the file',
    );
  });

  it('rejects noise after ftyp, and a box inside moov that overruns it', async () => {
    await assertRejection(
      probeM4a(
        Buffer.concat([
          ftyp(),
          Buffer.from([0x00, 0x01, 0x9f, 0x02, 0x05, 0xfe, 0x00, 0x7f]),
          Buffer.alloc(100, 7),
        ]),
      ),
      'corrupt-media',
      'unreadable box header at offset 28',
    );
    const overrun = Buffer.concat([u32(5000), Buffer.from('trak', 'latin1'), Buffer.alloc(20)]);
    await assertRejection(
      probeM4a(Buffer.concat([ftyp(), box('moov', timesBox('mvhd', 1000, 3300), overrun)])),
      'corrupt-media',
      /trak box at offset \d+ runs \d+ bytes past the end of its moov box/,
    );
  });

  it('rejects text and WAV named .m4a as format-mismatch', async () => {
    await assertRejection(
      probeM4a(Buffer.from('{"callTime":"2024-05-01T10:00:00Z"}')),
      'format-mismatch',
      'expected MP4/M4A (ISO base media) but content looks like plain text',
    );
    await assertRejection(
      probeM4a(Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like WAV/,
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(m4a(MONO_AAC_TRACK, { mdatBytes: 64, faststart: true }), 'm4a');
    await assertNeverCrashes(m4a(MONO_AAC_TRACK, { mdatBytes: 64 }), 'm4a', 11);
  });
});
