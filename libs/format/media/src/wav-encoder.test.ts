import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeWav } from './index';

describe('encodeWav', () => {
  it('writes a canonical 44-byte PCM header', () => {
    const wav = encodeWav({ sampleRateHz: 16000, channels: 2, durationSec: 0.5 });
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(wav.toString('latin1', 8, 16), 'WAVEfmt ');
    assert.equal(wav.readUInt16LE(20), 1);
    assert.equal(wav.readUInt16LE(22), 2);
    assert.equal(wav.readUInt32LE(24), 16000);
    assert.equal(wav.readUInt32LE(28), 64000);
    assert.equal(wav.readUInt16LE(32), 4);
    assert.equal(wav.readUInt16LE(34), 16);
    assert.equal(wav.toString('latin1', 36, 40), 'data');
    assert.equal(wav.readUInt32LE(40), 32000);
    assert.equal(wav.length, 44 + 32000);
  });

  it('writes a tone, not silence, and keeps 8-bit samples unsigned around 128', () => {
    const wav16 = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.01, frequencyHz: 1000 });
    // Frame 2 of a 1 kHz tone at 8 kHz sits at the crest: half of full scale.
    assert.equal(wav16.readInt16LE(44 + 2 * 2), 16384);
    const wav8 = encodeWav({
      sampleRateHz: 8000,
      channels: 1,
      durationSec: 0.01,
      bitsPerSample: 8,
      frequencyHz: 1000,
    });
    assert.equal(wav8.readUInt8(44), 128);
    assert.equal(wav8.readUInt8(44 + 2), 192);
  });

  it('gives each channel its own pitch', () => {
    const wav = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 0.01, frequencyHz: 1000 });
    assert.notEqual(wav.readInt16LE(44 + 4), wav.readInt16LE(44 + 4 + 2));
  });

  it('pads an odd data chunk', () => {
    const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.000375, bitsPerSample: 8 });
    assert.equal(wav.readUInt32LE(40), 3);
    assert.equal(wav.length, 48);
  });

  it('refuses impossible parameters', () => {
    assert.throws(() => encodeWav({ sampleRateHz: 0, channels: 1, durationSec: 1 }), RangeError);
    assert.throws(() => encodeWav({ sampleRateHz: 8000, channels: 0, durationSec: 1 }), RangeError);
    assert.throws(() => encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: -1 }), RangeError);
  });
});
