import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import { Utf8Decoder } from './csv-text';

/** TextDecoder's answer: the text, or null where fatal decoding throws. */
function byTextDecoder(chunks: Uint8Array[]): string | null {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join('') + decoder.decode();
  } catch {
    return null;
  }
}

function byUtf8Decoder(chunks: Uint8Array[]): string | null {
  const decoder = new Utf8Decoder();
  try {
    return chunks.map((chunk) => decoder.decode(chunk)).join('') + decoder.end();
  } catch (error) {
    assert.ok(error instanceof RejectionError && error.reason.code === 'parse-error');
    return null;
  }
}

function cut(bytes: Uint8Array, sizes: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = Math.max(1, sizes());
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('Utf8Decoder', () => {
  it('decodes as fatal streaming TextDecoder does, BOM and split characters included', () => {
    const text = '\uFEFF\uFEFFid,name\r\nJosé,"😀 日本語 👩‍💻"\n\u00e9\u0301,ok\n';
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 4, 5, 7, 64]) {
      const chunks = cut(bytes, () => size);
      assert.equal(byUtf8Decoder(chunks), byTextDecoder(chunks), `chunks of ${size}`);
    }
    // One BOM is dropped, as TextDecoder does; the second stays for the CSV reader to see.
    assert.equal(byUtf8Decoder([bytes])?.startsWith('\uFEFFid'), true);
  });

  it('refuses what TextDecoder refuses, wherever the chunks are cut', () => {
    const next = random(42);
    const pieces = [
      [0x61],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xff],
      [0xc3],
      [0x80],
      [0xed, 0xa0, 0x80], // a surrogate
      [0xc0, 0xaf], // overlong
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82],
      [0x0a],
    ];
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      const parts: number[] = [];
      const count = 1 + Math.floor(next() * 8);
      for (let index = 0; index < count; index++) {
        // Mostly valid text, so both accepted and refused inputs are common.
        const piece =
          next() < 0.85 ? pieces[Math.floor(next() * 4)]! : pieces[Math.floor(next() * pieces.length)]!;
        parts.push(...piece);
      }
      const bytes = Uint8Array.from(parts);
      const chunks = cut(bytes, () => 1 + Math.floor(next() * 5));
      const expected = byTextDecoder(chunks);
      if (expected === null) refused++;
      assert.equal(byUtf8Decoder(chunks), expected, `bytes ${Buffer.from(bytes).toString('hex')}`);
    }
    assert.ok(refused > 100 && refused < 2900, `refused ${refused} of 3000`);
  });
});
