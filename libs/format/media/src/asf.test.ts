import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, probeMedia } from './index';
import {
  ASF_GUID,
  asfFile,
  asfObject,
  dataObjectHeader,
  extendedStreamProperties,
  fileProperties,
  headerExtension,
  headerObject,
  streamProperties,
} from '../test/asf-fixtures';
import type { WaveFormatFields } from '../test/asf-fixtures';
import { assertVerdictsOnly, damagedCopies } from '../test/probe-fuzz';
import { assertRejection, virtualReader } from '../test/wav-fixtures';

// A real file: `ffmpeg -f lavfi -i sine=sample_rate=8000:duration=3.3 -c:a wmav2 x.wma` (58 144
// bytes); its 494-byte Header Object and the Data Object's header.
const WMAV2_HEADER_HEX = [
  '3026b2758e66cf11a6d900aa0062ce6cee01000000000000050000000102a1dcab8c47a9cf118ee400c00c2053656800',
  '0000000000000000000000000000000000000000000020e300000000000000803ed5deb19d011200000000000000c0d5',
  'd4030000000000d0fb01000000001c0c00000000000002000000800c0000800c000000f40100b503bf5f2ea9cf118ee3',
  '00c00c2053652e0000000000000011d2d3abbaa9cf118ee600c00c20536506000000000040a4d0d207e3d21197f000a0',
  'c95ea85064000000000000000100280057004d002f0045006e0063006f00640069006e00670053006500740074006900',
  '6e0067007300000000001c004c00610076006600350039002e00320037002e0031003000300000009107dcb7b7a9cf11',
  '8ee600c00c2053657200000000000000409e69f84d5bcf11a8fd00805f5c442b50cdc3bf8f61cf118bb200aa00b4e220',
  '00000000000000001c0000000800000001000000000061010100401f0000803e0000000410000a000000000001000000',
  '000001000400040100004052d1861d31d011a3a400a0c90348f664000000000000004152d1861d31d011a3a400a0c903',
  '48f60100000002001700570069006e0064006f007700730020004d006500640069006100200041007500640069006f00',
  '20005600380000000000020061013626b2758e66cf11a6d900aa0062ce6c32e100000000000000000000000000000000',
  '00000000000012000000000000000101',
].join('');

const MIB = 1024 * 1024;
const WMAV2_STEREO_16K: WaveFormatFields = {
  formatTag: 0x161,
  channels: 2,
  sampleRateHz: 16000,
  extra: Buffer.alloc(10),
};

function probe(file: Buffer, extension = 'wma') {
  return probeMedia(bufferReader(file), { extension });
}

describe('ASF probe: files ffmpeg wrote', () => {
  it('reads WMA v2 from its header (ffprobe 5.1: wmav2, 1 ch, 8000 Hz, 3.328 s)', async () => {
    const reader = countingReader(
      virtualReader(58_144, [{ offset: 0, bytes: Buffer.from(WMAV2_HEADER_HEX, 'hex') }]),
    );
    assert.deepEqual(await probeMedia(reader, { extension: 'wma' }), {
      container: 'asf',
      codec: 'wmav2',
      durationSec: 3.328,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: 58_144,
      speakerSeparation: 'diarization',
      probed: true,
    });
    assert.equal(reader.reads, 1);
  });
});

