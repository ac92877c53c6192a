import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, encodeWav, probeMedia } from './index';
import { assertVerdictsOnly, damagedCopies } from '../test/probe-fuzz';
import { assertRejection, virtualReader } from '../test/wav-fixtures';
import {
  blockGroup,
  cluster,
  EBML_ID,
  ebmlHeader,
  element,
  elementHeader,
  info,
  opusBlocks,
  opusHead,
  opusPacket,
  seekHead,
  tracks,
  uint,
  unknownSizeElement,
  webmFile,
} from '../test/webm-fixtures';
import type { TrackSpec } from '../test/webm-fixtures';

// Real files: `ffmpeg -f lavfi -i sine=sample_rate=8000:duration=3.2 -c:a libopus x.webm` (head up
// to the first Cluster's first bytes), and the same at 48 kHz for 4 s written to a pipe (`-f webm
// pipe:1`): unknown Segment size, no Duration; its head and its last Cluster.
const LIVE_HEAD_HEX = [
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701ffffffffffffff',
  '114d9b74ab4dbb8b53ab841549a96653ac81a14dbb8b53ab841654ae6b53ac81cd4dbb8c53ab841254c36753ac820137',
  'ec0100000000000068000000000000000000000000000000000000000000000000000000000000000000000000000000',
  '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
  '00000000000000000000000000000000001549a966a72ad7b1830f42404d808d4c61766635392e32372e31303057418d',
  '4c61766635392e32372e3130301654ae6be5ae010000000000005cd7810173c5888108cd4fbc1f90bd9c810022b59c83',
  '756e648881008686415f4f50555356aa83632ea056bb8404c4b400838102e1919f8101b58840e7700000000000626481',
  '1063a2934f707573486561640101380180bb00000000001254c367d97373a063c08067c89a45a387454e434f44455244',
  '878d4c61766635392e32372e3130307373b363c08b63c5888108cd4fbc1f90bd67c8a245a387454e434f444552448795',
  '4c61766335392e33372e313030206c69626f7075731f43b67564bde78100a34130',
].join('');
const LIVE_LAST_CLUSTER_HEX = [
  '1f43b6754228e7820f8da340d281000080f8afea744f938a30828a20f246eb74c4dfb9b1efc337e006bb81a5190c62e9',
  'f02cc187d7d019d50de28c9b22ea9cc03f5bc3545957b3f13b25f5d532444d0634bfc126f22f0e03ab5601403be5b166',
  '170b4dc04bbcade5d6488c217c663a310e114f1e17b52faa7e2a8ec1fa9e6d434d049bb8f4712034a94eff40e7c5e0b2',
  '0cc12443a37cbc6d12f7ac1ce4220659a1a07350f4b587be14c0400218905d7e20b31c20cea3aa3ebaa40421718bb7af',
  '4f3aadcb7eab5b66fae15753aa98b521dfef365c5b31ee755b41a7d97db1aea0414ca1414281001400f8b5379ae4d5d4',
  'd571036f6eb7fd928bce4b4aa72e140bab5bd80e5fcfb05ac954c2c23f6e46044d2f60e2600d601e700db7cf49b5d819',
  '7a4b9d2202d2b1a20993f533dbe2c3c61aee54fcba9baf8ba2cf54352df574ced659cb9ec7b23238f2099a72730d9052',
  '19388af9ea775528258379e91ca2c5cf482c92811e38ff771ec07bae8b98165e5f052c7c98b59c52334a2762ac639574',
  '044ac015d2571568cc07749c4a6eb57295a41188cabcd0a57714459b1d636dbbf9ef131453a000000000000000000000',
  '0000000000000000000087e75460c503f65bf09a29edf6ed356ea7a462d3af41556b1967e73e4bd448def3c7e770fede',
  '37dc16b10e85ba961e6875b08839f0550a1e52437efbba550f6fbcaa7d9d5c60ac623807b7865f9ee71bcb29a0cc9aff',
  '61af32fad3d5fba2d74873a492e58da30b067e78b460ac75a28400cdfe60',
].join('');
const SEEKABLE_HEAD_HEX = [
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d4287810442858102185380670100000000006355',
  '114d9b74ba4dbb8b53ab841549a96653ac81a14dbb8b53ab841654ae6b53ac81d84dbb8c53ab841254c36753ac820142',
  '4dbb8c53ab841c53bb6b53ac82633fec0100000000000059000000000000000000000000000000000000000000000000',
  '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
  '00000000000000000000000000000000001549a966b22ad7b1830f42404d808d4c61766635392e32372e31303057418d',
  '4c61766635392e32372e31303044898840a91000000000001654ae6be5ae010000000000005cd7810173c58874ab1c41',
  '6ec2fca79c810022b59c83756e648881008686415f4f50555356aa831087c556bb8404c4b400838102e1919f8101b588',
  '40bf4000000000006264811063a2934f7075734865616401013801401f00000000001254c367fe7373a063c08067c89a',
  '45a387454e434f44455244878d4c61766635392e32372e3130307373d863c08b63c58874ab1c416ec2fca767c8a245a3',
  '87454e434f4445524487954c61766335392e33372e313030206c69626f70757367c8a245a3884455524154494f4e4487',
  '9430303a30303a30332e32303830303030303000001f43b675206173e78100a341',
].join('');

