import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { LocalUploadArea } from './local-upload-area';
import { StorageError } from './types';
import type { StoredEntry } from './types';

let base: string;
let counter = 0;

before(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'callintake-storage-upload-'));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A fresh tenant root with `data/` and a sibling `outside/` folder holding a secret. */
async function tenant(): Promise<{ root: string; outside: string; area: LocalUploadArea }> {
  counter += 1;
  const root = path.join(base, `tenant-${counter}`);
  const outside = path.join(base, `outside-${counter}`);
  await mkdir(path.join(root, 'data'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  return { root, outside, area: new LocalUploadArea(root) };
}

async function collect(entries: AsyncIterable<StoredEntry>): Promise<StoredEntry[]> {
  const collected: StoredEntry[] = [];
  for await (const entry of entries) collected.push(entry);
  return collected.sort((a, b) => a.name.localeCompare(b.name));
}

function storageError(code: StorageError['code']) {
  return (error: unknown) => error instanceof StorageError && error.code === code;
}

void describe('LocalUploadArea.list', () => {
  void it('reports files, folders and symlinks without following links', async () => {
    const { root, outside, area } = await tenant();
    await writeFile(path.join(root, 'data', 'call.wav'), 'abcd');
    await mkdir(path.join(root, 'data', 'nested'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'data', 'link.wav'));
    const mtime = new Date('2024-01-02T03:04:05Z');
    await utimes(path.join(root, 'data', 'call.wav'), mtime, mtime);

    const entries = await collect(area.list('data'));

    assert.deepEqual(
      entries.map(({ path: entryPath, name, type }) => ({ path: entryPath, name, type })),
      [
        { path: 'data/call.wav', name: 'call.wav', type: 'file' },
        { path: 'data/link.wav', name: 'link.wav', type: 'symlink' },
        { path: 'data/nested', name: 'nested', type: 'directory' },
      ],
    );
    assert.equal(entries[0]?.sizeBytes, 4);
    assert.equal(entries[0]?.modifiedAt.getTime(), mtime.getTime());
  });

  void it('lists a missing folder as empty', async () => {
    const { area } = await tenant();
    assert.deepEqual(await collect(area.list('data/processed')), []);
    assert.deepEqual(await collect(area.list('nothing/here')), []);
  });

  void it('lists the root with root-relative paths', async () => {
    const { area } = await tenant();
    assert.deepEqual(
      (await collect(area.list(''))).map((entry) => entry.path),
      ['data'],
    );
  });

  void it('refuses to list through a symlinked folder', async () => {
    const { root, outside, area } = await tenant();
    await symlink(outside, path.join(root, 'data', 'escape'));
    await assert.rejects(collect(area.list('data/escape')), storageError('outside-root'));
  });

  void it('lists 5,000 files', async () => {
    const { root, area } = await tenant();
    const folder = path.join(root, 'data');
    for (let start = 0; start < 5000; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, offset) =>
          writeFile(path.join(folder, `f${start + offset}.wav`), 'x'),
        ),
      );
    }
    let count = 0;
    const names = new Set<string>();
    // Its lstats are synchronous: the listing must still let the process's other work run.
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 0);
    try {
      for await (const entry of area.list('data')) {
        count += 1;
        names.add(entry.name);
        assert.equal(entry.type, 'file');
      }
    } finally {
      clearInterval(ticker);
    }
    assert.equal(count, 5000);
    assert.equal(names.size, 5000);
    assert.ok(turns > 0, 'timers ran while the folder was listed');
  });
});

