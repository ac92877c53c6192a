// Builders for hand-made WAV headers and huge virtual files, shared by the media tests.
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import type { ReasonCode } from '@callintake/schemas';
import type { RangeReader } from '../src/range-reader';

export interface FmtFields {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Bytes after bitsPerSample (cbSize and the extension), for non-PCM formats. */
  extension?: Buffer;
}

export function fmtBody(fields: FmtFields): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt16LE(fields.formatTag, 0);
  body.writeUInt16LE(fields.channels, 2);
  body.writeUInt32LE(fields.sampleRateHz, 4);
  body.writeUInt32LE(fields.byteRate, 8);
  body.writeUInt16LE(fields.blockAlign, 12);
  body.writeUInt16LE(fields.bitsPerSample, 14);
  return fields.extension ? Buffer.concat([body, fields.extension]) : body;
}

export function chunk(id: string, body: Buffer, declaredSize = body.length, pad = true): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(declaredSize, 4);
  const padding = pad && body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([header, body, padding]);
}

export function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}

export function riffWave(chunks: Buffer[], riffId = 'RIFF'): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write(riffId, 0, 'latin1');
  header.writeUInt32LE(riffId === 'RIFF' ? body.length + 4 : 0xffffffff, 4);
  header.write('WAVE', 8, 'latin1');
  return Buffer.concat([header, body]);
}

/**
 * A file of `sizeBytes` that holds `segments` at their offsets and zeros elsewhere, built per read
 * so a gigabyte-sized file costs nothing. It refuses large reads: a probe must never need them.
 */
export function virtualReader(
  sizeBytes: number,
  segments: Array<{ offset: number; bytes: Buffer }>,
): RangeReader {
  return {
    sizeBytes,
    read(offset, length) {
      assert.ok(length <= 1024 * 1024, `probe asked for ${length} bytes in one read`);
      const end = Math.min(sizeBytes, offset + length);
      const out = Buffer.alloc(Math.max(0, end - offset));
      for (const segment of segments) {
        const from = Math.max(offset, segment.offset);
        const to = Math.min(end, segment.offset + segment.bytes.length);
        if (from < to) segment.bytes.copy(out, from - offset, from - segment.offset, to - segment.offset);
      }
      return Promise.resolve(out);
    },
  };
}

/** A reader whose read must never be called: size rules and unprobed formats need no bytes. */
export function untouchableReader(sizeBytes: number): RangeReader {
  return {
    sizeBytes,
    read() {
      return Promise.reject(new Error('read must not be called'));
    },
  };
}

export async function assertRejection(
  promise: Promise<unknown>,
  code: ReasonCode,
  message: RegExp | string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RejectionError, `expected a RejectionError, got ${String(error)}`);
    assert.equal(error.reason.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.reason.message, message);
    else assert.match(error.reason.message, message);
    return true;
  });
}
