import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referencePairingKey } from '@callintake/naming';
import { PlainReference, recordingBaseName } from './recording-file';

/** The long way: what a `string`-typed recordingFile becomes (trimmed, then reduced), and its key. */
function slow(value: string): { baseName: string; pairingKey: string | undefined } | 'refused' {
  try {
    const baseName = recordingBaseName(value.trim());
    return { baseName, pairingKey: referencePairingKey(baseName) };
  } catch {
    return 'refused';
  }
}

function assertSameAsSlow(value: string, reader = new PlainReference()): boolean {
  if (!reader.read(value)) return false;
  const { baseName, pairingKey } = reader;
  assert.deepEqual({ baseName, pairingKey }, slow(value), JSON.stringify(value));
  return true;
}

const TRICKY = [
  'rec.wav',
  'REC.WAV',
  'Rec.Final.WAV',
  'sftp/rec/20240312-090000_out_1.wav',
  'sftp\\rec\\X.Mp3',
  'a/b\\c/d.wav',
  './rec.wav',
  '/rec.wav',
  'no-extension',
  'NoExtension',
  '.hidden',
  'dir/.hidden',
  '.hidden.wav',
  'trailing.',
  'dir/trailing.',
  'a.b.',
  'x.',
  '.',
  'a/.',
  '..',
  '...',
  '../rec.wav',
  'a/../rec.wav',
  'a..b.wav',
  'rec..wav',
  'a/..',
  'sftp/path/',
  '/',
  '\\',
  '',
  ' ',
  ' rec.wav',
  'rec.wav ',
  '\trec.wav',
  'rec.wav\t',
  'rec 1.wav',
  'dir name/rec 1.wav',
  'rec%201.wav',
  '100%.wav',
  '%2e%2e/x.wav',
  'a%2fb.wav',
  'C:\\calls\\x.wav',
  'C:x.wav',
  'file:rec.wav',
  'http://evil.example/rec.wav',
  'rec:1.wav',
  'rec\u0000.wav',
  'rec\n.wav',
  'rec\u007f.wav',
  'Zoë Müller.wav',
  'dir/ｒｅｃ.wav',
  '．．／．．／rec.wav',
  'a＼b.wav',
  'ｆｉｌｅ：rec.wav',
  'ＲＥＣ.WAV',
  'rec.ｗａｖ',
  'İstanbul.wav',
  'straße.WAV',
  'rec\u0085.wav',
  '~!@#$^&*()_+-={}[]|;\'"<>,?`.wav',
  'a.b/c',
  'a.b/c.d',
  'x'.repeat(255),
  `${'x'.repeat(251)}.wav`,
  `${'x'.repeat(252)}.wav`,
  `d/${'x'.repeat(251)}.wav`,
  `d/${'x'.repeat(252)}.wav`,
];

describe('PlainReference', () => {
  it('gives what recordingBaseName and referencePairingKey give, for every value it reads', () => {
    const reader = new PlainReference();
    for (const value of TRICKY) assertSameAsSlow(value, reader);
  });

  it('reads the usual values itself', () => {
    for (const value of [
      'rec.wav',
      'REC.WAV',
      'sftp/rec/20240312-090000_out_1.wav',
      'C\\calls\\Rec 1.Mp3',
      'no-extension',
      '.hidden',
      'trailing.',
      `${'x'.repeat(251)}.wav`,
    ]) {
      assert.ok(assertSameAsSlow(value), value);
    }
  });

  it('leaves everything that is not plain to the long way', () => {
    const reader = new PlainReference();
    for (const value of [
      '',
      ' rec.wav',
      'rec.wav ',
      '..',
      'a/../rec.wav',
      'rec..wav',
      'sftp/path/',
      'a/.',
      '.',
      'rec%201.wav',
      'C:\\x.wav',
      'file:rec.wav',
      'rec\u0000.wav',
      'Zoë.wav',
      '．．／rec.wav',
      `${'x'.repeat(252)}.wav`,
    ]) {
      assert.equal(reader.read(value), false, JSON.stringify(value));
    }
  });

  it('agrees with the long way on random values', () => {
    const alphabet = [
      'a',
      'B',
      'z',
      '0',
      '.',
      '.',
      '/',
      '\\',
      ' ',
      '%',
      ':',
      '-',
      '_',
      'é',
      '．',
      '／',
      '\t',
      'W',
      'A',
      'V',
    ];
    let seed = 42;
    const random = (limit: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % limit;
    };
    const reader = new PlainReference();
    let read = 0;
    for (let round = 0; round < 20_000; round++) {
      let value = '';
      const length = random(12);
      for (let at = 0; at < length; at++) value += alphabet[random(alphabet.length)];
      if (assertSameAsSlow(value, reader)) read++;
    }
    assert.ok(read > 1000, `only ${read} values read the fast way`);
  });
});
