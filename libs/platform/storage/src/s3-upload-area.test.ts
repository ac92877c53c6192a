// S3UploadArea against a real S3 API (s3rver in a child process): pagination past 1,000 keys,
// folders as common prefixes, ranged reads that transfer only the range, copy-then-delete moves,
// the path rules, and tenant prefixes that never see each other.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server, type S3TestServer } from '@callintake/testing';
import { createS3Client, S3ConfigError } from './s3-client';
import { S3UploadArea } from './s3-upload-area';
import { StorageError } from './types';
import type { StoredEntry } from './types';

const BUCKET = 'uploads';
let server: S3TestServer;
let tenantCount = 0;
const opened: S3UploadArea[] = [];

before(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
});

after(async () => {
  await Promise.all(opened.map((area) => area.close()));
  await server.stop();
});

/** A fresh tenant prefix in the shared bucket; `put` writes keys relative to it. */
function tenant(prefix = `tenant-${++tenantCount}/`, options: { client?: S3Client } = {}) {
  const area = new S3UploadArea(server.location(BUCKET, prefix), options);
  opened.push(area);
  const keyOf = (relative: string) =>
    `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}${relative}`;
  const put = async (relative: string, body: string | Buffer) => {
    await server.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: keyOf(relative),
        Body: body,
        ContentLength: Buffer.byteLength(body),
      }),
    );
  };
  const read = async (relative: string): Promise<string | null> => {
    try {
      const response = await server.client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(relative) }),
      );
      return (await response.Body?.transformToString()) ?? null;
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return null;
      throw error;
    }
  };
  return { area, prefix, keyOf, put, read };
}

async function collect(entries: AsyncIterable<StoredEntry>): Promise<StoredEntry[]> {
  const collected: StoredEntry[] = [];
  for await (const entry of entries) collected.push(entry);
  return collected.sort((a, b) => a.path.localeCompare(b.path));
}

function storageError(code: StorageError['code']) {
  return (error: unknown) => error instanceof StorageError && error.code === code;
}

const md5 = (content: string | Buffer) => createHash('md5').update(content).digest('hex');

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

void describe('S3UploadArea.list', () => {
  void it('lists files with size, mtime and unquoted ETag, and sub-prefixes as folders', async () => {
    const { area, put } = tenant();
    const before = Date.now() - 2_000;
    await put('data/call.wav', 'abcd');
    await put('data/nested/inside.wav', 'x');
    await put('data/processed/done.json', '{}');
    await put('data/nested/deeper/more.wav', 'y');
    await put('elsewhere.txt', 'not in data');

    const entries = await collect(area.list('data'));

    assert.deepEqual(
      entries.map(({ path, name, type }) => ({ path, name, type })),
      [
        { path: 'data/call.wav', name: 'call.wav', type: 'file' },
        { path: 'data/nested', name: 'nested', type: 'directory' },
        { path: 'data/processed', name: 'processed', type: 'directory' },
      ],
    );
    const file = entries[0] as StoredEntry;
    assert.equal(file.sizeBytes, 4);
    assert.equal(file.etag, md5('abcd'), 'the ETag, quotes removed');
    assert.ok(file.modifiedAt.getTime() >= before && file.modifiedAt.getTime() <= Date.now() + 2_000);

    assert.deepEqual(
      (await collect(area.list('data/nested'))).map((entry) => [entry.path, entry.type]),
      [
        ['data/nested/deeper', 'directory'],
        ['data/nested/inside.wav', 'file'],
      ],
    );
    assert.deepEqual(
      (await collect(area.list(''))).map((entry) => [entry.path, entry.type]),
      [
        ['data', 'directory'],
        ['elsewhere.txt', 'file'],
      ],
    );
  });

  void it('pages through more than 1,000 keys, each once, folders included', async () => {
    const { area, put } = tenant();
    const names = Array.from({ length: 1_050 }, (_, index) => `call-${String(index).padStart(4, '0')}.wav`);
    await forEachLimited(names, 32, (name) => put(`data/${name}`, name));
    await put('data/sub/x.wav', 'x');
    await put('data/zz-last/y.wav', 'y');

    const entries = await collect(area.list('data'));

    const files = entries.filter((entry) => entry.type === 'file').map((entry) => entry.name);
    assert.equal(files.length, names.length);
    assert.deepEqual(files, [...names].sort());
    assert.deepEqual(
      entries.filter((entry) => entry.type === 'directory').map((entry) => entry.name),
      ['sub', 'zz-last'],
    );
  });

  void it('lists a missing folder as empty', async () => {
    const { area } = tenant();
    assert.deepEqual(await collect(area.list('data')), []);
    assert.deepEqual(await collect(area.list('data/never/made')), []);
  });

  void it('skips a console "folder" marker, which is not a file', async () => {
    const { area, put } = tenant();
    await put('data/marker/', '');
    await put('data/marker/real.wav', 'RIFF');
    assert.deepEqual(
      (await collect(area.list('data'))).map((entry) => [entry.name, entry.type]),
      [['marker', 'directory']],
    );
    assert.deepEqual(
      (await collect(area.list('data/marker'))).map((entry) => entry.name),
      ['real.wav'],
    );
  });

  void it('never lists another tenant prefix in the same bucket', async () => {
    const own = tenant('acme');
    const sibling = tenant('acme-evil/');
    const glued = tenant('acmedata/');
    await own.put('data/mine.wav', 'mine');
    await sibling.put('data/theirs.wav', 'theirs');
    await glued.put('x.wav', 'glued');
    await server.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'acme', Body: 'bare key' }));

    assert.deepEqual(
      (await collect(own.area.list('data'))).map((entry) => entry.path),
      ['data/mine.wav'],
    );
    assert.deepEqual(
      (await collect(own.area.list(''))).map((entry) => entry.path),
      ['data'],
    );
    assert.deepEqual(
      (await collect(sibling.area.list('data'))).map((entry) => entry.path),
      ['data/theirs.wav'],
    );
    await assert.rejects(own.area.stat('../acme-evil/data/theirs.wav'), storageError('outside-root'));
  });
});

