import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LocalArchiveStore } from './local-archive-store';
import { StorageError } from './types';

let base: string;
let counter = 0;

before(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'callintake-storage-archive-'));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

async function store(): Promise<{ root: string; archive: LocalArchiveStore }> {
  counter += 1;
  const root = path.join(base, `archive-${counter}`);
  await mkdir(root);
  return { root, archive: new LocalArchiveStore(root) };
}

function storageError(code: StorageError['code']) {
  return (error: unknown) => error instanceof StorageError && error.code === code;
}

/** Recursively lists every file under a folder, relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const files: string[] = [];
  for (const relative of await readdir(folder, { recursive: true })) {
    if ((await lstat(path.join(folder, relative))).isFile()) files.push(relative);
  }
  return files.sort();
}

void describe('LocalArchiveStore', () => {
  void it('stores a stream and reports its uri, size and sha256', async () => {
    const { root, archive } = await store();
    const chunks = [Buffer.from('RIFF'), Buffer.alloc(100_000, 7), Buffer.from('tail')];
    const whole = Buffer.concat(chunks);

    const stored = await archive.put('tenant-a/2024/01/call.wav', Readable.from(chunks));

    const finalPath = path.join(root, 'tenant-a', '2024', '01', 'call.wav');
    assert.equal(stored.sizeBytes, whole.length);
    assert.equal(stored.sha256, createHash('sha256').update(whole).digest('hex'));
    assert.equal(stored.uri, pathToFileURL(finalPath).href);
    assert.ok(stored.uri.startsWith('file:///'));
    assert.deepEqual(await readFile(finalPath), whole);
    assert.deepEqual(await filesUnder(root), ['tenant-a/2024/01/call.wav']);
  });

  void it('accepts string chunks', async () => {
    const { archive } = await store();
    const stored = await archive.put('a.txt', Readable.from(['hé', 'llo']));
    assert.equal(stored.sizeBytes, Buffer.byteLength('héllo'));
    assert.equal(stored.sha256, createHash('sha256').update('héllo').digest('hex'));
  });

  void it('replaces an existing object', async () => {
    const { archive } = await store();
    await archive.put('call.wav', Readable.from([Buffer.from('first')]));
    await archive.put('call.wav', Readable.from([Buffer.from('second')]));
    assert.equal((await buffer(await archive.openRead('call.wav'))).toString(), 'second');
    assert.equal((await archive.head('call.wav'))?.sizeBytes, 6);
  });

  void it('stores an empty stream', async () => {
    const { archive } = await store();
    const stored = await archive.put('empty.bin', Readable.from([]));
    assert.equal(stored.sizeBytes, 0);
    assert.equal(stored.sha256, createHash('sha256').digest('hex'));
  });

  void it('leaves neither a final nor a temp file when the source fails midway', async () => {
    const { root, archive } = await store();
    async function* failing() {
      yield Buffer.alloc(64 * 1024, 1);
      yield Buffer.alloc(64 * 1024, 2);
      throw new Error('connection reset');
    }
    await assert.rejects(archive.put('tenant-a/call.wav', Readable.from(failing())), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'io');
      assert.match(error.message, /connection reset/);
      return true;
    });
    assert.deepEqual(await filesUnder(root), []);
    assert.equal(await archive.head('tenant-a/call.wav'), null);
  });

  void it('keeps the previous object when a replacement fails', async () => {
    const { root, archive } = await store();
    await archive.put('call.wav', Readable.from([Buffer.from('good')]));
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('boom');
    }
    await assert.rejects(archive.put('call.wav', Readable.from(failing())), storageError('io'));
    assert.equal(await readFile(path.join(root, 'call.wav'), 'utf8'), 'good');
    assert.deepEqual(await filesUnder(root), ['call.wav']);
  });

  void it('heads present and absent objects', async () => {
    const { root, archive } = await store();
    await writeFile(path.join(root, 'x.wav'), 'abc');
    assert.deepEqual(await archive.head('x.wav'), {
      uri: pathToFileURL(path.join(root, 'x.wav')).href,
      sizeBytes: 3,
    });
    assert.equal(await archive.head('missing.wav'), null);
    assert.equal(await archive.head('missing/deeper.wav'), null);
    await assert.rejects(archive.openRead('missing.wav'), storageError('not-found'));
  });

  void it('refuses keys that escape the root', async () => {
    const { archive } = await store();
    for (const key of ['../x', '/etc/passwd', 'a/../../x', '', 'a/\0b']) {
      const code = key === '' ? 'io' : 'outside-root';
      await assert.rejects(archive.put(key, Readable.from([])), storageError(code), key);
      await assert.rejects(archive.openRead(key), storageError(code), key);
      if (key !== '') await assert.rejects(archive.head(key), storageError('outside-root'), key);
    }
  });

  void it('refuses to write or read through a symlinked folder', async () => {
    const { root, archive } = await store();
    const outside = path.join(base, `outside-${counter}`);
    await mkdir(outside);
    await symlink(outside, path.join(root, 'linked'));
    await assert.rejects(
      archive.put('linked/x.wav', Readable.from([Buffer.from('x')])),
      storageError('outside-root'),
    );
    await assert.rejects(archive.openRead('linked/x.wav'), storageError('outside-root'));
    assert.deepEqual(await readdir(outside), []);
  });
});
