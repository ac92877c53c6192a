// A real OpenSSH SFTP server for tests: `sshd -D` on a free loopback port with its own host key,
// a client key and a password, serving `internal-sftp`. It changes nothing on the machine: no
// system user, no folder outside its temp folder, nothing left behind when it stops or when the
// test process dies.
//
// Two modes, picked by who runs the tests:
// - as root, chrooted as a production SFTP account is: a dedicated user `callintake-sftp` that
//   exists only inside a private mount namespace (`unshare --mount`), where copies of
//   /etc/passwd, /etc/group and /etc/shadow with that user added are bind-mounted over the real
//   ones, a tmpfs covers /run (sshd's privilege-separation folder and the chroot's mount point,
//   which OpenSSH wants root-owned on every path component, so never under /tmp), and the temp
//   upload folder is bind-mounted onto that mount point;
// - as anyone else, unprivileged as OpenSSH's own regression tests run it: sshd runs as the
//   current user, who is the only one it can log in, with the upload root as an ordinary folder
//   (no chroot). An unprivileged sshd can check no password but the user's real one, so it runs
//   in a user namespace whose mount namespace lays a one-line /etc/shadow with the test password
//   over the real one; a nested user namespace maps the user back to its own uid, so sshd still
//   runs unprivileged. (Unprivileged user namespaces are on by default in Debian.)
// Passwords are hashed with `openssl passwd -6` (SHA-512 crypt, which glibc checks).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lchown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as connectTcp } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from './test-machine';

const run = promisify(execFile);

/** The SFTP user in the chrooted (root) mode; it exists only inside the server's namespace. */
export const SFTP_TEST_USER = 'callintake-sftp';
/** Inside the root mode's namespace: a tmpfs over /run holds sshd's folder and the chroot. */
const CHROOT_MOUNT_POINT = '/run/callintake-sftp';

/** Stops sshd when stdin closes: on stop(), and also when the test process dies without stopping. */
const SUPERVISE_SSHD = [
  'set +e',
  '"$@" <&- &',
  'sshd=$!',
  'echo "$sshd"',
  'read -r _',
  'kill -TERM "$sshd" 2>/dev/null',
  'wait "$sshd"',
].join('\n');

/** Root mode, run by `unshare --mount`: $1 the etc overlay folder, $2 the jail; then sshd's argv. */
const CHROOTED_NAMESPACE = [
  'set -e',
  'etc="$1" jail="$2"',
  'shift 2',
  'for file in passwd group shadow; do mount --bind "$etc/$file" "/etc/$file"; done',
  'mount -t tmpfs -o mode=0755,size=1m callintake-sftp /run',
  `mkdir -m 0755 /run/sshd ${CHROOT_MOUNT_POINT}`,
  `mount --bind "$jail" ${CHROOT_MOUNT_POINT}`,
  SUPERVISE_SSHD,
].join('\n');

/**
 * Unprivileged mode, run by `unshare --user --map-root-user --mount`: $1 the etc overlay folder,
 * $2 and $3 the user's uid and gid; then sshd's argv, run in a nested user namespace as that uid.
 */
const UNPRIVILEGED_NAMESPACE = [
  'set -e',
  'etc="$1" uid="$2" gid="$3"',
  'shift 3',
  'mount --bind "$etc/shadow" /etc/shadow',
  'set -- unshare --user --map-user="$uid" --map-group="$gid" -- "$@"',
  SUPERVISE_SSHD,
].join('\n');

export type SftpServerMode = 'chrooted' | 'unprivileged';

