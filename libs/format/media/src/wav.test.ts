import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader, encodeWav, probeMedia } from './index';
import { assertRejection, chunk, fmtBody, riffWave, u32, virtualReader } from '../test/wav-fixtures';
import type { FmtFields } from '../test/wav-fixtures';

const PCM_8K_MONO: FmtFields = {
  formatTag: 1,
  channels: 1,
  sampleRateHz: 8000,
  byteRate: 16000,
  blockAlign: 2,
  bitsPerSample: 16,
};

/** KSDATAFORMAT_SUBTYPE_AMBISONIC_B_FORMAT_PCM, bytes 2..15: not a plain format tag. */
const AMBISONIC_B_FORMAT_GUID_TAIL = '00002107d3118644c8c1ca000000';

function probeWav(wav: Buffer) {
  return probeMedia(bufferReader(wav), { extension: 'wav' });
}

/** WAVE_FORMAT_EXTENSIBLE tail: cbSize 22, valid bits, channel mask, sub-format GUID. */
function extensible(validBits: number, channelMask: number, subFormatTag: number, guidTail?: string): Buffer {
  const tail = Buffer.alloc(24);
  tail.writeUInt16LE(22, 0);
  tail.writeUInt16LE(validBits, 2);
  tail.writeUInt32LE(channelMask, 4);
  tail.writeUInt16LE(subFormatTag, 8);
  Buffer.from(guidTail ?? '000000001000800000aa00389b71', 'hex').copy(tail, 10);
  return tail;
}

describe('WAV probe: files from encodeWav', () => {
  const cases: Array<{ sampleRateHz: number; channels: number; bitsPerSample: 8 | 16 }> = [
    { sampleRateHz: 8000, channels: 1, bitsPerSample: 16 },
    { sampleRateHz: 8000, channels: 2, bitsPerSample: 16 },
    { sampleRateHz: 16000, channels: 1, bitsPerSample: 16 },
    { sampleRateHz: 16000, channels: 2, bitsPerSample: 16 },
    { sampleRateHz: 44100, channels: 1, bitsPerSample: 16 },
    { sampleRateHz: 44100, channels: 2, bitsPerSample: 16 },
    { sampleRateHz: 8000, channels: 1, bitsPerSample: 8 },
    { sampleRateHz: 44100, channels: 2, bitsPerSample: 8 },
  ];
  for (const { sampleRateHz, channels, bitsPerSample } of cases) {
    it(`reads ${sampleRateHz} Hz, ${channels} channel(s), ${bitsPerSample}-bit exactly`, async () => {
      const wav = encodeWav({ sampleRateHz, channels, durationSec: 2.5, bitsPerSample });
      const counted = countingReader(bufferReader(wav));
      const facts = await probeMedia(counted, { extension: 'wav' });
      assert.deepEqual(facts, {
        container: 'wav',
        codec: bitsPerSample === 8 ? 'pcm_u8' : 'pcm_s16le',
        durationSec: 2.5,
        channels,
        sampleRateHz,
        sizeBytes: wav.length,
        speakerSeparation: channels >= 2 ? 'channels' : 'diarization',
        probed: true,
      });
      assert.equal(counted.reads, 1);
      assert.ok(counted.bytesRead <= 64 * 1024);
    });
  }

  it('rounds durations to milliseconds', async () => {
    const facts = await probeWav(encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1.00037 }));
    assert.equal(facts.durationSec, 1);
    const longer = await probeWav(encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.0123 }));
    assert.equal(longer.durationSec, 0.012);
  });
});

