import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairingKey } from './pairing';

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
});