export interface SftpTestServer {
  host: '127.0.0.1';
  port: number;
  /** `chrooted` when the tests run as root, else `unprivileged` (see the file's first lines). */
  mode: SftpServerMode;
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

interface Account {
  mode: SftpServerMode;
  username: string;
  uid: number;
  gid: number;
}

export async function startSftpServer(): Promise<SftpTestServer> {
  const sshd = await findSshd();
  const account = process.getuid?.() === 0 ? await chrootedAccount() : currentAccount();
  const work = await mkdtemp(join(tmpdir(), 'callintake-sftp-'));
  const passwordEnv = `CALLINTAKE_TEST_SFTP_PASSWORD_${randomBytes(4).toString('hex').toUpperCase()}`;
  let running: Supervised | undefined;

  const stop = async () => {
    if (running) await stopSshd(running);
    running = undefined;
    delete process.env[passwordEnv];
    await rm(work, { recursive: true, force: true });
  };

  try {
    // The SFTP user reads its authorized_keys through this folder and lives in jail/upload.
    await chmod(work, 0o755);
    const jail = join(work, 'jail');
    const hostPath = join(jail, 'upload');
    await mkdir(jail, { mode: 0o755 });
    await mkdir(hostPath, { mode: 0o755 });
    await chown(hostPath, account.uid, account.gid);

    const hostKey = join(work, 'host_ed25519');
    const privateKeyFile = join(work, 'client_ed25519');
    await Promise.all([keygen(hostKey), keygen(privateKeyFile)]);
    const authorizedKeys = join(work, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(`${privateKeyFile}.pub`), { mode: 0o644 });

    const password = randomBytes(18).toString('base64url');
    const etc = join(work, 'etc');
    await mkdir(etc, { mode: 0o700 });
    await writeEtcOverlay(etc, account, await cryptPassword(password));

    // A port picked by the kernel can be taken before sshd binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(work, 'sshd_config');
      await writeFile(
        config,
        sshdConfig({
          port,
          hostKey,
          authorizedKeys,
          username: account.username,
          chroot: account.mode === 'chrooted' ? CHROOT_MOUNT_POINT : undefined,
        }),
      );
      const sshdArgs = [sshd, '-D', '-e', '-f', config];
      const started =
        account.mode === 'chrooted'
          ? supervise(['--mount', '--propagation', 'private'], CHROOTED_NAMESPACE, [etc, jail, ...sshdArgs])
          : supervise(
              ['--user', '--map-root-user', '--mount', '--propagation', 'private'],
              UNPRIVILEGED_NAMESPACE,
              [etc, String(account.uid), String(account.gid), ...sshdArgs],
            );
      running = started;
      if (await waitForListening(started.process, port)) {
        process.env[passwordEnv] = password;
        return {
          host: '127.0.0.1',
          port,
          mode: account.mode,
          username: account.username,
          privateKeyFile,
          password,
          passwordEnv,
          root: account.mode === 'chrooted' ? '/upload' : hostPath,
          hostPath,
          hostKeySha256: await fingerprintOf(`${hostKey}.pub`),
          chownToUser: (path) =>
            account.mode === 'chrooted' ? chownTree(path, account.uid, account.gid) : Promise.resolve(),
          stop,
        };
      }
      running = undefined;
      await stopSshd(started);
      const output = started.output();
      if (attempt >= 3 || !/Bind to port|Address already in use/i.test(output)) {
        throw new Error(`sshd (${account.mode}) did not start on 127.0.0.1:${port}:\n${output}`);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Root mode: a user and group id that the machine does not use, so files given to the SFTP user
 * belong to nobody else on the host.
 */
async function chrootedAccount(): Promise<Account> {
  const [passwd, group] = await Promise.all([
    readFile('/etc/passwd', 'utf8'),
    readFile('/etc/group', 'utf8'),
  ]);
  const taken = new Set(
    [...passwd.split('\n'), ...group.split('\n')]
      .map((line) => Number(line.split(':')[2]))
      .filter(Number.isFinite),
  );
  for (let id = 64_999; id >= 60_000; id--) {
    if (!taken.has(id)) return { mode: 'chrooted', username: SFTP_TEST_USER, uid: id, gid: id };
  }
  throw new Error('no free user id in 60000-64999 for the SFTP test user');
}

function currentAccount(): Account {
  let username: string;
  try {
    username = userInfo().username;
  } catch {
    throw new Error(`the SFTP tests run sshd as the current user, but uid ${process.getuid?.()} has no name`);
  }
  return { mode: 'unprivileged', username, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}

/**
 * The files bind-mounted over /etc inside the server's namespace. Root mode: the machine's
 * passwd, group and shadow plus the SFTP user; unprivileged mode: a shadow with the current
 * user's line alone (the only one its sshd reads). Empty aging fields: the password never expires.
 */
async function writeEtcOverlay(etc: string, account: Account, passwordHash: string): Promise<void> {
  const shadowLine = `${account.username}:${passwordHash}:::::::\n`;
  if (account.mode === 'unprivileged') {
    await writeFile(join(etc, 'shadow'), shadowLine, { mode: 0o600 });
    return;
  }
  // A machine where an older version of this helper made a real `callintake-sftp` keeps it: the
  // namespace's copy drops it, or its uid and password would win over ours.
  const withLine = async (file: string, line: string) => {
    const kept = (await readFile(`/etc/${file}`, 'utf8'))
      .split('\n')
      .filter((entry) => entry !== '' && !entry.startsWith(`${SFTP_TEST_USER}:`));
    return `${kept.join('\n')}\n${line}`;
  };
  await writeFile(
    join(etc, 'passwd'),
    await withLine(
      'passwd',
      `${SFTP_TEST_USER}:x:${account.uid}:${account.gid}::/nonexistent:/usr/sbin/nologin\n`,
    ),
    { mode: 0o644 },
  );
  await writeFile(join(etc, 'group'), await withLine('group', `${SFTP_TEST_USER}:x:${account.gid}:\n`), {
    mode: 0o644,
  });
  await writeFile(join(etc, 'shadow'), await withLine('shadow', shadowLine), { mode: 0o600 });
}

async function cryptPassword(password: string): Promise<string> {
  const hash = await new Promise<string>((resolve, reject) => {
    const child = execFile('openssl', ['passwd', '-6', '-stdin'], (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(
            missing
              ? 'openssl not found: install openssl (npm test installs it when run as root)'
              : `openssl passwd failed: ${stderr.trim() || error.message}`,
          ),
        );
      } else resolve(stdout.trim());
    });
    child.stdin?.end(`${password}\n`);
  });
  if (!hash.startsWith('$6$')) throw new Error(`openssl passwd -6 printed no SHA-512 crypt hash: ${hash}`);
  return hash;
}

interface Supervised {
  process: ChildProcess;
  /** sshd's own pid, once the supervisor has printed it. */
  sshdPid(): number | undefined;
  output(): string;
}

function supervise(unshareOptions: string[], script: string, args: string[]): Supervised {
  const child = spawn('unshare', [...unshareOptions, '--', '/bin/sh', '-c', script, 'sh', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let pid: number | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    const printed = Number.parseInt(chunk.toString(), 10);
    if (pid === undefined && Number.isSafeInteger(printed)) pid = printed;
  });
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stdin?.on('error', () => undefined); // the supervisor may be gone already
  child.on('error', (error) => (output += `\n${error.message}`)); // e.g. no unshare on PATH
  return { process: child, sshdPid: () => pid, output: () => output };
}

function sshdConfig(options: {
  port: number;
  hostKey: string;
  authorizedKeys: string;
  username: string;
  chroot: string | undefined;
}) {
  return [
    `Port ${options.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${options.hostKey}`,
    'PidFile none',
    // Our key and config live in a temp folder, which StrictModes would refuse.
    'StrictModes no',
    // Passwords are checked against the namespace's own /etc/shadow, never through PAM.
    'UsePAM no',
    'PasswordAuthentication yes',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${options.authorizedKeys}`,
    `AllowUsers ${options.username}`,
    'Subsystem sftp internal-sftp',
    'ForceCommand internal-sftp',
    ...(options.chroot ? [`ChrootDirectory ${options.chroot}`] : []),
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

async function findSshd(): Promise<string> {
  const sshd = await findProgram('sshd');
  if (sshd === null)
    throw new Error('sshd not found: install openssh-server (npm test installs it when run as root)');
  return sshd;
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
