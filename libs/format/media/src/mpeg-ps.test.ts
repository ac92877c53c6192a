import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia, sniffContainer } from './index';
import {
  ac3Frame,
  audioProgramStream,
  lpcmPayload,
  MP2_MONO_44K,
  MP3_STEREO_22K,
  mpegAudioFrame,
  packHeader,
  paddingPacket,
  pesPacket,
  privateStreamPayload,
  systemHeader,
} from '../test/mpeg-ps-fixtures';
import { assertVerdictsOnly, damagedCopies } from '../test/probe-fuzz';
import { assertRejection, virtualReader } from '../test/wav-fixtures';

const MIB = 1024 * 1024;
const PTS_HZ = 90_000;

function probe(file: Buffer, extension = 'mpg') {
  return probeMedia(bufferReader(file), { extension });
}

function frames(count: number, frame: Buffer): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

const MP2_FRAMES = frames(3, mpegAudioFrame(MP2_MONO_44K));
/** 3 frames of 1152 samples at 44.1 kHz, in 90 kHz ticks. */
const MP2_PACKET_TICKS = (3 * 1152 * PTS_HZ) / 44100;

/** A video packet: an MPEG video sequence header and zeros. */
function videoPacket(mpeg: 1 | 2, pts: number, bytes = 2000): Buffer {
  return pesPacket(0xe0, Buffer.concat([Buffer.from([0, 0, 1, 0xb3]), Buffer.alloc(bytes)]), { mpeg, pts });
}

describe('MPEG-PS probe: audio codecs', () => {
  // Every expectation in this block was measured with ffprobe 5.1 on the same bytes.
  it('reads MPEG-1 Layer II in an MPEG-1 system stream (ffprobe: mp2, 1 ch, 44100 Hz, 3.082444 s)', async () => {
    const file = audioProgramStream({
      mpeg: 1,
      streamId: 0xc0,
      payload: () => MP2_FRAMES,
      packets: 40,
      ptsStep: MP2_PACKET_TICKS,
    });
    assert.deepEqual(await probe(file), {
      container: 'mpeg-ps',
      codec: 'mp2',
      durationSec: 3.082,
      channels: 1,
      sampleRateHz: 44100,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
  });

  it('reads MPEG-2 Layer III in an MPEG-2 program stream, PTS on every third packet (ffprobe: 5.041633 s)', async () => {
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xc0,
      payload: () => frames(4, mpegAudioFrame(MP3_STEREO_22K)),
      packets: 50,
      ptsStep: (4 * 576 * PTS_HZ) / 22050,
      ptsEvery: 3,
    });
    const facts = await probe(file, 'mpeg');
    assert.equal(facts.codec, 'mp3');
    assert.equal(facts.channels, 2);
    assert.equal(facts.sampleRateHz, 22050);
    assert.equal(facts.durationSec, 5.042);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('reads 5.1 AC-3 in private stream 1 (ffprobe: ac3, 6 ch, 48000 Hz, 1.888 s)', async () => {
    const ac3 = frames(2, ac3Frame({ fscod: 0, acmod: 7, lfeon: true }));
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => privateStreamPayload(0x80, 2, ac3),
      packets: 30,
      ptsStep: 2 * 2880,
    });
    const facts = await probe(file);
    assert.equal(facts.codec, 'ac3');
    assert.equal(facts.channels, 6);
    assert.equal(facts.sampleRateHz, 48000);
    assert.equal(facts.durationSec, 1.888);
  });

  it('reads stereo AC-3 at 44.1 kHz in substream 0x81 (ffprobe: ac3, 2 ch, 44100 Hz, 1.044889 s)', async () => {
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => privateStreamPayload(0x81, 1, ac3Frame({ fscod: 1, acmod: 2, lfeon: false })),
      packets: 30,
      ptsStep: (1536 * PTS_HZ) / 44100,
    });
    const facts = await probe(file);
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['ac3', 2, 44100, 1.045],
    );
  });

  it('counts the channels of every AC-3 channel mode', async () => {
    const expected = [2, 1, 2, 3, 3, 4, 4, 5];
    for (const [acmod, channels] of expected.entries()) {
      const file = audioProgramStream({
        mpeg: 2,
        streamId: 0xbd,
        payload: () => privateStreamPayload(0x80, 1, ac3Frame({ fscod: 0, acmod, lfeon: acmod === 3 })),
        packets: 3,
        ptsStep: 2880,
      });
      assert.equal((await probe(file)).channels, channels + (acmod === 3 ? 1 : 0), `acmod ${acmod}`);
    }
  });

  it('reads DVD LPCM and times its last packet by its bytes (ffprobe: pcm_dvd, 2 ch, 48000 Hz, 0.5 s)', async () => {
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => lpcmPayload(2, 1920),
      packets: 50,
      ptsStep: 900,
    });
    assert.deepEqual(await probe(file), {
      container: 'mpeg-ps',
      codec: 'pcm_dvd',
      durationSec: 0.5,
      channels: 2,
      sampleRateHz: 48000,
      sizeBytes: file.length,
      speakerSeparation: 'channels',
      probed: true,
    });
  });

  it('reads E-AC-3 in substream 0x80', async () => {
    // syncword, strmtyp 0, substream 0, frmsiz; fscod 0 (48 kHz), numblkscod 3 (6 blocks), acmod 2, lfe 0; bsid 16.
    const eac3 = Buffer.concat([Buffer.from([0x0b, 0x77, 0x00, 0xbf, 0x34, 0x80]), Buffer.alloc(378)]);
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => privateStreamPayload(0x80, 1, eac3),
      packets: 10,
      ptsStep: 2880,
    });
    const facts = await probe(file);
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['eac3', 2, 48000, 0.32],
    );
  });

  it('reads a DTS core header in substream 0x88', async () => {
    // Sync, then FTYPE 1, SHORT 31, CPF 0, NBLKS 15 (16 blocks of 32 samples), FSIZE, AMODE 9 (3/2),
    // SFREQ 13 (48 kHz), RATE, five flags, EXT_AUDIO_ID, EXT_AUDIO, ASPF, LFF 1 (an LFE channel).
    const header = Buffer.alloc(16);
    Buffer.from([0x7f, 0xfe, 0x80, 0x01]).copy(header, 0);
    const fields: Array<[number, number]> = [
      [1, 1],
      [5, 31],
      [1, 0],
      [7, 15],
      [14, 1000],
      [6, 9],
      [4, 13],
      [5, 15],
      [5, 0],
      [3, 0],
      [1, 0],
      [1, 0],
      [2, 1],
    ];
    let bit = 32;
    for (const [width, value] of fields) {
      for (let index = 0; index < width; index += 1) {
        const position = bit + index;
        if ((value >> (width - 1 - index)) & 1) {
          header[position >> 3] = (header[position >> 3] ?? 0) | (0x80 >> (position & 7));
        }
      }
      bit += width;
    }
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => privateStreamPayload(0x88, 1, Buffer.concat([header, Buffer.alloc(1000)])),
      packets: 10,
      ptsStep: 960,
    });
    const facts = await probe(file);
    assert.deepEqual([facts.codec, facts.channels, facts.sampleRateHz], ['dts', 6, 48000]);
    assert.equal(facts.durationSec, 0.107); // 9 × 960 ticks + 512 samples
  });
});

