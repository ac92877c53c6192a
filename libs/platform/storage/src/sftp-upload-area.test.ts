// SftpUploadArea against a real OpenSSH server (chrooted internal-sftp, as customers get): the
// same semantics as LocalUploadArea, plus what only a network adapter has: authentication,
// bounded ranged reads, timeouts and reconnecting after a dropped connection.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { startSftpServer, type SftpTestServer } from '@callintake/testing';
import { SftpUploadArea, type SftpSourceLocation, type SftpUploadAreaOptions } from './sftp-upload-area';
import { StorageError } from './types';
import type { StoredEntry } from './types';

let server: SftpTestServer;
let counter = 0;
const opened: SftpUploadArea[] = [];

before(async () => {
  server = await startSftpServer();
});

after(async () => {
  await Promise.all(opened.map((area) => area.close()));
  await server.stop();
});

type Auth = 'key' | 'password';

function locationFor(root: string, auth: Auth = 'key', port = server.port): SftpSourceLocation {
  const credentials =
    auth === 'key' ? { privateKeyFile: server.privateKeyFile } : { passwordEnv: server.passwordEnv };
  return { kind: 'sftp', host: server.host, port, username: server.username, root, ...credentials };
}

function areaFor(location: SftpSourceLocation, options: SftpUploadAreaOptions = {}): SftpUploadArea {
  const area = new SftpUploadArea(location, options);
  opened.push(area);
  return area;
}

/**
 * A fresh tenant root `<upload>/tN` with `data/`, owned by the SFTP user, and a sibling
 * `outside-N/` holding a secret. `root` is the folder on this machine's disk.
 */