void describe('LocalUploadArea path safety', () => {
  const escapes = ['../x', '/etc/passwd', 'data/../../x', 'data/../x', '..', 'data/\0x'];

  for (const attempt of escapes) {
    void it(`refuses ${JSON.stringify(attempt)} everywhere`, async () => {
      const { area } = await tenant();
      const outsideRoot = storageError('outside-root');
      await assert.rejects(collect(area.list(attempt)), outsideRoot);
      await assert.rejects(area.stat(attempt), outsideRoot);
      await assert.rejects(area.readRange(attempt, 0, 10), outsideRoot);
      await assert.rejects(area.openRead(attempt), outsideRoot);
      await assert.rejects(area.writeFile(attempt, 'x'), outsideRoot);
      await assert.rejects(area.move(attempt, 'data/x'), outsideRoot);
      await assert.rejects(area.move('data/x', attempt), outsideRoot);
      await assert.rejects(area.remove(attempt), outsideRoot);
    });
  }

  void it('accepts redundant slashes and dots that stay inside', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'a.txt'), 'hello');
    assert.equal((await area.readRange('./data//a.txt', 0, 5)).toString(), 'hello');
    assert.equal((await area.stat('data/./a.txt'))?.path, 'data/a.txt');
    await area.writeFile('..dotted/..name', 'ok');
    assert.equal((await area.readRange('..dotted/..name', 0, 2)).toString(), 'ok');
  });

  void it('refuses to read or move through a symlink to a file outside the root', async () => {
    const { root, outside, area } = await tenant();
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'data', 'link.wav'));
    const refused = storageError('outside-root');
    await assert.rejects(area.readRange('data/link.wav', 0, 6), refused);
    await assert.rejects(area.openRead('data/link.wav'), refused);
    await assert.rejects(area.move('data/link.wav', 'data/processed/link.wav'), refused);
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('removes a symlink itself (retention purges planted links) without touching its target', async () => {
    const { root, outside, area } = await tenant();
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'data', 'link.wav'));
    await area.remove('data/link.wav');
    assert.equal(await area.stat('data/link.wav'), null);
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('refuses any operation through a symlinked parent folder', async () => {
    const { root, outside, area } = await tenant();
    await symlink(outside, path.join(root, 'data', 'escape'));
    await writeFile(path.join(root, 'data', 'call.wav'), 'audio');
    const refused = storageError('outside-root');
    await assert.rejects(area.stat('data/escape/secret.txt'), refused);
    await assert.rejects(area.readRange('data/escape/secret.txt', 0, 6), refused);
    await assert.rejects(area.openRead('data/escape/secret.txt'), refused);
    await assert.rejects(area.move('data/escape/secret.txt', 'data/stolen.txt'), refused);
    await assert.rejects(area.move('data/call.wav', 'data/escape/call.wav'), refused);
    await assert.rejects(area.writeFile('data/escape/planted.txt', 'x'), refused);
    await assert.rejects(area.remove('data/escape/secret.txt'), refused);
    assert.deepEqual((await readdir(outside)).sort(), ['secret.txt']);
    assert.equal(await readFile(path.join(root, 'data', 'call.wav'), 'utf8'), 'audio');
  });

  void it('describes a symlink with stat instead of following it', async () => {
    const { root, outside, area } = await tenant();
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'data', 'link.wav'));
    assert.equal((await area.stat('data/link.wav'))?.type, 'symlink');
  });
});

void describe('LocalUploadArea reads', () => {
  void it('reads ranges at offsets and stops at end of file', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'digits.txt'), '0123456789');
    assert.equal((await area.readRange('data/digits.txt', 0, 4)).toString(), '0123');
    assert.equal((await area.readRange('data/digits.txt', 3, 4)).toString(), '3456');
    assert.equal((await area.readRange('data/digits.txt', 8, 100)).toString(), '89');
    assert.equal((await area.readRange('data/digits.txt', 10, 5)).length, 0);
    assert.equal((await area.readRange('data/digits.txt', 50, 5)).length, 0);
    assert.equal((await area.readRange('data/digits.txt', 2, 0)).length, 0);
  });

  void it('rejects negative or fractional ranges', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'digits.txt'), '0123456789');
    await assert.rejects(area.readRange('data/digits.txt', -1, 4), RangeError);
    await assert.rejects(area.readRange('data/digits.txt', 0, 1.5), RangeError);
  });

  void it('reports missing files as not-found', async () => {
    const { area } = await tenant();
    await assert.rejects(area.readRange('data/missing.wav', 0, 1), storageError('not-found'));
    await assert.rejects(area.openRead('data/missing.wav'), storageError('not-found'));
    await assert.rejects(area.move('data/missing.wav', 'data/x.wav'), storageError('not-found'));
    assert.equal(await area.stat('data/missing.wav'), null);
    assert.equal(await area.stat('nothing/missing.wav'), null);
  });

  void it('streams a whole file', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'meta.json'), '{"callTime":"x"}');
    assert.equal(await text(await area.openRead('data/meta.json')), '{"callTime":"x"}');
  });

  void it('refuses to read a folder as a file', async () => {
    const { area } = await tenant();
    await assert.rejects(area.readRange('data', 0, 1), storageError('io'));
  });
});