describe('ASF probe: header objects', () => {
  it('reads WMA Pro 5.1 and subtracts the preroll (ffprobe 5.1: wmapro, 6 ch, 48000 Hz, 12.5 s)', async () => {
    const extra = Buffer.alloc(18);
    extra.writeUInt16LE(24, 0);
    extra.writeUInt32LE(0x3f, 2);
    extra.writeUInt16LE(0xe0, 14);
    const file = asfFile({
      objects: [
        streamProperties(1, { formatTag: 0x162, channels: 6, sampleRateHz: 48000, bitsPerSample: 24, extra }),
      ],
      playDuration: 156_000_000,
      prerollMs: 3100,
    });
    assert.deepEqual(await probe(file), {
      container: 'asf',
      codec: 'wmapro',
      durationSec: 12.5,
      channels: 6,
      sampleRateHz: 48000,
      sizeBytes: file.length,
      speakerSeparation: 'channels',
      probed: true,
    });
  });

  it('finds an audio stream declared only in the Header Extension (ffprobe 5.1: wmav2, 2 ch, 44100 Hz, 2 s)', async () => {
    const embedded = streamProperties(2, {
      formatTag: 0x161,
      channels: 2,
      sampleRateHz: 44100,
      extra: Buffer.alloc(6),
    });
    const file = asfFile({
      objects: [
        streamProperties(1),
        headerExtension(extendedStreamProperties(1), extendedStreamProperties(2, embedded)),
      ],
      playDuration: 20_000_000,
    });
    const facts = await probe(file, 'wmv');
    assert.equal(facts.codec, 'wmav2');
    assert.equal(facts.channels, 2);
    assert.equal(facts.sampleRateHz, 44100);
    assert.equal(facts.durationSec, 2);
  });

  it('names the codecs of WAVEFORMATEX tags as ffprobe does', async () => {
    const cases: Array<[number, number, string]> = [
      [0x0160, 16, 'wmav1'],
      [0x0161, 16, 'wmav2'],
      [0x0162, 24, 'wmapro'],
      [0x0163, 16, 'wmalossless'],
      [0x000a, 16, 'wmavoice'],
      [0x0001, 16, 'pcm_s16le'],
      [0x0001, 8, 'pcm_u8'],
      [0x0055, 0, 'mp3'],
      [0x0006, 8, 'pcm_alaw'],
      [0x0130, 16, 'sipr'],
      [0x7777, 16, 'unknown_0x7777'],
    ];
    for (const [formatTag, bitsPerSample, codec] of cases) {
      const file = asfFile({
        objects: [streamProperties(1, { formatTag, channels: 1, sampleRateHz: 8000, bitsPerSample })],
        playDuration: 10_000_000,
      });
      assert.equal((await probe(file)).codec, codec, `0x${formatTag.toString(16)}`);
    }
  });

  it('takes the audio stream of a WMV whatever comes first', async () => {
    const file = asfFile({
      objects: [streamProperties(1), streamProperties(2, WMAV2_STEREO_16K)],
      playDuration: 20_320_000,
    });
    // ffprobe 5.1 on a WMV ffmpeg wrote shows the same: the audio stream's duration is play
    // duration minus preroll (its format duration adds the video's start offset).
    const facts = await probe(file, 'wmv');
    assert.equal(facts.durationSec, 2.032);
    assert.equal(facts.channels, 2);
  });

  it('leaves the duration out for a broadcast (live) file, whose play duration is meaningless', async () => {
    const file = asfFile({ objects: [streamProperties(1, WMAV2_STEREO_16K)], playDuration: 0, flags: 0x1 });
    const facts = await probe(file);
    assert.equal(facts.durationSec, undefined);
    assert.equal(facts.codec, 'wmav2');
  });

  it('skips a 600 KB cover picture in the header without reading it', async () => {
    const picture = asfObject(ASF_GUID.metadataLibrary, Buffer.alloc(0));
    const pictureBytes = 600_000;
    picture.writeBigUInt64LE(BigInt(24 + pictureBytes), 16);
    const before = fileProperties({ fileSize: 0, playDuration: 600_000_000, prerollMs: 0, dataPackets: 100 });
    const stream = streamProperties(1, WMAV2_STEREO_16K);
    const headerSize = 30 + before.length + picture.length + pictureBytes + stream.length;
    const sizeBytes = headerSize + 50 + 100 * 3200;
    const headerStart = headerObject([before, picture], headerSize).subarray(
      0,
      30 + before.length + picture.length,
    );
    headerStart.writeUInt32LE(3, 24);
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: headerStart },
        { offset: headerStart.length + pictureBytes, bytes: stream },
        { offset: headerSize, bytes: dataObjectHeader(100, 3200) },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'wma' });
    assert.equal(facts.durationSec, 60);
    assert.ok(reader.bytesRead < 100_000, `read ${reader.bytesRead} bytes`);
  });

  it('probes a 1.9 GB WMA reading under 1 MiB', async () => {
    const packets = 590_000;
    const header = headerObject([
      fileProperties({ fileSize: 0, playDuration: 36_000_000_000, prerollMs: 0, dataPackets: packets }),
      streamProperties(1, WMAV2_STEREO_16K),
    ]);
    const sizeBytes = header.length + 50 + packets * 3200;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: header },
        { offset: header.length, bytes: dataObjectHeader(packets, 3200) },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'wma' });
    assert.equal(facts.durationSec, 3600);
    assert.ok(reader.bytesRead < MIB, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 1);
  });
});