const MIB = 1024 * 1024;

function opusTrack(channels: number, samplingFrequency = 48000): TrackSpec {
  return {
    number: 1,
    type: 'audio',
    codecId: 'A_OPUS',
    channels,
    samplingFrequency,
    codecPrivate: opusHead(channels),
  };
}

function probe(file: Buffer, extension = 'webm') {
  return probeMedia(bufferReader(file), { extension });
}

describe('WebM probe: files ffmpeg wrote', () => {
  it('reads a seekable Opus recording from its head (ffprobe 5.1: opus, 1 ch, 48000 Hz, 3.208 s)', async () => {
    const head = Buffer.from(SEEKABLE_HEAD_HEX, 'hex');
    const reader = countingReader(virtualReader(25_477, [{ offset: 0, bytes: head }]));
    assert.deepEqual(await probeMedia(reader, { extension: 'webm' }), {
      container: 'webm',
      codec: 'opus',
      durationSec: 3.208,
      channels: 1,
      sampleRateHz: 48000,
      sizeBytes: 25_477,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(reader.reads, 1);
  });

  it('estimates a live recording without Duration from its last Cluster', async () => {
    // ffprobe 5.1 gives no duration for this file; the same audio written seekable has 4.008 s,
    // which is the last block's end minus its discard padding.
    const sizeBytes = 40_549;
    const lastCluster = Buffer.from(LIVE_LAST_CLUSTER_HEX, 'hex');
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: Buffer.from(LIVE_HEAD_HEX, 'hex') },
        { offset: sizeBytes - lastCluster.length, bytes: lastCluster },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'webm' });
    assert.equal(facts.durationSec, 4.008);
    assert.equal(facts.codec, 'opus');
    assert.equal(facts.sampleRateHz, 48000);
  });
});

