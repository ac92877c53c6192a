import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from '../index';
import { assertRejection, virtualReader } from '../../test/wav-fixtures';
import {
  assertNeverCrashes,
  oggFlacHeader,
  oggPage,
  opusHead,
  vorbisIdHeader,
} from '../../test/audio-builders';

const SERIAL = 0x1234;
const BOS = 0x02;
const EOS = 0x04;

/** A stream: its identification page, a comment page, audio pages, the last one flagged EOS. */
function oggStream(idHeader: Buffer, granules: bigint[], serial = SERIAL): Buffer {
  const pages = [
    oggPage({ serial, sequence: 0, granule: 0n, flags: BOS, packets: [idHeader] }),
    oggPage({ serial, sequence: 1, granule: 0n, packets: [Buffer.from('\x03vorbis comments', 'latin1')] }),
    ...granules.map((granule, index) =>
      oggPage({
        serial,
        sequence: index + 2,
        granule,
        flags: index === granules.length - 1 ? EOS : 0,
        packets: [Buffer.alloc(300, 0x55), Buffer.alloc(120, 0x66)],
      }),
    ),
  ];
  return Buffer.concat(pages);
}

function probeOgg(file: Buffer) {
  return probeMedia(bufferReader(file), { extension: 'ogg' });
}

describe('Ogg probe', () => {
  it('reads Vorbis: channels and rate from the id header, duration from the last granule', async () => {
    // libvorbis, 16 kHz mono, 3.3 s (last granule 52800): ffprobe 5.1 says vorbis, 1, 16000, 3.300000.
    const file = oggStream(vorbisIdHeader(1, 16000), [20000n, 40000n, 52800n]);
    const counted = countingReader(bufferReader(file));
    assert.deepEqual(await probeMedia(counted, { extension: 'ogg' }), {
      container: 'ogg',
      codec: 'vorbis',
      durationSec: 3.3,
      channels: 1,
      sampleRateHz: 16000,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(counted.reads, 1);
  });

  it('reads Opus at 48 kHz and subtracts the pre-skip', async () => {
    // libopus fed 16 kHz mono for 3.3 s: pre-skip 312, last granule 158712. ffprobe 5.1 reports
    // 48000 Hz and 3.3065 s (it keeps the pre-skip in); RFC 7845 says the pre-skip is not audio.
    const facts = await probeOgg(oggStream(opusHead(1, 312, 16000), [96312n, 158712n]));
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['opus', 1, 48000, 3.3],
    );
  });

  it('reads FLAC in Ogg', async () => {
    // ffmpeg -c:a flac -f ogg, 8 kHz mono: ffprobe 5.1 says flac, 1, 8000, 3.300000.
    const info = { blockSize: 4608, sampleRateHz: 8000, channels: 1, bitsPerSample: 16, totalSamples: 26400 };
    const facts = await probeOgg(oggStream(oggFlacHeader(info), [13824n, 26400n]));
    assert.deepEqual(
      [facts.codec, facts.channels, facts.sampleRateHz, facts.durationSec],
      ['flac', 1, 8000, 3.3],
    );
  });

  it('takes the last page that ends a packet, skipping a continuation page (granule -1)', async () => {
    const stream = oggStream(vorbisIdHeader(2, 44100), [44100n, 88200n]);
    const continuation = oggPage({
      serial: SERIAL,
      sequence: 9,
      granule: -1n,
      packets: [Buffer.alloc(600)],
      continues: true,
    });
    const facts = await probeOgg(Buffer.concat([stream, continuation]));
    assert.equal(facts.durationSec, 2);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('finds the audio stream behind a Skeleton stream, and ignores its pages at the end', async () => {
    const skeletonHead = Buffer.concat([Buffer.from('fishead\0', 'latin1'), Buffer.alloc(56)]);
    const skeleton = oggPage({ serial: 7, sequence: 0, granule: 0n, flags: BOS, packets: [skeletonHead] });
    const audio = oggStream(vorbisIdHeader(1, 8000), [8000n, 16000n]);
    const skeletonEnd = oggPage({
      serial: 7,
      sequence: 1,
      granule: 999999n,
      flags: EOS,
      packets: [Buffer.alloc(0)],
    });
    const facts = await probeOgg(Buffer.concat([skeleton, audio, skeletonEnd]));
    assert.equal(facts.durationSec, 2);
  });

  it('probes a 1.9 GB file by its first pages and its last 66 KiB', async () => {
    const head = oggStream(vorbisIdHeader(1, 8000), [8000n]);
    const last = oggPage({
      serial: SERIAL,
      sequence: 99,
      granule: 8000n * 3600n,
      flags: EOS,
      packets: [Buffer.alloc(400)],
    });
    const sizeBytes = 1_900_000_000;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: sizeBytes - last.length, bytes: last },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'ogg' });
    assert.equal(facts.durationSec, 3600);
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 2);
  });
});