describe('MPEG-PS probe: layout and bounded reads', () => {
  it('finds the audio after 150 KB of video, and ignores the video for the duration', async () => {
    const parts: Buffer[] = [packHeader(2, 0), systemHeader([0xe0, 0xc0])];
    for (let index = 0; index < 75; index += 1)
      parts.push(packHeader(2, 0), videoPacket(2, 45_000 + index * 3600));
    for (let index = 0; index < 40; index += 1) {
      parts.push(
        packHeader(2, 0),
        pesPacket(0xc0, MP2_FRAMES, { mpeg: 2, pts: 45_000 + index * MP2_PACKET_TICKS }),
      );
      parts.push(videoPacket(2, 45_000 + (75 + index) * 3600));
    }
    const file = Buffer.concat(parts);
    assert.ok(file.length > 150_000);
    const reader = countingReader(bufferReader(file));
    const facts = await probeMedia(reader, { extension: 'mpg' });
    assert.equal(facts.codec, 'mp2');
    assert.equal(facts.durationSec, 3.082);
  });

  it('probes a 1.5 GB recording from its head and tail, reading under 1 MiB', async () => {
    const sizeBytes = 1_500_000_000;
    const hour = 3600 * PTS_HZ;
    const head = audioProgramStream({
      mpeg: 2,
      streamId: 0xc0,
      payload: () => MP2_FRAMES,
      packets: 20,
      ptsStep: MP2_PACKET_TICKS,
      endCode: false,
    });
    // The tail starts mid-packet, as any cut does; the walk aligns on the next pack header.
    const tail = Buffer.concat([
      Buffer.alloc(700, 0x55),
      audioProgramStream({
        mpeg: 2,
        streamId: 0xc0,
        payload: () => MP2_FRAMES,
        packets: 20,
        ptsStep: MP2_PACKET_TICKS,
        firstPts: PTS_HZ / 2 + hour - 20 * MP2_PACKET_TICKS,
      }),
    ]);
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: sizeBytes - tail.length, bytes: tail },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'mpg' });
    // Last PTS one 3-frame packet short of an hour after the first, then one 1152-sample frame:
    // 3600 - 2 × 1152 / 44100 s.
    assert.equal(facts.durationSec, 3599.948);
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 2);
  });

  it('accepts a copy cut mid-packet, timed by what is there', async () => {
    const whole = audioProgramStream({
      mpeg: 1,
      streamId: 0xc0,
      payload: () => MP2_FRAMES,
      packets: 40,
      ptsStep: MP2_PACKET_TICKS,
    });
    const cut = whole.subarray(0, whole.length - 700);
    const facts = await probe(cut);
    assert.equal(facts.codec, 'mp2');
    // The last packet's header (and PTS) survived: the same duration as the whole file.
    assert.equal(facts.durationSec, 3.082);
    // Cut inside the second-to-last packet: one packet (3 frames) less.
    const cutEarlier = whole.subarray(0, whole.length - 1400);
    assert.equal((await probe(cutEarlier)).durationSec, 3.004);
  });

  it('times across a PTS wrap-around', async () => {
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xc0,
      payload: () => MP2_FRAMES,
      packets: 40,
      ptsStep: MP2_PACKET_TICKS,
      firstPts: 2 ** 33 - 90_000,
    });
    assert.equal((await probe(file)).durationSec, 3.082);
  });

  it('skips junk and padding between packs', async () => {
    const parts: Buffer[] = [];
    for (let index = 0; index < 40; index += 1) {
      parts.push(
        packHeader(1, 0),
        pesPacket(0xc0, MP2_FRAMES, { mpeg: 1, pts: 45_000 + index * MP2_PACKET_TICKS }),
      );
      parts.push(index % 2 === 0 ? paddingPacket(100) : Buffer.from('garbage\x00\x00\x01', 'latin1'));
    }
    assert.equal((await probe(Buffer.concat(parts))).durationSec, 3.082);
  });
});

