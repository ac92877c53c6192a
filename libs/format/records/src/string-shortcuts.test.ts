import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lowerCased, trimmed } from './convert-value';

const SAMPLES = [
  '',
  ' ',
  'a',
  'A',
  'outbound',
  'Outbound',
  'OUTBOUND',
  'in bound',
  ' x',
  'x ',
  '\tx',
  'x\t',
  '\nx\r',
  '\u00a0x\u00a0',
  '\ufeffx',
  'x\u2028',
  '\u3000x',
  'x\u0085',
  '~',
  '!x!',
  'Zoë',
  'ÉTÉ',
  'İstanbul',
  'ＡＢＣ',
  'straße',
  'ǅ',
  '\u0000x\u007f',
  '[@`{',
];

describe('lowerCased and trimmed', () => {
  it('give what toLowerCase and trim give', () => {
    for (const text of SAMPLES) {
      assert.equal(lowerCased(text), text.toLowerCase(), JSON.stringify(text));
      assert.equal(trimmed(text), text.trim(), JSON.stringify(text));
    }
    for (let code = 0; code < 0x3000; code++) {
      const text = `${String.fromCharCode(code)}a${String.fromCharCode(code)}`;
      assert.equal(lowerCased(text), text.toLowerCase(), `U+${code.toString(16)}`);
      assert.equal(trimmed(text), text.trim(), `U+${code.toString(16)}`);
      const single = String.fromCharCode(code);
      assert.equal(trimmed(single), single.trim(), `U+${code.toString(16)}`);
    }
  });
});
