/** Bounded random access to one file; adapters for local/SFTP/S3 implement it. */
export interface RangeReader {
  readonly sizeBytes: number;
  /** Up to `length` bytes from `offset`; fewer only where the file ends. */
  read(offset: number, length: number): Promise<Buffer>;
}

function assertRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`invalid read range: offset ${offset}, length ${length}`);
  }
}

export function bufferReader(buffer: Buffer): RangeReader {
  return {
    sizeBytes: buffer.length,
    read(offset, length) {
      assertRange(offset, length);
      return Promise.resolve(buffer.subarray(offset, Math.min(buffer.length, offset + length)));
    },
  };
}

/** Wraps a reader to count what a probe really costs; tests and metrics use it. */
export function countingReader(reader: RangeReader): RangeReader & { bytesRead: number; reads: number } {
  const counted = {
    sizeBytes: reader.sizeBytes,
    bytesRead: 0,
    reads: 0,
    async read(offset: number, length: number): Promise<Buffer> {
      counted.reads += 1;
      const chunk = await reader.read(offset, length);
      counted.bytesRead += chunk.length;
      return chunk;
    },
  };
  return counted;
}