void describe('LocalUploadArea writes', () => {
  void it('moves into new parent folders', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'call.wav'), 'audio');
    await area.move('data/call.wav', 'data/processed/2024/call.wav');
    assert.equal(await readFile(path.join(root, 'data', 'processed', '2024', 'call.wav'), 'utf8'), 'audio');
    assert.equal(await area.stat('data/call.wav'), null);
  });

  void it('replaces an existing target on move', async () => {
    const { root, area } = await tenant();
    await mkdir(path.join(root, 'data', 'processed'));
    await writeFile(path.join(root, 'data', 'processed', 'call.wav'), 'old');
    await writeFile(path.join(root, 'data', 'call.wav'), 'new');
    await area.move('data/call.wav', 'data/processed/call.wav');
    assert.equal(await readFile(path.join(root, 'data', 'processed', 'call.wav'), 'utf8'), 'new');
  });

  void it('replaces a symlink at the target instead of writing through it', async () => {
    const { root, outside, area } = await tenant();
    await mkdir(path.join(root, 'data', 'processed'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'data', 'processed', 'call.wav'));
    await writeFile(path.join(root, 'data', 'call.wav'), 'audio');
    await area.move('data/call.wav', 'data/processed/call.wav');
    assert.equal((await area.stat('data/processed/call.wav'))?.type, 'file');
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('falls back to copy and unlink across devices', async () => {
    const { root } = await tenant();
    class CrossDeviceArea extends LocalUploadArea {
      protected override async renameEntry(): Promise<void> {
        throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      }
    }
    const area = new CrossDeviceArea(root);
    await mkdir(path.join(root, 'data', 'processed'));
    await writeFile(path.join(root, 'data', 'processed', 'call.wav'), 'old');
    await writeFile(path.join(root, 'data', 'call.wav'), 'moved across');
    await area.move('data/call.wav', 'data/processed/call.wav');
    assert.equal(await readFile(path.join(root, 'data', 'processed', 'call.wav'), 'utf8'), 'moved across');
    assert.equal(await area.stat('data/call.wav'), null);
    assert.deepEqual(await readdir(path.join(root, 'data', 'processed')), ['call.wav']);
  });

  void it('writes files atomically, creating parents and leaving no temp file', async () => {
    const { root, area } = await tenant();
    await area.writeFile('data/rejected/x.wav.error.json', '{"code":"too-large"}');
    await area.writeFile('data/rejected/x.wav.error.json', Buffer.from('{"code":"corrupt-media"}'));
    const folder = path.join(root, 'data', 'rejected');
    assert.deepEqual(await readdir(folder), ['x.wav.error.json']);
    assert.equal(await readFile(path.join(folder, 'x.wav.error.json'), 'utf8'), '{"code":"corrupt-media"}');
  });

  void it('removes temp file when the write fails', async () => {
    const { root, area } = await tenant();
    await mkdir(path.join(root, 'data', 'rejected', 'taken.json'), { recursive: true });
    await assert.rejects(area.writeFile('data/rejected/taken.json', 'x'), storageError('io'));
    assert.deepEqual(await readdir(path.join(root, 'data', 'rejected')), ['taken.json']);
  });

  void it('removes files, tolerates missing ones and refuses folders', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'old.wav'), 'x');
    await area.remove('data/old.wav');
    await assert.rejects(lstat(path.join(root, 'data', 'old.wav')), { code: 'ENOENT' });
    await area.remove('data/old.wav');
    await area.remove('missing/folder/old.wav');
    await assert.rejects(area.remove('data'), storageError('io'));
  });
});