describe('Ogg probe: rejections', () => {
  it('rejects a file whose last page runs past the end (a cut-off upload)', async () => {
    const file = oggStream(vorbisIdHeader(1, 16000), [20000n, 40000n]);
    await assertRejection(
      probeOgg(file.subarray(0, file.length - 50)),
      'corrupt-media',
      /^truncated: the last Ogg page \(offset \d+\) declares 450 bytes but only 400 are present$/,
    );
  });

  it('rejects a file cut inside its first page', async () => {
    const file = oggStream(vorbisIdHeader(1, 16000), [20000n]);
    await assertRejection(
      probeOgg(file.subarray(0, 40)),
      'corrupt-media',
      'truncated: the file ends inside the first page of the Ogg stream (offset 0)',
    );
  });

  it('rejects a capture that starts in the middle of a stream', async () => {
    const middle = oggPage({ serial: SERIAL, sequence: 40, granule: 90000n, packets: [Buffer.alloc(200)] });
    await assertRejection(
      probeOgg(middle),
      'corrupt-media',
      'the first Ogg page does not begin a stream (no codec headers)',
    );
  });

  it('rejects an Ogg with only a video stream', async () => {
    const theora = Buffer.concat([Buffer.from('\x80theora', 'latin1'), Buffer.alloc(40)]);
    const file = Buffer.concat([
      oggPage({ serial: 3, sequence: 0, granule: 0n, flags: BOS, packets: [theora] }),
      oggPage({ serial: 3, sequence: 1, granule: 100n, flags: EOS, packets: [Buffer.alloc(100)] }),
    ]);
    await assertRejection(
      probeOgg(file),
      'corrupt-media',
      'no audio stream in the Ogg file (found Theora video)',
    );
  });

  it('rejects an Ogg of headers only as empty', async () => {
    await assertRejection(
      probeOgg(oggStream(opusHead(2, 312, 48000), [312n])),
      'empty-file',
      'the Ogg opus stream holds no audio, only headers',
    );
  });

  it('passes over a damaged last page, but not when it held all the audio', async () => {
    const damageLastPage = (file: Buffer): Buffer => {
      const damaged = Buffer.from(file);
      damaged.writeUInt8((damaged.readUInt8(damaged.length - 5) ^ 0xff) & 0xff, damaged.length - 5);
      return damaged;
    };
    const twoPages = damageLastPage(oggStream(vorbisIdHeader(1, 16000), [20000n, 40000n]));
    assert.equal((await probeOgg(twoPages)).durationSec, 1.25);
    const onePage = damageLastPage(oggStream(vorbisIdHeader(1, 16000), [20000n]));
    await assertRejection(
      probeOgg(onePage),
      'corrupt-media',
      /^the Ogg page at offset \d+ fails its CRC check$/,
    );
  });

  it('rejects text and WAV named .ogg as format-mismatch', async () => {
    await assertRejection(
      probeOgg(Buffer.from('agent;caller\n')),
      'format-mismatch',
      'expected Ogg (Vorbis, Opus, FLAC or Speex) but content looks like plain text',
    );
    await assertRejection(
      probeOgg(Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), Buffer.alloc(40)])),
      'format-mismatch',
      /looks like WAV/,
    );
  });

  it('never crashes on damaged input', async () => {
    await assertNeverCrashes(oggStream(opusHead(1, 312, 16000), [9000n, 18000n]), 'ogg');
    await assertNeverCrashes(oggStream(vorbisIdHeader(2, 8000), [4000n]), 'ogg', 3);
  });
});
