import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairingKey, referencePairingKey } from './pairing';
import { referenceBaseName } from './reference';

describe('pairingKey', () => {
  it('pairs a recording with the metadata of the same name', () => {
    assert.equal(
      pairingKey('20171012-140253_joe_baducci.wav'),
      pairingKey('20171012-140253_joe_baducci.xml'),
    );
    assert.equal(pairingKey('20171012-140253_joe_baducci.wav'), '20171012-140253_joe_baducci');
  });

  it('is case-insensitive', () => {
    assert.equal(pairingKey('Call_ABC.WAV'), pairingKey('call_abc.json'));
    assert.equal(pairingKey('Call_ABC.WAV'), 'call_abc');
  });

  it('keeps inner dots, removing only the extension', () => {
    assert.equal(pairingKey('call.2024.01.mp3'), 'call.2024.01');
  });

  it('pairs composed and decomposed accents', () => {
    assert.equal(pairingKey('Jos\u00e9.wav'), pairingKey('Jose\u0301.json'));
  });

  it('does not pair names that differ beyond case', () => {
    assert.notEqual(
      pairingKey('20171012-140253_joe_baducci.wav'),
      pairingKey('20171012- 140253_joe_baducci.xml'),
    );
  });

  it('gives a reference the pairing key of its base name, or none when the reference is refused', () => {
    const values = [
      'call.wav',
      'Call.WAV',
      'a.b.c',
      '.wav',
      'a.',
      'noext',
      '.',
      '..',
      '',
      'x..wav',
      '...',
      'dir/Call.WAV',
      'C:\\calls\\X.mp3',
      'C:x.wav',
      'https://x/y.wav',
      'ab:c.wav',
      '%2e%2e/x.wav',
      '100%.wav',
      'Zoë.WAV',
      'Zoe\u0308.wav',
      '．．／x.wav',
      'a\u0000b.wav',
      'sp ace.Wav',
      'a/../b.wav',
    ];
    for (const value of values) {
      const reference = referenceBaseName(value);
      const expected = reference.ok ? pairingKey(reference.baseName) : undefined;
      assert.equal(referencePairingKey(value), expected, JSON.stringify(value));
    }
  });

  it('reads the usual references the quick way to the same keys', () => {
    assert.equal(referencePairingKey('Call.WAV'), 'call');
    assert.equal(referencePairingKey('20240312-080000_out_1.wav'), '20240312-080000_out_1');
    assert.equal(referencePairingKey('C:\\calls\\X.mp3'), 'x');
    assert.equal(referencePairingKey('..'), undefined);
    assert.equal(referencePairingKey('https://x/y.wav'), undefined);
  });
});
