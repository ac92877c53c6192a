// A real OpenSSH SFTP server for tests: `sshd -D` on a free loopback port, with its own host key,
// a client key and a password for one dedicated system user, chrooted with internal-sftp exactly
// as a production SFTP account would be. Needs root (a system user, chroot, a mount namespace).
//
// OpenSSH refuses a ChrootDirectory unless every component of its path is root-owned and not
// group/other-writable, which rules out anything under /tmp. So each server gets a root-owned
// mount point under /var/lib/callintake-sftp/, and sshd runs in a private mount namespace
// (`unshare -m`) where a temp folder is bind-mounted onto it. The mount disappears with the
// namespace, and a small supervisor stops sshd when the test process goes away, so a crashed
// test leaves neither a mount nor a server behind. Several servers can run at once.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  chmod,
  chown,
  lchown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  rmdir,
  writeFile,
} from 'node:fs/promises';
import { createServer, connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SFTP_TEST_USER = 'callintake-sftp';
/**
 * Runs inside the new mount namespace: bind-mounts the jail, starts sshd, prints its pid, and
 * stops it when stdin closes: on stop(), and also when the test process dies without stopping.
 */
const SUPERVISOR = [
  'mount --bind "$1" "$2" || exit 1',
  '"$3" -D -e -f "$4" <&- &',
  'sshd=$!',
  'echo "$sshd"',
  'read -r _',
  'kill -TERM "$sshd" 2>/dev/null',
  'wait "$sshd"',
].join('\n');
/** Root-owned, 0755 on every component: what OpenSSH demands of a ChrootDirectory's path. */
const MOUNT_BASE = '/var/lib/callintake-sftp';
/** One password for the test user on this machine, readable by root only; see `userPassword`. */
const PASSWORD_FILE = join(MOUNT_BASE, 'password');

export interface SftpTestServer {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** An unencrypted ed25519 key the server accepts for `username`. */
  privateKeyFile: string;
  password: string;
  /** A variable set in process.env to `password` (unique to this server); removed by stop(). */
  passwordEnv: string;
  /** The upload root as the SFTP user sees it, for a tenant's `source.root`. */
  root: string;
  /** The same folder on this machine's disk, for tests to put and inspect files directly. */
  hostPath: string;
  /** The server's host key fingerprint, as `ssh-keygen -lf` prints it. */
  hostKeySha256: string;
  /** Gives `path` (and everything under it) to the SFTP user, as if they had uploaded it. */
  chownToUser(path: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSftpServer(): Promise<SftpTestServer> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'startSftpServer needs root: it creates a system user, a chroot and a mount namespace for sshd',
    );
  }
  const sshd = await findSshd();
  const { uid, gid } = await ensureTestUser();
  const password = await userPassword();
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir

  // The user reads authorized_keys through this folder, so it must be traversable (0755).
  await removeStaleMountPoints();
  const work = await mkdtemp(join(tmpdir(), 'callintake-sftp-'));
  await chmod(work, 0o755);
  const jail = join(work, 'jail');
  const hostPath = join(jail, 'upload');
  // Named after this process, so a later start can tell a crashed run's leftover from a live one.
  const mountPoint = join(MOUNT_BASE, `${process.pid}-${randomBytes(6).toString('hex')}`);
  const passwordEnv = `CALLINTAKE_TEST_SFTP_PASSWORD_${randomBytes(4).toString('hex').toUpperCase()}`;
  let running: Supervised | undefined;

  const stop = async () => {
    if (running) await stopSshd(running);
    running = undefined;
    delete process.env[passwordEnv];
    await rmdir(mountPoint).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };

  try {
    await mkdir(jail, { mode: 0o755 });
    await mkdir(hostPath, { mode: 0o755 });
    await chown(hostPath, uid, gid);
    await mkdir(mountPoint, { mode: 0o755 });
    await chmod(mountPoint, 0o755);

    const hostKey = join(work, 'host_ed25519');
    const privateKeyFile = join(work, 'client_ed25519');
    await Promise.all([keygen(hostKey), keygen(privateKeyFile)]);
    const authorizedKeys = join(work, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(`${privateKeyFile}.pub`), { mode: 0o644 });

    // A port picked by the kernel can be taken before sshd binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(work, 'sshd_config');
      await writeFile(config, sshdConfig({ port, hostKey, authorizedKeys, chroot: mountPoint }));
      const started = supervise(jail, mountPoint, sshd, config);
      running = started;
      if (await waitForListening(started.process, port)) {
        process.env[passwordEnv] = password;
        return {
          host: '127.0.0.1',
          port,
          username: SFTP_TEST_USER,
          privateKeyFile,
          password,
          passwordEnv,
          root: '/upload',
          hostPath,
          hostKeySha256: await fingerprintOf(`${hostKey}.pub`),
          chownToUser: (path) => chownTree(path, uid, gid),
          stop,
        };
      }
      running = undefined;
      await stopSshd(started);
      const output = started.output();
      if (attempt >= 3 || !/Bind to port|Address already in use/i.test(output)) {
        throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${output}`);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Supervised {
  process: ChildProcess;
  /** sshd's own pid, once the supervisor has printed it. */
  sshdPid(): number | undefined;
  output(): string;
}

function supervise(jail: string, mountPoint: string, sshd: string, config: string): Supervised {
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      SUPERVISOR,
      'sh',
      jail,
      mountPoint,
      sshd,
      config,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  let pid: number | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    const printed = Number.parseInt(chunk.toString(), 10);
    if (pid === undefined && Number.isSafeInteger(printed)) pid = printed;
  });
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stdin?.on('error', () => undefined); // the supervisor may be gone already
  return { process: child, sshdPid: () => pid, output: () => output };
}

function sshdConfig(options: { port: number; hostKey: string; authorizedKeys: string; chroot: string }) {
  return [
    `Port ${options.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${options.hostKey}`,
    'PidFile none',
    // Our key and config live in a temp folder, which StrictModes would refuse.
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication yes',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${options.authorizedKeys}`,
    `AllowUsers ${SFTP_TEST_USER}`,
    'Subsystem sftp internal-sftp',
    'ForceCommand internal-sftp',
    `ChrootDirectory ${options.chroot}`,
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

/** Mount points left by test processes that died without stop() (their mounts died with them). */
async function removeStaleMountPoints(): Promise<void> {
  for (const name of await readdir(MOUNT_BASE).catch(() => [])) {
    const owner = /^(\d+)-[0-9a-f]+$/.exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    await rmdir(join(MOUNT_BASE, name)).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

async function findSshd(): Promise<string> {
  for (const candidate of ['/usr/sbin/sshd', '/usr/local/sbin/sshd']) {
    if (await isExecutable(candidate)) return candidate;
  }
  try {
    const { stdout } = await run('sh', ['-c', 'command -v sshd']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // reported below
  }
  throw new Error('sshd not found: install openssh-server (bash .ci/run does)');
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function ensureTestUser(): Promise<{ uid: number; gid: number }> {
  for (let attempt = 1; ; attempt++) {
    const existing = await userIds();
    if (existing) return existing;
    try {
      await run('useradd', [
        '--system',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        SFTP_TEST_USER,
      ]);
    } catch (error) {
      // Another test process may be adding it, or holding the passwd lock: look again.
      if (attempt >= 20) throw error;
      await sleep(50);
    }
  }
}

async function userIds(): Promise<{ uid: number; gid: number } | null> {
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', SFTP_TEST_USER]),
      run('id', ['-g', SFTP_TEST_USER]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

/**
 * The test user has one password at a time, so servers running at once (other test processes
 * included) must agree on it: it is made once per machine, kept root-only, and set with chpasswd
 * on every start (which also unlocks the account, since sshd refuses locked accounts even for
 * key logins). It is never a published constant, because a system sshd may serve this user too.
 */
async function userPassword(): Promise<string> {
  await mkdir(MOUNT_BASE, { recursive: true, mode: 0o755 });
  await chmod(MOUNT_BASE, 0o755);
  const fresh = randomBytes(18).toString('base64url');
  try {
    await writeFile(PASSWORD_FILE, fresh, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  }
  let password = '';
  // A concurrent first start may have created the file and not written it yet.
  for (let attempt = 0; password === '' && attempt < 40; attempt++) {
    password = (await readFile(PASSWORD_FILE, 'utf8')).trim();
    if (password === '') await sleep(25);
  }
  if (password === '') throw new Error(`${PASSWORD_FILE} is empty`);
  for (let attempt = 1; ; attempt++) {
    try {
      await runWithInput('chpasswd', [], `${SFTP_TEST_USER}:${password}\n`);
      return password;
    } catch (error) {
      if (attempt >= 20) throw error; // passwd lock held by a concurrent useradd or chpasswd
      await sleep(50);
    }
  }
}

function runWithInput(command: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

async function keygen(file: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'callintake-test', '-f', file]);
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await lchown(child, uid, gid); // a link itself, never what it points to
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** True once the port answers with an SSH banner; false if sshd exits first. */
async function waitForListening(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (await answersSsh(port)) return true;
    await sleep(20);
  }
  return false;
}

function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/**
 * Stops sshd and the per-connection processes it forked (stopping the listener leaves open
 * sessions running), found by parent pid, so the namespace and its mount go too.
 */
async function stopSshd(supervised: Supervised): Promise<void> {
  const child = supervised.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const sshdPid = supervised.sshdPid();
  if (sshdPid !== undefined) {
    for (const pid of await childPids(sshdPid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  child.stdin?.end(); // the supervisor stops sshd and exits
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function childPids(parent: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which sits in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === parent) found.push(Number(name));
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Independent of our adapter's own computation: what OpenSSH itself prints. */
async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const printed = await new Promise<string>((resolve, reject) => {
    execFile('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
  const match = /SHA256:[A-Za-z0-9+/]{43}/.exec(printed);
  if (!match) throw new Error(`ssh-keygen printed no SHA256 fingerprint: ${printed}`);
  return match[0];
}
