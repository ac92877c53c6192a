import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bufferReader, countingReader } from './index';

describe('bufferReader', () => {
  it('serves ranges and returns fewer bytes only at the end', async () => {
    const reader = bufferReader(Buffer.from('0123456789'));
    assert.equal(reader.sizeBytes, 10);
    assert.equal((await reader.read(2, 3)).toString(), '234');
    assert.equal((await reader.read(8, 5)).toString(), '89');
    assert.equal((await reader.read(12, 5)).length, 0);
  });

  it('refuses negative or fractional ranges', () => {
    const reader = bufferReader(Buffer.alloc(4));
    assert.throws(() => reader.read(-1, 2), RangeError);
    assert.throws(() => reader.read(0, 1.5), RangeError);
  });
});

describe('countingReader', () => {
  it('counts reads and the bytes they returned', async () => {
    const counted = countingReader(bufferReader(Buffer.alloc(100)));
    await counted.read(0, 10);
    await counted.read(95, 10);
    assert.equal(counted.reads, 2);
    assert.equal(counted.bytesRead, 15);
    assert.equal(counted.sizeBytes, 100);
  });
});