async function tenant(auth: Auth = 'key', port?: number) {
  counter += 1;
  const root = path.join(server.hostPath, `t${counter}`);
  const outside = path.join(server.hostPath, `outside-${counter}`);
  await mkdir(path.join(root, 'data'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  await server.chownToUser(root);
  const area = areaFor(locationFor(`${server.root}/t${counter}`, auth, port));
  /** A link target that resolves the same on this machine and inside the server's chroot. */
  const outsideFromData = `../../outside-${counter}`;
  return { root, outside, outsideFromData, area };
}

async function collect(entries: AsyncIterable<StoredEntry>): Promise<StoredEntry[]> {
  const collected: StoredEntry[] = [];
  for await (const entry of entries) collected.push(entry);
  return collected.sort((a, b) => a.name.localeCompare(b.name));
}

function storageError(code: StorageError['code'], message?: RegExp) {
  return (error: unknown) =>
    error instanceof StorageError && error.code === code && (!message || message.test(error.message));
}

/**
 * A TCP relay in front of sshd: counts the bytes the server sends, can stall the connections it
 * carries (a request in flight, no answer) and can cut them, as a network or server would.
 */
async function relay(targetPort: number) {
  const pairs = new Set<{ client: Socket; upstream: Socket; stalled: boolean }>();
  let fromServer = 0;
  let connections = 0;
  const proxy: Server = createServer((client) => {
    connections += 1;
    const upstream = connectTcp({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, stalled: false };
    pairs.add(pair);
    upstream.on('data', (chunk: Buffer) => {
      if (pair.stalled) return;
      fromServer += chunk.length;
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (typeof address !== 'object' || address === null) throw new Error('relay has no port');
  return {
    port: address.port,
    bytesFromServer: () => fromServer,
    connections: () => connections,
    open: () => pairs.size,
    stallAll: () => pairs.forEach((pair) => (pair.stalled = true)),
    /** Resets every connection it carries (the client sees ECONNRESET). */
    cutAll: () => pairs.forEach((pair) => pair.client.resetAndDestroy()),
    close: () => {
      pairs.forEach((pair) => pair.client.destroy());
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

void describe('SftpUploadArea connection', () => {
  void it('logs in with a private key and describes itself without secrets', async () => {
    const { root, area } = await tenant('key');
    await writeFile(path.join(root, 'data', 'a.wav'), 'abc');
    assert.deepEqual(
      (await collect(area.list('data'))).map((entry) => entry.name),
      ['a.wav'],
    );
    assert.equal(
      area.description,
      `sftp://${server.username}@127.0.0.1:${server.port}${server.root}/t${counter}`,
    );
  });

  void it('logs in with the password from the environment variable the tenant names', async () => {
    const { root, area } = await tenant('password');
    await writeFile(path.join(root, 'data', 'a.wav'), 'abc');
    assert.equal((await area.stat('data/a.wav'))?.sizeBytes, 3);
    assert.doesNotMatch(area.description, new RegExp(server.password));
  });

  void it('connects when the host key matches hostKeySha256, and refuses another key', async () => {
    const { root } = await tenant('key');
    await writeFile(path.join(root, 'data', 'a.wav'), 'abc');
    const pinned = areaFor({
      ...locationFor(`${server.root}/t${counter}`, 'key'),
      hostKeySha256: server.hostKeySha256,
    });
    assert.equal((await pinned.stat('data/a.wav'))?.sizeBytes, 3);

    const impostor = `SHA256:${'A'.repeat(43)}`;
    const refused = areaFor({ ...locationFor(`${server.root}/t${counter}`, 'key'), hostKeySha256: impostor });
    await assert.rejects(refused.stat('data/a.wav'), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.match(
        error.message,
        new RegExp(
          `host key is ${server.hostKeySha256.replace(/[+/]/g, '\\$&')}, not the configured hostKeySha256 ${impostor}`,
        ),
      );
      return true;
    });
  });

  void it('fails fast and clearly on a wrong password, never naming it', async () => {
    const wrong = `wrong-${randomBytes(4).toString('hex')}`;
    const area = areaFor(
      { ...locationFor('/upload', 'password'), passwordEnv: 'CALLINTAKE_TEST_WRONG_PASSWORD' },
      { secrets: { env: () => wrong, readFile: () => Promise.reject(new Error('unused')) } },
    );
    const started = Date.now();
    await assert.rejects(area.stat('data'), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'io');
      assert.match(error.message, /cannot connect to sftp:\/\/.*authentication methods failed/i);
      assert.doesNotMatch(error.message, new RegExp(wrong));
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'an authentication failure is reported, not waited out');
  });

  void it('names the missing environment variable and an unreadable key file', async () => {
    const missingEnv = areaFor({
      ...locationFor('/upload', 'password'),
      passwordEnv: 'CALLINTAKE_TEST_SFTP_UNSET',
    });
    await assert.rejects(
      missingEnv.stat('data'),
      storageError('io', /CALLINTAKE_TEST_SFTP_UNSET \(passwordEnv\) is not set/),
    );
    const missingKey = areaFor({ ...locationFor('/upload'), privateKeyFile: '/nonexistent/key' });
    await assert.rejects(missingKey.stat('data'), storageError('io', /privateKeyFile \/nonexistent\/key/));
  });

  void it('gives up on a server that never completes the handshake', async () => {
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(typeof address === 'object' && address !== null);
    try {
      const area = areaFor(locationFor('/upload', 'key', address.port), { readyTimeoutMs: 300 });
      await assert.rejects(area.stat('data'), storageError('io', /Timed out while waiting for handshake/));
    } finally {
      accepted.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  void it('reuses one connection, and reconnects once the server side drops it', async () => {
    const tcp = await relay(server.port);
    try {
      const { root, area } = await tenant('key', tcp.port);
      await writeFile(path.join(root, 'data', 'digits.txt'), '0123456789');
      assert.equal((await area.readRange('data/digits.txt', 0, 4)).toString(), '0123');
      assert.equal((await area.stat('data/digits.txt'))?.sizeBytes, 10);
      assert.equal(tcp.connections(), 1, 'operations share one connection');

      tcp.cutAll();
      assert.equal((await area.readRange('data/digits.txt', 4, 4)).toString(), '4567');
      assert.equal(tcp.connections(), 2);

      // A request in flight when the connection dies is tried again on a new one.
      tcp.stallAll();
      const pending = area.readRange('data/digits.txt', 6, 10);
      await new Promise((resolve) => setTimeout(resolve, 100));
      tcp.cutAll();
      assert.equal((await pending).toString(), '6789');
      assert.equal(tcp.connections(), 3);

      await area.close();
      await waitUntil(() => tcp.open() === 0, 'close() ends the connection');
    } finally {
      await tcp.close();
    }
  });
});

void describe('SftpUploadArea.list and stat', () => {
  void it('reports files, folders and symlinks with size and mtime, without following links', async () => {
    const { root, outsideFromData, area } = await tenant();
    await writeFile(path.join(root, 'data', 'call.wav'), 'abcd');
    await mkdir(path.join(root, 'data', 'nested'));
    await symlink(`${outsideFromData}/secret.txt`, path.join(root, 'data', 'link.wav'));
    await symlink('/nowhere/at/all', path.join(root, 'data', 'dangling.wav'));
    const mtime = new Date('2024-01-02T03:04:05Z');
    await utimes(path.join(root, 'data', 'call.wav'), mtime, mtime);

    const entries = await collect(area.list('data'));

    assert.deepEqual(
      entries.map(({ path: entryPath, name, type }) => ({ path: entryPath, name, type })),
      [
        { path: 'data/call.wav', name: 'call.wav', type: 'file' },
        { path: 'data/dangling.wav', name: 'dangling.wav', type: 'symlink' },
        { path: 'data/link.wav', name: 'link.wav', type: 'symlink' },
        { path: 'data/nested', name: 'nested', type: 'directory' },
      ],
    );
    assert.equal(entries[0]?.sizeBytes, 4);
    assert.equal(entries[0]?.modifiedAt.getTime(), mtime.getTime());
  });

  void it('lists a missing folder as empty, and the root with root-relative paths', async () => {
    const { area } = await tenant();
    assert.deepEqual(await collect(area.list('data/processed')), []);
    assert.deepEqual(await collect(area.list('nothing/here')), []);
    assert.deepEqual(
      (await collect(area.list(''))).map((entry) => entry.path),
      ['data'],
    );
  });

  void it('lists a folder larger than one READDIR batch', async () => {
    const { root, area } = await tenant();
    await Promise.all(
      Array.from({ length: 600 }, (_, index) => writeFile(path.join(root, 'data', `f${index}.wav`), 'x')),
    );
    const names = new Set((await collect(area.list('data'))).map((entry) => entry.name));
    assert.equal(names.size, 600);
  });

  void it('refuses to list through a symlinked folder, and a file as a folder', async () => {
    const { root, outsideFromData, area } = await tenant();
    await symlink(outsideFromData, path.join(root, 'data', 'escape'));
    await writeFile(path.join(root, 'data', 'a.wav'), 'x');
    await assert.rejects(collect(area.list('data/escape')), storageError('outside-root'));
    await assert.rejects(collect(area.list('data/a.wav')), storageError('io'));
  });

  void it('describes one path without following a link; null when missing', async () => {
    const { root, outsideFromData, area } = await tenant();
    await writeFile(path.join(root, 'data', 'call.wav'), 'abcd');
    await symlink(`${outsideFromData}/secret.txt`, path.join(root, 'data', 'link.wav'));
    const file = await area.stat('data/call.wav');
    assert.deepEqual(
      { path: file?.path, name: file?.name, type: file?.type, size: file?.sizeBytes },
      { path: 'data/call.wav', name: 'call.wav', type: 'file', size: 4 },
    );
    assert.equal((await area.stat('data/link.wav'))?.type, 'symlink');
    assert.equal((await area.stat('data'))?.type, 'directory');
    assert.equal(await area.stat('data/missing.wav'), null);
    assert.equal(await area.stat('nothing/missing.wav'), null);
  });
});

void describe('SftpUploadArea path safety', () => {
  const escapes = ['../x', '/etc/passwd', 'data/../../x', 'data/../x', '..', 'data/\0x'];

  for (const attempt of escapes) {
    void it(`refuses ${JSON.stringify(attempt)} everywhere, before connecting`, async () => {
      // Port 1 answers nothing: reaching the network would fail with 'io', not 'outside-root'.
      const area = areaFor(locationFor('/upload', 'key', 1));
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

  void it('refuses to read or move a symlink, even one to a file inside the chroot', async () => {
    const { root, outside, outsideFromData, area } = await tenant();
    await symlink(`${outsideFromData}/secret.txt`, path.join(root, 'data', 'link.wav'));
    const refused = storageError('outside-root');
    await assert.rejects(area.readRange('data/link.wav', 0, 6), refused);
    await assert.rejects(area.openRead('data/link.wav'), refused);
    await assert.rejects(area.move('data/link.wav', 'data/processed/link.wav'), refused);
    assert.ok((await lstat(path.join(root, 'data', 'link.wav'))).isSymbolicLink());
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('refuses any operation through a symlinked parent folder', async () => {
    const { root, outside, outsideFromData, area } = await tenant();
    await symlink(outsideFromData, path.join(root, 'data', 'escape'));
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
});

void describe('SftpUploadArea reads', () => {
  void it('reads ranges at offsets and stops at end of file', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'digits.txt'), '0123456789');
    assert.equal((await area.readRange('data/digits.txt', 0, 4)).toString(), '0123');
    assert.equal((await area.readRange('data/digits.txt', 3, 4)).toString(), '3456');
    assert.equal((await area.readRange('data/digits.txt', 8, 100)).toString(), '89');
    assert.equal((await area.readRange('data/digits.txt', 10, 5)).length, 0);
    assert.equal((await area.readRange('data/digits.txt', 50, 5)).length, 0);
    assert.equal((await area.readRange('data/digits.txt', 2, 0)).length, 0);
    await assert.rejects(area.readRange('data/digits.txt', -1, 4), RangeError);
    await assert.rejects(area.readRange('data/digits.txt', 0, 1.5), RangeError);
  });

  void it('reads 4 KiB from the middle of a 50 MB file without transferring the file', async () => {
    const tcp = await relay(server.port);
    try {
      const { root, area } = await tenant('key', tcp.port);
      const big = path.join(root, 'data', 'big.wav');
      const offset = 30 * 1024 * 1024;
      const marker = randomBytes(4096);
      const handle = await open(big, 'w');
      try {
        await handle.truncate(50 * 1024 * 1024); // sparse: no 50 MB of disk writes
        await handle.write(marker, 0, marker.length, offset);
      } finally {
        await handle.close();
      }
      assert.equal((await area.stat('data/big.wav'))?.sizeBytes, 50 * 1024 * 1024); // connected
      const before = tcp.bytesFromServer();
      const read = await area.readRange('data/big.wav', offset, 4096);
      const transferred = tcp.bytesFromServer() - before;
      assert.ok(read.equals(marker));
      assert.ok(transferred < 64 * 1024, `read 4 KiB, the server sent ${transferred} bytes`);
      // A generous length stops at the end without reading more than what is there.
      const tail = await area.readRange('data/big.wav', 50 * 1024 * 1024 - 10, 1024 * 1024 * 1024);
      assert.equal(tail.length, 10);
    } finally {
      await tcp.close();
    }
  });

  void it('streams a whole file', async () => {
    const { root, area } = await tenant();
    const content = randomBytes(300 * 1024 + 7);
    await writeFile(path.join(root, 'data', 'call.wav'), content);
    const chunks: Buffer[] = [];
    for await (const chunk of await area.openRead('data/call.wav')) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(content));
    // A reader that stops early releases the stream (and its handle) without hanging.
    const abandoned = await area.openRead('data/call.wav');
    for await (const _ of abandoned) break;
    assert.ok(abandoned.destroyed);
    assert.ok((await buffer(await area.openRead('data/call.wav'))).equals(content));
    await writeFile(path.join(root, 'data', 'meta.json'), '{"callTime":"x"}');
    assert.equal(await text(await area.openRead('data/meta.json')), '{"callTime":"x"}');
  });

  void it('reports missing files as not-found and refuses a folder as a file', async () => {
    const { area } = await tenant();
    await assert.rejects(area.readRange('data/missing.wav', 0, 1), storageError('not-found'));
    await assert.rejects(area.openRead('data/missing.wav'), storageError('not-found'));
    await assert.rejects(area.move('data/missing.wav', 'data/x.wav'), storageError('not-found'));
    await assert.rejects(area.readRange('data', 0, 1), storageError('io'));
  });
});

void describe('SftpUploadArea writes', () => {
  void it('writes files atomically, creating parents and leaving no temp file', async () => {
    const { root, area } = await tenant();
    await area.writeFile('data/rejected/x.wav.error.json', '{"code":"too-large"}');
    await area.writeFile('data/rejected/x.wav.error.json', Buffer.from('{"code":"corrupt-media"}'));
    const folder = path.join(root, 'data', 'rejected');
    assert.deepEqual(await readdir(folder), ['x.wav.error.json']);
    assert.equal(await readFile(path.join(folder, 'x.wav.error.json'), 'utf8'), '{"code":"corrupt-media"}');
    await area.writeFile('data/empty.json', '');
    assert.equal((await area.stat('data/empty.json'))?.sizeBytes, 0);
  });

  void it('replaces a symlink at the target of a write instead of writing through it', async () => {
    const { root, outside, outsideFromData, area } = await tenant();
    await symlink(`${outsideFromData}/secret.txt`, path.join(root, 'data', 'report.json'));
    await area.writeFile('data/report.json', 'ours');
    assert.equal((await area.stat('data/report.json'))?.type, 'file');
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('removes the temp file when the write fails', async () => {
    const { root, area } = await tenant();
    await mkdir(path.join(root, 'data', 'rejected', 'taken.json'), { recursive: true });
    await server.chownToUser(path.join(root, 'data', 'rejected'));
    await assert.rejects(area.writeFile('data/rejected/taken.json', 'x'), storageError('io'));
    assert.deepEqual(await readdir(path.join(root, 'data', 'rejected')), ['taken.json']);
  });

  void it('moves into new parent folders', async () => {
    const { root, area } = await tenant();
    await writeFile(path.join(root, 'data', 'call.wav'), 'audio');
    await area.move('data/call.wav', 'data/processed/2024/call.wav');
    assert.equal(await readFile(path.join(root, 'data', 'processed', '2024', 'call.wav'), 'utf8'), 'audio');
    assert.equal(await area.stat('data/call.wav'), null);
  });

  void it('replaces an existing target on move, and a symlink there instead of following it', async () => {
    const { root, outside, outsideFromData, area } = await tenant();
    await mkdir(path.join(root, 'data', 'processed'));
    await server.chownToUser(path.join(root, 'data', 'processed'));
    await writeFile(path.join(root, 'data', 'processed', 'call.wav'), 'old');
    await writeFile(path.join(root, 'data', 'call.wav'), 'new');
    await area.move('data/call.wav', 'data/processed/call.wav');
    assert.equal(await readFile(path.join(root, 'data', 'processed', 'call.wav'), 'utf8'), 'new');

    await symlink(`../${outsideFromData}/secret.txt`, path.join(root, 'data', 'processed', 'b.wav'));
    await writeFile(path.join(root, 'data', 'b.wav'), 'audio');
    await area.move('data/b.wav', 'data/processed/b.wav');
    assert.equal((await area.stat('data/processed/b.wav'))?.type, 'file');
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  void it('removes files, tolerates missing ones, removes a link itself and refuses folders', async () => {
    const { root, outside, outsideFromData, area } = await tenant();
    await writeFile(path.join(root, 'data', 'old.wav'), 'x');
    await area.remove('data/old.wav');
    await assert.rejects(lstat(path.join(root, 'data', 'old.wav')), { code: 'ENOENT' });
    await area.remove('data/old.wav');
    await area.remove('missing/folder/old.wav');
    await assert.rejects(area.remove('data'), storageError('io'));

    await symlink(`${outsideFromData}/secret.txt`, path.join(root, 'data', 'link.wav'));
    await area.remove('data/link.wav');
    assert.equal(await area.stat('data/link.wav'), null);
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
  });
});

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
