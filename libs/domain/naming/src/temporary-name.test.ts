import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTemporaryName } from './temporary-name';

describe('isTemporaryName', () => {
  it('is true for names of files still uploading', () => {
    for (const name of [
      '.20210511-215959_outbound_1234.wav',
      '.hidden',
      'call.wav.part',
      'call.wav.partial',
      'call.wav.filepart',
      'call.json.tmp',
      'call.wav~',
    ]) {
      assert.equal(isTemporaryName(name), true, name);
    }
  });

  it('matches the suffixes case-insensitively', () => {
    assert.equal(isTemporaryName('CALL.WAV.PART'), true);
    assert.equal(isTemporaryName('call.wav.FilePart'), true);
    assert.equal(isTemporaryName('call.TMP'), true);
  });

  it('is false for complete names, even ones containing the suffix words', () => {
    for (const name of [
      '20210511-215959_outbound_1234.wav',
      'partial_call.wav',
      'tmp.json',
      'call.part.wav',
      'a.b~c.csv',
    ]) {
      assert.equal(isTemporaryName(name), false, name);
    }
  });
});