describe('MPEG-PS probe: rejections', () => {
  it('rejects a video-only program stream: no audio stream', async () => {
    const parts: Buffer[] = [];
    for (let index = 0; index < 20; index += 1) parts.push(packHeader(2, 0), videoPacket(2, index * 3600));
    await assertRejection(
      probe(Buffer.concat(parts)),
      'corrupt-media',
      'no audio stream: the program stream holds only video',
    );
  });

  it('gives up on a large video-only stream after 256 KiB', async () => {
    const parts: Buffer[] = [];
    for (let index = 0; index < 200; index += 1) parts.push(packHeader(2, 0), videoPacket(2, index * 3600));
    const file = Buffer.concat(parts);
    const reader = countingReader(bufferReader(file));
    await assertRejection(
      probeMedia(reader, { extension: 'mpg' }),
      'corrupt-media',
      'no audio stream in the first 262144 bytes',
    );
    assert.equal(reader.bytesRead, 262_144);
  });

  it('rejects an audio stream whose packets hold no frame header', async () => {
    const file = audioProgramStream({
      mpeg: 2,
      streamId: 0xc1,
      payload: () => Buffer.alloc(500, 0x11),
      packets: 5,
      ptsStep: 900,
    });
    await assertRejection(
      probe(file),
      'corrupt-media',
      'no readable audio frame header in audio stream 0xc1',
    );
  });

  it('names a transport stream or a bare MPEG video stream named .mpg', async () => {
    const transport = Buffer.alloc(188 * 4);
    for (let packet = 0; packet < 4; packet += 1) transport[packet * 188] = 0x47;
    assert.equal(sniffContainer(transport), 'mpeg-ts');
    await assertRejection(
      probe(transport),
      'format-mismatch',
      'expected MPEG program stream but content looks like MPEG transport stream',
    );
    const video = Buffer.concat([Buffer.from([0, 0, 1, 0xb3, 0x0a, 0x00, 0x78, 0x13]), Buffer.alloc(100)]);
    assert.equal(sniffContainer(video), 'mpeg-video');
    await assertRejection(
      probe(video, 'mpeg'),
      'format-mismatch',
      'expected MPEG program stream but content looks like MPEG video elementary stream (no audio)',
    );
  });

  it('answers damaged copies with facts or a rejection, never a crash', async () => {
    const mp2 = audioProgramStream({
      mpeg: 1,
      streamId: 0xc0,
      payload: () => MP2_FRAMES,
      packets: 4,
      ptsStep: MP2_PACKET_TICKS,
    });
    const ac3 = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => privateStreamPayload(0x80, 1, ac3Frame({ fscod: 0, acmod: 7, lfeon: true })),
      packets: 4,
      ptsStep: 2880,
    });
    const lpcm = audioProgramStream({
      mpeg: 2,
      streamId: 0xbd,
      payload: () => lpcmPayload(2, 192),
      packets: 4,
      ptsStep: 90,
    });
    for (const file of [mp2, ac3, lpcm]) {
      await assertVerdictsOnly(damagedCopies(file, { headerBytes: file.length, step: 3 }), 'mpg');
    }
  });
});
