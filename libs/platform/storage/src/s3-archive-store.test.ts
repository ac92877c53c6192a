// S3ArchiveStore against a real S3 API (s3rver in a child process): streamed puts that store
// exactly the bytes sent (single PUT and multipart), hashes computed on the way, head/openRead,
// and a failing source that leaves nothing (or the previous object) under the key.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3Server, type S3TestServer } from '@callintake/testing';
import { createS3Client } from './s3-client';
import { S3ArchiveStore } from './s3-archive-store';
import { StorageError } from './types';

const BUCKET = 'archive';
let server: S3TestServer;
const opened: S3ArchiveStore[] = [];

before(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
});

after(async () => {
  await Promise.all(opened.map((archive) => archive.close()));
  await server.stop();
});

function store(
  prefix: string,
  options: ConstructorParameters<typeof S3ArchiveStore>[1] = {},
): S3ArchiveStore {
  const archive = new S3ArchiveStore(server.location(BUCKET, prefix), options);
  opened.push(archive);
  return archive;
}

async function storedBytes(key: string): Promise<Buffer> {
  const response = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function storageError(code: StorageError['code']) {
  return (error: unknown) => error instanceof StorageError && error.code === code;
}

/** Yields `bytes` in 64 KiB chunks, then fails with `failure` if one is given. */
function chunked(bytes: Buffer, failure?: Error): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024)
        yield bytes.subarray(offset, offset + 64 * 1024);
      if (failure) throw failure;
    })(),
  );
}

void describe('S3ArchiveStore.put', () => {
  void it('stores a small stream exactly and reports its uri, size and sha256', async () => {
    const archive = store('media/acme');
    const chunks = [Buffer.from('RIFF'), Buffer.alloc(100_000, 7), Buffer.from('tail')];
    const whole = Buffer.concat(chunks);

    const stored = await archive.put('2024/01/call.wav', Readable.from(chunks));

    assert.deepEqual(stored, {
      uri: `s3://${BUCKET}/media/acme/2024/01/call.wav`,
      sizeBytes: whole.length,
      sha256: sha256(whole),
    });
    const bytes = await storedBytes('media/acme/2024/01/call.wav');
    assert.equal(bytes.length, whole.length, 'no aws-chunked framing inside the object');
    assert.equal(sha256(bytes), sha256(whole));
  });

  void it('stores a 12 MB stream by multipart upload, byte for byte', async () => {
    const commands: string[] = [];
    const client = createS3Client(server.location(BUCKET));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const archive = store('media/big/', { client });
    const content = randomBytes(12 * 1024 * 1024);

    const stored = await archive.put('call.wav', chunked(content));

    assert.equal(stored.sizeBytes, content.length);
    assert.equal(stored.sha256, sha256(content));
    assert.equal(stored.uri, `s3://${BUCKET}/media/big/call.wav`);
    assert.equal(commands.filter((name) => name === 'UploadPartCommand').length, 2, '8 MiB parts');
    assert.ok(commands.includes('CompleteMultipartUploadCommand'));
    const bytes = await storedBytes('media/big/call.wav');
    assert.equal(sha256(bytes), sha256(content), 'the archived object hashes like the local bytes');
    client.destroy();
  });

  void it('replaces an object stored under the same key', async () => {
    const archive = store('media/replace/');
    await archive.put('a.wav', Readable.from([Buffer.from('first version')]));
    const second = await archive.put('a.wav', Readable.from([Buffer.from('second')]));
    assert.equal(second.sizeBytes, 6);
    assert.equal((await storedBytes('media/replace/a.wav')).toString(), 'second');
  });

  void it('leaves nothing under the key when the source fails mid-way (multipart aborted)', async () => {
    const commands: string[] = [];
    const client = createS3Client(server.location(BUCKET));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const archive = store('media/failing/', { client, partSizeBytes: 5 * 1024 * 1024 });
    const failure = new Error('source disk went away');
    await assert.rejects(
      archive.put('broken.wav', chunked(randomBytes(11 * 1024 * 1024), failure)),
      (error) => {
        return (
          error instanceof StorageError && error.code === 'io' && /source disk went away/.test(error.message)
        );
      },
    );
    assert.equal(await archive.head('broken.wav'), null);
    assert.ok(commands.includes('AbortMultipartUploadCommand'), 'the multipart upload was aborted');
    assert.ok(!commands.includes('CompleteMultipartUploadCommand'));

    await archive.put('kept.wav', Readable.from([Buffer.from('the previous object')]));
    await assert.rejects(archive.put('kept.wav', chunked(randomBytes(64 * 1024), failure)));
    assert.equal((await storedBytes('media/failing/kept.wav')).toString(), 'the previous object');
    client.destroy();
  });

  void it('refuses keys that leave its prefix', async () => {
    const archive = store('media/safe/');
    for (const bad of ['../x.wav', '/x.wav', 'a/../../x.wav', 'a\0.wav']) {
      await assert.rejects(
        archive.put(bad, Readable.from([Buffer.from('x')])),
        storageError('outside-root'),
        bad,
      );
      await assert.rejects(archive.head(bad), storageError('outside-root'), bad);
      await assert.rejects(archive.openRead(bad), storageError('outside-root'), bad);
    }
  });
});

void describe('S3ArchiveStore.head and openRead', () => {
  void it('describes and streams a stored object; null and not-found when absent', async () => {
    const archive = store('');
    const content = randomBytes(200_000);
    await archive.put('t/x.wav', Readable.from([content]));

    assert.deepEqual(await archive.head('t/x.wav'), {
      uri: `s3://${BUCKET}/t/x.wav`,
      sizeBytes: content.length,
    });
    assert.ok((await buffer(await archive.openRead('t/x.wav'))).equals(content));
    assert.equal(await archive.head('t/missing.wav'), null);
    await assert.rejects(archive.openRead('t/missing.wav'), storageError('not-found'));
  });
});
