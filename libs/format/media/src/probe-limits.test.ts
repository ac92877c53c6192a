// The probe's backstops: a parser that runs off its bytes yields a verdict, and a stalled
// source fails the job (to be retried) instead of holding a worker forever.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RejectionError } from '@callintake/schemas';
import { FORMAT_PROBERS } from './formats/registry';
import { probeMedia } from './probe';
import { withTimeLimit } from './time-limit';
import { bufferReader } from './range-reader';

describe('probe backstops', () => {
  it('turns a parser reading past its buffer into corrupt-media', async () => {
    const probers = FORMAT_PROBERS as Map<string, unknown>;
    probers.set('zzz', {
      expected: 'ZZZ test format',
      signatures: [],
      acceptsUnrecognised: true,
      probe: async (input: { head: Buffer }) => ({
        container: 'zzz',
        sizeBytes: input.head.readUInt32BE(1_000),
        probed: true,
      }),
    });
    try {
      await assert.rejects(
        probeMedia(bufferReader(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0x00])), { extension: 'zzz' }),
        (error: unknown) => {
          assert.ok(error instanceof RejectionError);
          assert.equal(error.reason.code, 'corrupt-media');
          assert.match(error.reason.message, /malformed ZZZ test format header/);
          return true;
        },
      );
    } finally {
      probers.delete('zzz');
    }
  });

  it('fails a probe that does not finish within its time limit, and lets a quick one through', async () => {
    const stalled = new Promise<never>(() => undefined);
    await assert.rejects(
      withTimeLimit(stalled, 50, 'probe of x.wav'),
      /probe of x\.wav did not finish within 50 ms; retrying/,
    );
    assert.equal(await withTimeLimit(Promise.resolve(42), 50, 'quick'), 42);
  });
});