describe('WAV probe: large files through ranged reads', () => {
  it('probes a 1.5 GB file with a 300 MB chunk before data, reading under 1 MiB', async () => {
    const junkBytes = 300_000_000;
    const dataBytes = 1_200_000_000;
    const stereo8k = { ...PCM_8K_MONO, channels: 2, byteRate: 32000, blockAlign: 4 };
    const headerBytes = Buffer.concat([
      Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'),
      chunk('fmt ', fmtBody(stereo8k)),
      chunk('JUNK', Buffer.alloc(0), junkBytes),
    ]);
    const dataOffset = headerBytes.length + junkBytes;
    const sizeBytes = dataOffset + 8 + dataBytes;
    const reader = countingReader(
      virtualReader(sizeBytes, [
        { offset: 0, bytes: headerBytes },
        { offset: dataOffset, bytes: chunk('data', Buffer.alloc(0), dataBytes) },
      ]),
    );
    const facts = await probeMedia(reader, { extension: 'wav' });
    assert.equal(sizeBytes, 1_500_000_052);
    assert.deepEqual(facts, {
      container: 'wav',
      codec: 'pcm_s16le',
      durationSec: 37_500,
      channels: 2,
      sampleRateHz: 8000,
      sizeBytes,
      speakerSeparation: 'channels',
      probed: true,
    });
    assert.ok(reader.bytesRead < 1024 * 1024, `read ${reader.bytesRead} bytes`);
    assert.equal(reader.reads, 2);
  });

  it('gives up with corrupt-media when the data chunk lies beyond the read budget', async () => {
    const chunkCount = 300;
    const junkBytes = 1_000_000;
    const segments = [{ offset: 0, bytes: riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO))]) }];
    let offset = segments[0]?.bytes.length ?? 0;
    for (let index = 0; index < chunkCount; index += 1) {
      segments.push({ offset, bytes: chunk('JUNK', Buffer.alloc(0), junkBytes) });
      offset += 8 + junkBytes;
    }
    segments.push({ offset, bytes: chunk('data', Buffer.alloc(0), 16000) });
    const reader = countingReader(virtualReader(offset + 8 + 16000, segments));
    await assertRejection(
      probeMedia(reader, { extension: 'wav' }),
      'corrupt-media',
      'could not find data chunk within 1048576 bytes',
    );
    assert.ok(reader.bytesRead <= 1024 * 1024, `read ${reader.bytesRead} bytes`);
  });

  it('names both chunks when the budget ends before either', async () => {
    const wav = riffWave([
      chunk('LIST', Buffer.alloc(100)),
      chunk('fmt ', fmtBody(PCM_8K_MONO)),
      chunk('data', Buffer.alloc(16)),
    ]);
    await assertRejection(
      probeMedia(bufferReader(wav), { extension: 'wav', maxReadBytes: 40 }),
      'corrupt-media',
      'could not find fmt and data chunks within 40 bytes',
    );
  });
});

describe('WAV probe: chunk layout', () => {
  it('skips a LIST chunk of odd size (with its pad byte) before fmt', async () => {
    const list = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00Lavf\x00', 'latin1'));
    assert.equal(list.length % 2, 0);
    const wav = riffWave([list, chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('data', Buffer.alloc(24000))]);
    const facts = await probeWav(wav);
    assert.equal(facts.durationSec, 1.5);
    assert.equal(facts.codec, 'pcm_s16le');
  });

  it('tolerates a writer that forgot the pad byte after an odd chunk', async () => {
    const unpadded = chunk('JUNK', Buffer.alloc(3), 3, false);
    const wav = riffWave([unpadded, chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('data', Buffer.alloc(8000))]);
    assert.equal((await probeWav(wav)).durationSec, 0.5);
  });

  it('finds fmt after data', async () => {
    const wav = riffWave([chunk('data', Buffer.alloc(8000)), chunk('fmt ', fmtBody(PCM_8K_MONO))]);
    assert.equal((await probeWav(wav)).durationSec, 0.5);
  });

  it('ignores a trailing partial frame', async () => {
    const wav = riffWave([
      chunk('fmt ', fmtBody({ ...PCM_8K_MONO, channels: 2, blockAlign: 4, byteRate: 32000 })),
      chunk('data', Buffer.alloc(8003)),
    ]);
    assert.equal((await probeWav(wav)).durationSec, 0.25);
  });

  it('reads RF64 sizes from ds64', async () => {
    const ds64 = Buffer.alloc(28);
    ds64.writeBigUInt64LE(0xffffffffn, 0);
    ds64.writeBigUInt64LE(16000n, 8);
    ds64.writeBigUInt64LE(8000n, 16);
    const wav = riffWave(
      [
        chunk('ds64', ds64),
        chunk('fmt ', fmtBody(PCM_8K_MONO)),
        chunk('data', Buffer.alloc(16000), 0xffffffff),
        chunk('LIST', Buffer.alloc(40)),
      ],
      'RF64',
    );
    const facts = await probeWav(wav);
    assert.equal(facts.durationSec, 1);
    assert.equal(facts.container, 'wav');
  });
});