describe('ASF probe: rejections', () => {
  it('rejects a video-only WMV: no audio track', async () => {
    const file = asfFile({ objects: [streamProperties(1)], playDuration: 20_000_000 });
    await assertRejection(probe(file, 'wmv'), 'corrupt-media', 'no audio track');
  });

  it('rejects a header larger than the file as truncated', async () => {
    const file = asfFile({ objects: [streamProperties(1, WMAV2_STEREO_16K)], playDuration: 10_000_000 });
    await assertRejection(
      probe(file.subarray(0, 200)),
      'corrupt-media',
      /^truncated: the ASF header declares \d+ bytes but the file has only 200$/,
    );
  });

  it('rejects a Data Object cut short as truncated', async () => {
    const file = asfFile({ objects: [streamProperties(1, WMAV2_STEREO_16K)], playDuration: 10_000_000 });
    await assertRejection(
      probe(file.subarray(0, file.length - 1000)),
      'corrupt-media',
      /^truncated: the Data object declares 12850 bytes but only 11850 are present$/,
    );
  });

  it('rejects a file that ends with its header as truncated', async () => {
    const header = headerObject([
      fileProperties({ fileSize: 0, playDuration: 10_000_000, prerollMs: 0, dataPackets: 1 }),
      streamProperties(1, WMAV2_STEREO_16K),
    ]);
    await assertRejection(probe(header), 'corrupt-media', 'truncated: no Data object after the ASF header');
  });

  it('rejects a WMA without packets as empty', async () => {
    const file = asfFile({ objects: [streamProperties(1, WMAV2_STEREO_16K)], playDuration: 0, packets: 0 });
    await assertRejection(
      probe(file),
      'empty-file',
      'the ASF holds no audio: its Data object has no packets',
    );
  });

  it("accepts a crashed writer's placeholder Data object, without a duration", async () => {
    const file = asfFile({ objects: [streamProperties(1, WMAV2_STEREO_16K)], playDuration: 0 });
    const dataAt = file.indexOf(ASF_GUID.data);
    file.writeBigUInt64LE(50n, dataAt + 16);
    file.writeBigUInt64LE(0n, dataAt + 40);
    const facts = await probe(file);
    assert.equal(facts.codec, 'wmav2');
    assert.equal(facts.durationSec, undefined);
  });

  it('rejects a header object that overruns the header', async () => {
    const stream = streamProperties(1, WMAV2_STEREO_16K);
    stream.writeBigUInt64LE(10_000n, 16);
    const file = asfFile({ objects: [stream], playDuration: 10_000_000 });
    await assertRejection(
      probe(file),
      'corrupt-media',
      /^malformed ASF header: object [0-9a-f]{32} at offset \d+ declares 10000 bytes$/,
    );
  });

  it('rejects a header without File Properties', async () => {
    const header = headerObject([streamProperties(1, WMAV2_STEREO_16K)]);
    const file = Buffer.concat([header, dataObjectHeader(1, 100), Buffer.alloc(100)]);
    await assertRejection(probe(file), 'corrupt-media', 'no File Properties object in the ASF header');
  });

  it('rejects an audio stream that declares 0 channels', async () => {
    const file = asfFile({
      objects: [streamProperties(1, { ...WMAV2_STEREO_16K, channels: 0 })],
      playDuration: 10_000_000,
    });
    await assertRejection(probe(file), 'corrupt-media', 'audio stream 1 declares 0 channels');
  });

  it('rejects MP3 bytes named .wma as format-mismatch naming MP3', async () => {
    const id3 = Buffer.concat([
      Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x0a', 'latin1'),
      Buffer.alloc(4000, 0x55),
    ]);
    await assertRejection(
      probe(id3),
      'format-mismatch',
      'expected WMA/WMV (ASF) but content looks like MP3 (ID3)',
    );
  });

  it('answers damaged copies with facts or a rejection, never a crash', async () => {
    const file = asfFile({
      objects: [
        streamProperties(1),
        headerExtension(
          extendedStreamProperties(1),
          extendedStreamProperties(2, streamProperties(2, WMAV2_STEREO_16K)),
        ),
      ],
      playDuration: 20_000_000,
      packets: 2,
      packetSize: 200,
    });
    await assertVerdictsOnly(damagedCopies(file, { headerBytes: file.length - 400 }), 'wmv');
  });
});