void describe('S3UploadArea.stat', () => {
  void it('describes a file, a folder, and null for nothing', async () => {
    const { area, put } = tenant();
    await put('data/a.wav', 'RIFF....WAVE');
    await put('data/sub/b.wav', 'b');

    const file = await area.stat('data/a.wav');
    assert.equal(file?.type, 'file');
    assert.equal(file?.path, 'data/a.wav');
    assert.equal(file?.name, 'a.wav');
    assert.equal(file?.sizeBytes, 12);
    assert.equal(file?.etag, md5('RIFF....WAVE'));
    const listed = (await collect(area.list('data'))).find((entry) => entry.name === 'a.wav');
    assert.equal(listed?.etag, file?.etag, 'list and stat agree, so fingerprints do');

    assert.equal((await area.stat('data/sub'))?.type, 'directory');
    assert.equal(await area.stat('data/missing.wav'), null);
    assert.equal(await area.stat('data/sub/missing/deeper.wav'), null);
  });
});

void describe('S3UploadArea.readRange', () => {
  void it('reads ranges, shorter at the end, empty past it', async () => {
    const { area, put } = tenant();
    await put('data/r.bin', '0123456789');

    assert.equal((await area.readRange('data/r.bin', 0, 4)).toString(), '0123');
    assert.equal((await area.readRange('data/r.bin', 0, 1)).toString(), '0', 'bytes=0-0 yields one byte');
    assert.equal((await area.readRange('data/r.bin', 3, 2)).toString(), '34');
    assert.equal((await area.readRange('data/r.bin', 7, 100)).toString(), '789');
    assert.equal((await area.readRange('data/r.bin', 10, 5)).length, 0);
    assert.equal((await area.readRange('data/r.bin', 5_000, 5)).length, 0);
    assert.equal((await area.readRange('data/r.bin', 2, 0)).length, 0);
    await put('data/empty.wav', '');
    assert.equal((await area.readRange('data/empty.wav', 0, 16)).length, 0);

    await assert.rejects(area.readRange('data/missing.bin', 0, 4), storageError('not-found'));
    await assert.rejects(area.readRange('data/missing.bin', 0, 0), storageError('not-found'));
    await assert.rejects(area.readRange('data/r.bin', -1, 4), RangeError);
    await assert.rejects(area.readRange('data/r.bin', 0, 1.5), RangeError);
  });

  void it('transfers only the range of a 20 MB object', async () => {
    const agent = new CountingAgent({ keepAlive: true });
    const contentLengths: string[] = [];
    const client = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { httpAgent: agent },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const response = result.response as { headers?: Record<string, string> };
        if (context.commandName === 'GetObjectCommand')
          contentLengths.push(response.headers?.['content-length'] ?? '?');
        return result;
      },
      { step: 'deserialize', name: 'recordContentLength' },
    );
    const { area, put } = tenant(undefined, { client });
    const big = randomBytes(20 * 1024 * 1024);
    await put('data/big.wav', big);

    const offset = 10 * 1024 * 1024 + 123;
    agent.receivedBytes = 0;
    const range = await area.readRange('data/big.wav', offset, 4096);

    assert.ok(range.equals(big.subarray(offset, offset + 4096)), 'exactly those bytes');
    assert.deepEqual(contentLengths, ['4096'], 'the server sent a 4 KiB body');
    assert.ok(
      agent.receivedBytes >= 4096 && agent.receivedBytes < 16 * 1024,
      `received ${agent.receivedBytes} bytes on the wire`,
    );
    client.destroy();
  });
});