describe('WAV probe: streamed headers', () => {
  it('takes a data size of 0xFFFFFFFF as the rest of the file', async () => {
    const wav = riffWave([
      chunk('fmt ', fmtBody(PCM_8K_MONO)),
      chunk('data', Buffer.alloc(32000), 0xffffffff),
    ]);
    assert.equal((await probeWav(wav)).durationSec, 2);
  });

  it('takes a data size of 0 followed by samples as the rest of the file', async () => {
    const wav = riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('data', Buffer.alloc(4000), 0)]);
    assert.equal((await probeWav(wav)).durationSec, 0.25);
  });

  it('rejects a header-only WAV as empty', async () => {
    const wav = riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('data', Buffer.alloc(0))]);
    await assertRejection(probeWav(wav), 'empty-file', /data chunk is empty/);
  });
});

describe('WAV probe: codecs', () => {
  it('reads mu-law', async () => {
    const mulaw = {
      formatTag: 7,
      channels: 1,
      sampleRateHz: 8000,
      byteRate: 8000,
      blockAlign: 1,
      bitsPerSample: 8,
      extension: Buffer.alloc(2),
    };
    const wav = riffWave([
      chunk('fmt ', fmtBody(mulaw)),
      chunk('fact', u32(16000)),
      chunk('data', Buffer.alloc(16000)),
    ]);
    assert.deepEqual(await probeWav(wav), {
      container: 'wav',
      codec: 'pcm_mulaw',
      durationSec: 2,
      channels: 1,
      sampleRateHz: 8000,
      sizeBytes: wav.length,
      speakerSeparation: 'diarization',
      probed: true,
    });
  });

  it('reads stereo A-law', async () => {
    const alaw = {
      formatTag: 6,
      channels: 2,
      sampleRateHz: 8000,
      byteRate: 16000,
      blockAlign: 2,
      bitsPerSample: 8,
    };
    const facts = await probeWav(
      riffWave([chunk('fmt ', fmtBody(alaw)), chunk('data', Buffer.alloc(24000))]),
    );
    assert.equal(facts.codec, 'pcm_alaw');
    assert.equal(facts.durationSec, 1.5);
    assert.equal(facts.speakerSeparation, 'channels');
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', async () => {
    const fields = {
      formatTag: 0xfffe,
      channels: 2,
      sampleRateHz: 48000,
      byteRate: 288000,
      blockAlign: 6,
      bitsPerSample: 24,
      extension: extensible(24, 3, 1),
    };
    const facts = await probeWav(
      riffWave([chunk('fmt ', fmtBody(fields)), chunk('data', Buffer.alloc(288000))]),
    );
    assert.equal(facts.codec, 'pcm_s24le');
    assert.equal(facts.durationSec, 1);
    assert.equal(facts.sampleRateHz, 48000);
    assert.equal(facts.channels, 2);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with a float sub-format, and plain 64-bit float', async () => {
    const float32 = {
      formatTag: 0xfffe,
      channels: 1,
      sampleRateHz: 16000,
      byteRate: 64000,
      blockAlign: 4,
      bitsPerSample: 32,
      extension: extensible(32, 4, 3),
    };
    const facts = await probeWav(
      riffWave([chunk('fmt ', fmtBody(float32)), chunk('data', Buffer.alloc(32000))]),
    );
    assert.equal(facts.codec, 'pcm_f32le');
    assert.equal(facts.durationSec, 0.5);
    const float64 = {
      formatTag: 3,
      channels: 1,
      sampleRateHz: 16000,
      byteRate: 128000,
      blockAlign: 8,
      bitsPerSample: 64,
    };
    const f64 = await probeWav(
      riffWave([chunk('fmt ', fmtBody(float64)), chunk('data', Buffer.alloc(64000))]),
    );
    assert.equal(f64.codec, 'pcm_f64le');
    assert.equal(f64.durationSec, 0.5);
  });

  it('names PCM by its container width', async () => {
    const twentyBit = {
      formatTag: 1,
      channels: 1,
      sampleRateHz: 8000,
      byteRate: 24000,
      blockAlign: 3,
      bitsPerSample: 20,
    };
    const s32 = {
      formatTag: 1,
      channels: 1,
      sampleRateHz: 8000,
      byteRate: 32000,
      blockAlign: 4,
      bitsPerSample: 32,
    };
    assert.equal(
      (await probeWav(riffWave([chunk('fmt ', fmtBody(twentyBit)), chunk('data', Buffer.alloc(24000))])))
        .codec,
      'pcm_s24le',
    );
    assert.equal(
      (await probeWav(riffWave([chunk('fmt ', fmtBody(s32)), chunk('data', Buffer.alloc(32000))]))).codec,
      'pcm_s32le',
    );
  });

  it('keeps an unknown extensible sub-format as an unknown codec', async () => {
    const fields = {
      formatTag: 0xfffe,
      channels: 4,
      sampleRateHz: 48000,
      byteRate: 384000,
      blockAlign: 8,
      bitsPerSample: 16,
      extension: extensible(16, 0, 1, AMBISONIC_B_FORMAT_GUID_TAIL),
    };
    const facts = await probeWav(
      riffWave([chunk('fmt ', fmtBody(fields)), chunk('data', Buffer.alloc(384000))]),
    );
    assert.equal(facts.codec, 'unknown_0xfffe');
    assert.equal(facts.durationSec, 1);
  });

  it('times GSM 6.10 by its fact sample count, else by byte rate', async () => {
    const samplesPerBlock = Buffer.alloc(4);
    samplesPerBlock.writeUInt16LE(2, 0);
    samplesPerBlock.writeUInt16LE(320, 2);
    const gsm = {
      formatTag: 0x31,
      channels: 1,
      sampleRateHz: 8000,
      byteRate: 1625,
      blockAlign: 65,
      bitsPerSample: 0,
      extension: samplesPerBlock,
    };
    const data = chunk('data', Buffer.alloc(65 * 50));
    const withFact = await probeWav(riffWave([chunk('fmt ', fmtBody(gsm)), chunk('fact', u32(15960)), data]));
    assert.equal(withFact.codec, 'gsm_ms');
    assert.equal(withFact.durationSec, 1.995);
    const withoutFact = await probeWav(riffWave([chunk('fmt ', fmtBody(gsm)), data]));
    assert.equal(withoutFact.durationSec, 2);
  });

  it('reads IMA ADPCM without a fact chunk from its byte rate', async () => {
    const ima = {
      formatTag: 0x11,
      channels: 1,
      sampleRateHz: 8000,
      byteRate: 4055,
      blockAlign: 256,
      bitsPerSample: 4,
      extension: Buffer.from([2, 0, 0xf9, 0x01]),
    };
    const facts = await probeWav(
      riffWave([chunk('fmt ', fmtBody(ima)), chunk('data', Buffer.alloc(256 * 10))]),
    );
    assert.equal(facts.codec, 'adpcm_ima_wav');
    assert.equal(facts.durationSec, 0.631);
  });

  it('finds an MS ADPCM fact chunk written after data', async () => {
    const msAdpcm = {
      formatTag: 2,
      channels: 2,
      sampleRateHz: 8000,
      byteRate: 8110,
      blockAlign: 512,
      bitsPerSample: 4,
      extension: Buffer.alloc(2),
    };
    const wav = riffWave([
      chunk('fmt ', fmtBody(msAdpcm)),
      chunk('data', Buffer.alloc(512 * 8)),
      chunk('fact', u32(4000)),
    ]);
    const facts = await probeWav(wav);
    assert.equal(facts.codec, 'adpcm_ms');
    assert.equal(facts.durationSec, 0.5);
    assert.equal(facts.speakerSeparation, 'channels');
  });
});

