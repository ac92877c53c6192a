// Hashes a stream while a consumer reads it. A 'data' listener would switch the source to
// flowing mode and buffer the whole file ahead of a slow consumer; a transform in the pipe
// keeps backpressure, so memory stays flat for a 2 GiB batch.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

export function hashingStream(source: Readable): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  source.on('error', (error) => stream.destroy(error));
  stream.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(stream);
  return { stream, sha256: () => hash.digest('hex') };
}