describe('WebM probe: Info and Tracks', () => {
  // Every expectation in this block was measured with ffprobe 5.1 on the same bytes.
  it('reads a float64 Duration and reports Opus at 48 kHz', async () => {
    const file = webmFile([info({ durationMs: 2500 }), tracks(opusTrack(1)), cluster(0, opusBlocks(1, 10))]);
    assert.deepEqual(await probe(file), {
      container: 'webm',
      codec: 'opus',
      durationSec: 2.5,
      channels: 1,
      sampleRateHz: 48000,
      sizeBytes: file.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
  });

  it('reads a float32 Duration, and 48 kHz for Opus whatever SamplingFrequency says', async () => {
    const file = webmFile([
      info({ durationMs: 1234.5, durationBytes: 4 }),
      tracks(opusTrack(2, 16000)),
      cluster(0, opusBlocks(1, 10)),
    ]);
    const facts = await probe(file);
    assert.equal(facts.durationSec, 1.235); // ffprobe: 1.234500
    assert.equal(facts.sampleRateHz, 48000);
    assert.equal(facts.channels, 2);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('scales Duration by TimestampScale', async () => {
    const file = webmFile([
      info({ durationMs: 25_000, timestampScaleNs: 100_000 }),
      tracks(opusTrack(1)),
      cluster(0, opusBlocks(1, 5)),
    ]);
    assert.equal((await probe(file)).durationSec, 2.5);
  });

  it('reads Matroska PCM as matroska with its PCM width', async () => {
    const file = webmFile(
      [
        info({ durationMs: 1000 }),
        tracks({
          number: 1,
          type: 'audio',
          codecId: 'A_PCM/INT/LIT',
          channels: 2,
          samplingFrequency: 8000,
          bitDepth: 16,
        }),
      ],
      { docType: 'matroska' },
    );
    assert.deepEqual(await probe(file, 'mka'), {
      container: 'matroska',
      codec: 'pcm_s16le',
      durationSec: 1,
      channels: 2,
      sampleRateHz: 8000,
      sizeBytes: file.length,
      speakerSeparation: 'channels',
      probed: true,
    });
  });

  it("applies Matroska's defaults: 1 channel, 8000 Hz", async () => {
    const file = webmFile(
      [
        info({ durationMs: 1000 }),
        tracks({ number: 1, type: 'audio', codecId: 'A_PCM/INT/BIG', bitDepth: 24 }),
      ],
      { docType: 'matroska' },
    );
    const facts = await probe(file, 'mkv');
    assert.equal(facts.codec, 'pcm_s24be');
    assert.equal(facts.channels, 1);
    assert.equal(facts.sampleRateHz, 8000);
  });

  it('reads the WAVEFORMATEX of an A_MS/ACM track', async () => {
    const waveFormat = Buffer.alloc(18);
    waveFormat.writeUInt16LE(7, 0); // mu-law
    waveFormat.writeUInt16LE(1, 2);
    waveFormat.writeUInt32LE(8000, 4);
    waveFormat.writeUInt32LE(8000, 8);
    waveFormat.writeUInt16LE(1, 12);
    waveFormat.writeUInt16LE(8, 14);
    const file = webmFile(
      [
        info({ durationMs: 1000 }),
        tracks({
          number: 1,
          type: 'audio',
          codecId: 'A_MS/ACM',
          codecPrivate: waveFormat,
          channels: 2,
          samplingFrequency: 44100,
        }),
      ],
      { docType: 'matroska' },
    );
    // ffprobe 5.1 on these conflicting fields: pcm_mulaw, the record's 1 channel, the track's 44100 Hz.
    const facts = await probe(file, 'mkv');
    assert.equal(facts.codec, 'pcm_mulaw');
    assert.equal(facts.channels, 1);
    assert.equal(facts.sampleRateHz, 44100);
  });

  it('names codecs as ffprobe does, by CodecID prefix', async () => {
    const cases: Array<[string, string]> = [
      ['A_AAC/MPEG4/LC', 'aac'],
      ['A_AAC', 'aac'],
      ['A_VORBIS', 'vorbis'],
      ['A_MPEG/L3', 'mp3'],
      ['A_MPEG/L2', 'mp2'],
      ['A_FLAC', 'flac'],
      ['A_AC3', 'ac3'],
      ['A_EAC3', 'eac3'],
      ['A_PCM/FLOAT/IEEE', 'pcm_f32le'],
      ['A_REAL/COOK', 'unknown_A_REAL/COOK'],
    ];
    for (const [codecId, codec] of cases) {
      const file = webmFile(
        [
          info({ durationMs: 1000 }),
          tracks({ number: 1, type: 'audio', codecId, channels: 2, samplingFrequency: 44100 }),
        ],
        { docType: 'matroska' },
      );
      assert.equal((await probe(file, 'mka')).codec, codec, codecId);
    }
  });

  it('reports the output rate of HE-AAC, where SBR doubles the core rate', async () => {
    const file = webmFile([
      info({ durationMs: 1000 }),
      tracks({
        number: 1,
        type: 'audio',
        codecId: 'A_AAC',
        channels: 1,
        samplingFrequency: 22050,
        outputSamplingFrequency: 44100,
      }),
    ]);
    assert.equal((await probe(file)).sampleRateHz, 44100);
  });

  it('takes the first audio track after a video track', async () => {
    const file = webmFile([
      info({ durationMs: 2000 }),
      tracks({ number: 1, type: 'video', codecId: 'V_VP8' }, { ...opusTrack(2), number: 2 }),
    ]);
    const facts = await probe(file);
    assert.equal(facts.codec, 'opus');
    assert.equal(facts.channels, 2);
  });
});

describe('WebM probe: layout and bounded reads', () => {
  it('follows the SeekHead to Tracks after a 500 MB Cluster, reading under 1 MiB', async () => {
    // Built like a file whose writer appended Tracks at the end (ffprobe 5.1 on a small copy of this
    // layout: pcm_s16le, 2 ch, 44100 Hz, 3 s).
    const clusterBytes = 500_000_000;
    const seekHeadBytes = seekHead([
      [EBML_ID.Info, 0],
      [EBML_ID.Tracks, 0],
    ]).length;
    const infoElement = info({ durationMs: 3000 });
    const clusterHeader = elementHeader(EBML_ID.Cluster, clusterBytes);
    const tracksElement = tracks(
      { number: 1, type: 'video', codecId: 'V_VP8' },
      {
        number: 2,
        type: 'audio',
        codecId: 'A_PCM/INT/LIT',
        channels: 2,
        samplingFrequency: 44100,
        bitDepth: 16,
      },
    );
    const tracksPosition = seekHeadBytes + infoElement.length + clusterHeader.length + clusterBytes;
    const segmentHeader = Buffer.concat([
      ebmlHeader(),
      elementHeader(EBML_ID.Segment, tracksPosition + tracksElement.length),
    ]);
    const head = Buffer.concat([
      segmentHeader,
      seekHead([
        [EBML_ID.Info, seekHeadBytes],
        [EBML_ID.Tracks, tracksPosition],
      ]),
      infoElement,
      clusterHeader,
    ]);
    const tracksOffset = segmentHeader.length + tracksPosition;
    const sizeBytes = tracksOffset + tracksElement.length;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: tracksOffset, bytes: tracksElement },
      ]),
    );
    assert.deepEqual(await probeMedia(reader, { extension: 'webm' }), {
      container: 'webm',
      codec: 'pcm_s16le',
      durationSec: 3,
      channels: 2,
      sampleRateHz: 44100,
      sizeBytes,
      speakerSeparation: 'channels',
      probed: true,
    });
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 2);
  });

  it('hops over a Cluster to Tracks when there is no SeekHead', async () => {
    const file = webmFile([info({ durationMs: 1500 }), cluster(0, opusBlocks(1, 5)), tracks(opusTrack(1))]);
    assert.equal((await probe(file)).durationSec, 1.5);
  });

  it('does not hop over Clusters for a missing Info once it has Tracks', async () => {
    const sizeBytes = 200_000_000;
    const head = webmFile([tracks(opusTrack(1))], { unknownSize: true });
    const clusters = Array.from({ length: 5 }, (_, index) => ({
      offset: head.length + index * 40_000_000,
      bytes: elementHeader(EBML_ID.Cluster, 40_000_000 - 8),
    }));
    const reader = countingReader(virtualReader(sizeBytes, [{ offset: 0, bytes: head }, ...clusters]));
    const facts = await probeMedia(reader, { extension: 'webm' });
    assert.equal(facts.codec, 'opus');
    assert.equal(facts.durationSec, undefined);
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
  });

  it('estimates the duration of a 300 MB live recording with unknown sizes from its tail', async () => {
    // A browser's MediaRecorder: unknown Segment and Cluster sizes, no Duration, no DefaultDuration.
    const sizeBytes = 300_000_000;
    const head = Buffer.concat([
      webmFile([info(), tracks(opusTrack(1))], { unknownSize: true }),
      cluster(0, opusBlocks(1, 3), { unknownSize: true }),
    ]);
    // The last Cluster starts at 3599 s; its last block 980 ms later plays for 20 ms.
    const lastCluster = cluster(3_599_000, opusBlocks(1, 50), { unknownSize: true });
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        { offset: sizeBytes - lastCluster.length, bytes: lastCluster },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'webm' });
    assert.equal(facts.durationSec, 3600);
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
  });

  it('measures a live recording from its first Cluster, and ends at the BlockDuration', async () => {
    const file = webmFile(
      [
        info(),
        tracks(opusTrack(1)),
        cluster(10_000, opusBlocks(1, 50), { unknownSize: true }),
        cluster(11_000, [...opusBlocks(1, 49), blockGroup(1, 980, opusPacket(), { durationTicks: 60 })], {
          unknownSize: true,
        }),
      ],
      { unknownSize: true },
    );
    // 11 000 + 980 + 60 - 10 000 ms.
    assert.equal((await probe(file)).durationSec, 2.04);
  });

  it('trims the discard padding of the last block, as a seekable file would', async () => {
    const file = webmFile(
      [
        info(),
        tracks(opusTrack(1)),
        cluster(0, [
          ...opusBlocks(1, 49),
          blockGroup(1, 980, opusPacket(), { discardPaddingNs: 13_500_000 }),
        ]),
      ],
      { unknownSize: true },
    );
    // 980 + 20 - 13.5 ms.
    assert.equal((await probe(file)).durationSec, 0.987);
  });

  it('ignores video blocks after the last audio block', async () => {
    const file = webmFile(
      [
        info(),
        tracks({ number: 1, type: 'video', codecId: 'V_VP8' }, { ...opusTrack(1), number: 2 }),
        cluster(0, [
          ...opusBlocks(2, 10),
          element(0xa3, Buffer.from([0x81, 0x03, 0xe8, 0x80]), Buffer.alloc(50)),
        ]),
      ],
      { unknownSize: true },
    );
    assert.equal((await probe(file)).durationSec, 0.2);
  });

  it('leaves the duration out when the last Cluster starts beyond what it may read', async () => {
    // One 2 MB Cluster of video and audio at the end of a live recording: its start is out of reach.
    const sizeBytes = 50_000_000;
    const head = Buffer.concat([
      webmFile([info(), tracks(opusTrack(1))], { unknownSize: true }),
      cluster(0, opusBlocks(1, 3), { unknownSize: true }),
    ]);
    const lastClusterStart = sizeBytes - 2_000_000;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: head },
        {
          offset: lastClusterStart,
          bytes: unknownSizeElement(EBML_ID.Cluster, uint(0xe7, 48_000_000)),
        },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'webm' });
    assert.equal(facts.durationSec, undefined);
    assert.equal(facts.codec, 'opus');
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
  });
});

