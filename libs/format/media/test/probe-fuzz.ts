// Damaged copies of a good file, for tests that a prober answers every input with facts or a
// rejection and never with a crash (an exception other than RejectionError fails the job forever).
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import { bufferReader } from '../src/range-reader';
import { probeMedia } from '../src/probe';

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Copies cut at every `step` bytes, and `mutations` copies with 1 to 4 bytes of the header changed. */
export function damagedCopies(
  file: Buffer,
  options: { headerBytes: number; mutations?: number; step?: number },
): Buffer[] {
  const copies: Buffer[] = [];
  for (let length = 1; length < file.length; length += options.step ?? 7)
    copies.push(file.subarray(0, length));
  const next = random(0x5eed);
  for (let index = 0; index < (options.mutations ?? 400); index += 1) {
    const copy = Buffer.from(file);
    const changes = 1 + Math.floor(next() * 4);
    for (let change = 0; change < changes; change += 1) {
      const at = Math.floor(next() * Math.min(options.headerBytes, copy.length));
      copy[at] = next() < 0.5 ? Math.floor(next() * 256) : (copy[at] ?? 0) ^ (1 << Math.floor(next() * 8));
    }
    copies.push(copy);
  }
  return copies;
}

/** Probes every copy: each must give sane facts or a RejectionError. */
export async function assertVerdictsOnly(copies: Buffer[], extension: string): Promise<void> {
  for (const [index, copy] of copies.entries()) {
    try {
      const facts = await probeMedia(bufferReader(copy), { extension });
      assert.ok(
        facts.channels === undefined || facts.channels > 0,
        `copy ${index}: ${facts.channels} channels`,
      );
      assert.ok(
        facts.durationSec === undefined || (Number.isFinite(facts.durationSec) && facts.durationSec >= 0),
        `copy ${index}: duration ${facts.durationSec}`,
      );
    } catch (error) {
      if (!(error instanceof RejectionError)) {
        assert.fail(`copy ${index} (${copy.length} bytes) threw ${String(error)}`);
      }
    }
  }
}
