// The test SFTP server itself: real logins with the key and the password it hands out, the
// upload root where it says, and nothing changed on the machine (no user, group or folder left).
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SftpClient from 'ssh2-sftp-client';
import { startSftpServer, SFTP_TEST_USER, type SftpTestServer } from './sftp-server';

async function connect(server: SftpTestServer, credentials: { privateKey: Buffer } | { password: string }) {
  const client = new SftpClient();
  await client.connect({ host: server.host, port: server.port, username: server.username, ...credentials });
  return client;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const machineFiles = ['/etc/passwd', '/etc/group', '/etc/shadow'];
async function snapshot(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of machineFiles) files[file] = await readFile(file, 'utf8').catch(() => '(unreadable)');
  files['/run'] = (await readdir('/run')).sort().join(',');
  files['/var/lib'] = (await readdir('/var/lib')).sort().join(',');
  return files;
}

void describe('startSftpServer', () => {
  void it('logs in with its key and its password, and refuses a wrong password', async () => {
    const server = await startSftpServer();
    try {
      assert.equal(server.mode, process.getuid?.() === 0 ? 'chrooted' : 'unprivileged');
      const byKey = await connect(server, { privateKey: await readFile(server.privateKeyFile) });
      await byKey.put(Buffer.from('by key'), `${server.root}/key.txt`);
      await byKey.end();
      const byPassword = await connect(server, { password: server.password });
      await byPassword.put(Buffer.from('by password'), `${server.root}/password.txt`);
      await byPassword.end();
      assert.equal(process.env[server.passwordEnv], server.password);

      assert.equal(await readFile(join(server.hostPath, 'key.txt'), 'utf8'), 'by key');
      assert.equal(await readFile(join(server.hostPath, 'password.txt'), 'utf8'), 'by password');
      await assert.rejects(connect(server, { password: `${server.password}x` }), /authentication/i);
    } finally {
      await server.stop();
    }
  });

  void it('chroots the SFTP user as root, and serves the folder as it is otherwise', async () => {
    const server = await startSftpServer();
    try {
      const client = await connect(server, { privateKey: await readFile(server.privateKeyFile) });
      if (server.mode === 'chrooted') {
        assert.equal(server.username, SFTP_TEST_USER);
        assert.equal(server.root, '/upload');
        assert.deepEqual(
          (await client.list('/')).map((entry) => entry.name),
          ['upload'],
        );
        // Given to the SFTP user, a folder is theirs to write in; root's own is not.
        await writeFile(join(server.hostPath, 'mine.txt'), 'x');
        await server.chownToUser(server.hostPath);
        await client.put(Buffer.from('y'), '/upload/mine.txt');
      } else {
        assert.equal(server.root, server.hostPath);
        await client.put(Buffer.from('y'), `${server.root}/mine.txt`);
      }
      assert.equal(await readFile(join(server.hostPath, 'mine.txt'), 'utf8'), 'y');
      await client.end();
    } finally {
      await server.stop();
    }
  });

  void it('leaves the machine as it found it: no user, group or folder, no server', async () => {
    const before = await snapshot();
    const servers = await Promise.all([startSftpServer(), startSftpServer()]);
    assert.deepEqual(await snapshot(), before, 'the SFTP user exists only inside the server namespace');
    await Promise.all(servers.map((server) => server.stop()));
    assert.deepEqual(await snapshot(), before);
    for (const server of servers) {
      assert.equal(await portAnswers(server.port), false, `sshd on port ${server.port} is stopped`);
      assert.equal(process.env[server.passwordEnv], undefined);
      await assert.rejects(readdir(server.hostPath), { code: 'ENOENT' });
    }
  });
});