describe('WebM probe: rejections', () => {
  it('rejects a video-only WebM: no audio track', async () => {
    const file = webmFile([
      info({ durationMs: 2000 }),
      tracks({ number: 1, type: 'video', codecId: 'V_VP8' }),
    ]);
    await assertRejection(probe(file), 'corrupt-media', 'no audio track');
  });

  it('rejects a copy cut short of its Segment size as truncated', async () => {
    const file = webmFile([info({ durationMs: 2000 }), tracks(opusTrack(1)), cluster(0, opusBlocks(1, 100))]);
    await assertRejection(
      probe(file.subarray(0, file.length - 500)),
      'corrupt-media',
      /^truncated: the Segment declares \d+ bytes but only \d+ are present$/,
    );
  });

  it('rejects a SeekHead that points past the end of the file as truncated', async () => {
    const file = webmFile(
      [seekHead([[EBML_ID.Tracks, 1_000_000]]), info({ durationMs: 2000 }), cluster(0, opusBlocks(1, 5))],
      { unknownSize: true },
    );
    await assertRejection(
      probe(file),
      'corrupt-media',
      /^truncated: the SeekHead places Tracks at offset \d+/,
    );
  });

  it('rejects a Segment without Tracks', async () => {
    const file = webmFile([info({ durationMs: 2000 })]);
    await assertRejection(probe(file), 'corrupt-media', 'no Tracks element in the Segment');
  });

  it('rejects an unreadable element header', async () => {
    const file = webmFile([info({ durationMs: 2000 }), Buffer.from([0x00, 0x00, 0x00, 0x00])], {
      unknownSize: true,
    });
    await assertRejection(probe(file), 'corrupt-media', /^invalid EBML element header at offset \d+$/);
  });

  it('rejects a TrackEntry whose child overruns it', async () => {
    // TrackNumber declares 5 bytes; its TrackEntry holds 1.
    const broken = element(EBML_ID.Tracks, element(0xae, Buffer.from([0xd7, 0x85, 0x01])));
    const file = webmFile([info({ durationMs: 2000 }), broken]);
    await assertRejection(
      probe(file),
      'corrupt-media',
      'malformed TrackEntry element: TrackNumber overruns it',
    );
  });

  it('rejects an EBML document that is not WebM or Matroska as format-mismatch', async () => {
    const file = webmFile([info({ durationMs: 2000 }), tracks(opusTrack(1))], { docType: 'dvbsub' });
    await assertRejection(
      probe(file),
      'format-mismatch',
      'expected WebM/Matroska (EBML) but content looks like an EBML document of type "dvbsub"',
    );
  });

  it('rejects WAV content named .webm as format-mismatch naming WAV', async () => {
    const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1 });
    await assertRejection(
      probe(wav),
      'format-mismatch',
      'expected WebM/Matroska (EBML) but content looks like WAV (RIFF/WAVE)',
    );
  });

  it('rejects a WebM that ends inside its EBML header', async () => {
    await assertRejection(probe(webmFile([]).subarray(0, 20)), 'corrupt-media', /^truncated: /);
  });

  it('answers damaged copies with facts or a rejection, never a crash', async () => {
    const seekable = webmFile([
      seekHead([[EBML_ID.Info, 0]]),
      info({ durationMs: 2500 }),
      tracks({ number: 1, type: 'video', codecId: 'V_VP8' }, { ...opusTrack(2), number: 2 }),
      cluster(0, opusBlocks(2, 10)),
    ]);
    const live = webmFile(
      [info(), tracks(opusTrack(1)), cluster(0, opusBlocks(1, 10), { unknownSize: true })],
      { unknownSize: true },
    );
    await assertVerdictsOnly(damagedCopies(seekable, { headerBytes: 400 }), 'webm');
    await assertVerdictsOnly(damagedCopies(live, { headerBytes: live.length }), 'webm');
  });
});