describe('WAV probe: corrupt files', () => {
  it('rejects a data chunk that runs past the end of the file as truncated', async () => {
    const wav = riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('data', Buffer.alloc(1000), 100000)]);
    await assertRejection(
      probeWav(wav),
      'corrupt-media',
      'truncated: data chunk declares 100000 bytes but only 1000 are present',
    );
  });

  it('rejects a file without fmt, without data, or without either', async () => {
    await assertRejection(
      probeWav(riffWave([chunk('data', Buffer.alloc(100))])),
      'corrupt-media',
      'no fmt chunk in the file',
    );
    await assertRejection(
      probeWav(riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO))])),
      'corrupt-media',
      'no data chunk in the file',
    );
    await assertRejection(probeWav(riffWave([])), 'corrupt-media', 'no fmt and data chunks in the file');
  });

  it('says which chunk ran past the end when data was never reached', async () => {
    const wav = riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO)), chunk('LIST', Buffer.alloc(50), 1_000_000)]);
    await assertRejection(
      probeWav(wav),
      'corrupt-media',
      'truncated: no data chunk; LIST chunk at offset 36 declares 1000000 bytes but only 50 are present',
    );
  });

  it('rejects zero channels, sample rate and block alignment', async () => {
    const cases: Array<[Partial<FmtFields>, string]> = [
      [{ channels: 0 }, 'fmt chunk declares 0 channels'],
      [{ sampleRateHz: 0 }, 'fmt chunk declares a sample rate of 0 Hz'],
      [{ blockAlign: 0 }, 'fmt chunk declares a block alignment of 0 bytes'],
    ];
    for (const [override, message] of cases) {
      const wav = riffWave([
        chunk('fmt ', fmtBody({ ...PCM_8K_MONO, ...override })),
        chunk('data', Buffer.alloc(100)),
      ]);
      await assertRejection(probeWav(wav), 'corrupt-media', message);
    }
  });

  it('rejects a short fmt chunk and an impossible PCM width', async () => {
    await assertRejection(
      probeWav(
        riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO).subarray(0, 14)), chunk('data', Buffer.alloc(100))]),
      ),
      'corrupt-media',
      'fmt chunk is 14 bytes; a WAV format needs 16',
    );
    const fortyBit = { ...PCM_8K_MONO, blockAlign: 5, byteRate: 40000, bitsPerSample: 40 };
    await assertRejection(
      probeWav(riffWave([chunk('fmt ', fmtBody(fortyBit)), chunk('data', Buffer.alloc(100))])),
      'corrupt-media',
      /40 bits per sample/,
    );
  });

  it('rejects garbage where a chunk header should be', async () => {
    const wav = Buffer.concat([
      riffWave([chunk('fmt ', fmtBody(PCM_8K_MONO))]),
      Buffer.from([0x00, 0xff, 0x13, 0x88, 1, 2, 3, 4]),
    ]);
    await assertRejection(probeWav(wav), 'corrupt-media', 'unreadable chunk header at offset 36');
  });

  it('rejects a file that ends inside the RIFF header', async () => {
    await assertRejection(
      probeWav(Buffer.from('RIFF\x04\x00\x00\x00WAV', 'latin1')),
      'format-mismatch',
      /RIFF/,
    );
  });
});