void describe('S3UploadArea.openRead and writeFile', () => {
  void it('streams a whole object, and writes one that round-trips byte for byte', async () => {
    const { area, put, read, keyOf } = tenant();
    await put('data/m.json', '{"a":1}');
    assert.equal(await text(await area.openRead('data/m.json')), '{"a":1}');
    await assert.rejects(area.openRead('data/missing.json'), storageError('not-found'));

    await area.writeFile('data/rejected/m.json.error.json', '{"error":{}}\n');
    assert.equal(await read('data/rejected/m.json.error.json'), '{"error":{}}\n');

    const bytes = randomBytes(300_000);
    await area.writeFile('data/raw.bin', bytes);
    const stored = await server.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: keyOf('data/raw.bin') }),
    );
    const storedBytes = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    assert.equal(storedBytes.length, bytes.length, 'no chunk framing stored in the object');
    assert.ok(storedBytes.equals(bytes));
  });
});

void describe('S3UploadArea.move and remove', () => {
  void it('moves by copy then delete, replacing an existing target', async () => {
    const { area, put, read } = tenant();
    await put('data/a.wav', 'new content');
    await put('data/processed/a.wav', 'old content');

    await area.move('data/a.wav', 'data/processed/a.wav');

    assert.equal(await read('data/a.wav'), null);
    assert.equal(await read('data/processed/a.wav'), 'new content');
    await assert.rejects(area.move('data/a.wav', 'data/processed/a.wav'), storageError('not-found'));
  });

  void it('moves names with spaces and non-ASCII letters', async () => {
    const { area, put, read } = tenant();
    await put('data/call 1 – José.wav', 'RIFF');
    await area.move('data/call 1 – José.wav', 'data/rejected/call 1 – José.wav');
    assert.equal(await read('data/rejected/call 1 – José.wav'), 'RIFF');
    assert.equal(await read('data/call 1 – José.wav'), null);
  });

  void it('deletes the source only if it is still the version it copied', async () => {
    const deletes: Array<{ Key?: string; IfMatch?: string }> = [];
    const client = createS3Client(server.location(BUCKET));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteObjectCommand')
          deletes.push(args.input as (typeof deletes)[number]);
        return next(args);
      },
      { step: 'initialize', name: 'recordDeletes' },
    );
    const { area, put, keyOf } = tenant(undefined, { client });
    await put('data/c.wav', 'content');
    await area.move('data/c.wav', 'data/processed/c.wav');
    assert.deepEqual(deletes, [{ Bucket: BUCKET, Key: keyOf('data/c.wav'), IfMatch: `"${md5('content')}"` }]);
    client.destroy();
  });

  void it('removes a file, and a missing one quietly', async () => {
    const { area, put, read } = tenant();
    await put('data/processed/old.wav', 'old');
    await area.remove('data/processed/old.wav');
    assert.equal(await read('data/processed/old.wav'), null);
    await area.remove('data/processed/old.wav');
  });
});

void describe('S3UploadArea path rules', () => {
  void it('refuses paths that leave the tenant prefix, before any request', async () => {
    const { area } = tenant();
    const outside = storageError('outside-root');
    for (const bad of ['../x', 'data/../../x', '/data/x', 'data/\0x', 'data/../data/x']) {
      await assert.rejects(area.stat(bad), outside, bad);
      await assert.rejects(area.readRange(bad, 0, 1), outside, bad);
      await assert.rejects(area.openRead(bad), outside, bad);
      await assert.rejects(area.writeFile(bad, 'x'), outside, bad);
      await assert.rejects(area.move('data/x', bad), outside, bad);
      await assert.rejects(area.move(bad, 'data/x'), outside, bad);
      await assert.rejects(area.remove(bad), outside, bad);
      await assert.rejects(collect(area.list(bad)), outside, bad);
    }
    await assert.rejects(area.writeFile('', 'x'), storageError('io'), 'the root is not a file');
  });
});

void describe('createS3Client', () => {
  void it('reads keys from the variables a location names, and says which is missing', () => {
    const location = { ...server.location(BUCKET), accessKeyIdEnv: 'CALLINTAKE_TEST_NOT_SET_ID' };
    assert.throws(
      () => createS3Client(location),
      (error: unknown) => error instanceof S3ConfigError && /CALLINTAKE_TEST_NOT_SET_ID/.test(error.message),
    );
    const secretOnly = { ...server.location(BUCKET), accessKeyIdEnv: undefined };
    assert.throws(() => createS3Client(secretOnly), S3ConfigError);
  });
});

/** Counts every byte that arrives on the client's sockets, headers included. */
class CountingAgent extends http.Agent {
  receivedBytes = 0;

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    socket?.on('data', (chunk: Buffer) => (this.receivedBytes += chunk.length));
    return socket;
  }
}
