// What `npm test` needs on the machine besides Node and npm, and how it gets it. The tests talk to
// real servers (CONTRACT: real Redis, a real OpenSSH SFTP server), so a fresh machine lacks
// their programs: as root they are installed with apt-get (Debian, as CI and our images are); as
// anyone else the run stops at once with one line that names what to install, because skipping
// the SFTP tests would hide a broken adapter.
import { execFile, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestTool {
  /** The program the tests run. */
  command: string;
  /** The Debian package that provides it. */
  aptPackage: string;
  /** Who runs it, for the message. */
  neededBy: string;
}

export const TEST_TOOLS: readonly TestTool[] = [
  { command: 'redis-server', aptPackage: 'redis-server', neededBy: 'private Redis servers (demo, chaos)' },
  { command: 'sshd', aptPackage: 'openssh-server', neededBy: 'the SFTP tests' },
  { command: 'ssh-keygen', aptPackage: 'openssh-client', neededBy: 'the SFTP tests' },
  { command: 'openssl', aptPackage: 'openssl', neededBy: "the SFTP tests' password login" },
  { command: 'unshare', aptPackage: 'util-linux', neededBy: 'the SFTP and demo tests' },
  { command: 'ip', aptPackage: 'iproute2', neededBy: 'the demo test' },
  // promtool comes with Debian's prometheus package (19 MiB download); only promtool is used.
  { command: 'promtool', aptPackage: 'prometheus', neededBy: 'the alert rules and /metrics checks' },
  // Headless, driven by playwright-core through its path; the e2e console test starts it.
  { command: 'chromium', aptPackage: 'chromium', neededBy: 'the console browser test' },
];

/** Folders searched besides PATH: sshd and ip live in sbin, which a user's PATH often lacks. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export async function findProgram(command: string): Promise<string | null> {
  const folders = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const folder of folders) {
    const path = join(folder, command);
    const found = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return path;
  }
  return null;
}

export async function missingTestTools(tools: readonly TestTool[] = TEST_TOOLS): Promise<TestTool[]> {
  const missing: TestTool[] = [];
  for (const tool of tools) if ((await findProgram(tool.command)) === null) missing.push(tool);
  return missing;
}

export type Provisioned = { ok: true; installed: string[] } | { ok: false; message: string };

/**
 * Installs the missing tools when running as root, else says what to install. Also checks, for a
 * non-root run, that unprivileged user namespaces work: the SFTP server needs one (sftp-server.ts).
 */
export async function provisionTestMachine(
  options: { isRoot?: boolean; tools?: readonly TestTool[] } = {},
): Promise<Provisioned> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const missing = await missingTestTools(options.tools);
  const packages = [...new Set(missing.map((tool) => tool.aptPackage))];
  if (missing.length > 0 && !isRoot) {
    const commands = missing.map((tool) => tool.command).join(', ');
    return {
      ok: false,
      message: `npm test needs ${commands}: install with \`sudo apt-get install -y ${packages.join(' ')}\` (run as root, npm test installs what is missing itself)`,
    };
  }
  if (missing.length > 0) {
    const failure = await aptInstall(packages);
    if (failure)
      return { ok: false, message: `npm test: apt-get install ${packages.join(' ')} failed: ${failure}` };
    const still = await missingTestTools(missing);
    if (still.length > 0) {
      return {
        ok: false,
        message: `npm test: installed ${packages.join(' ')}, but ${still.map((tool) => tool.command).join(', ')} is still not found`,
      };
    }
  }
  if (!isRoot && !userNamespacesWork()) {
    return {
      ok: false,
      message:
        'npm test as a non-root user needs unprivileged user namespaces for its SFTP server (`unshare --user --map-root-user true` fails here): enable them (sysctl kernel.unprivileged_userns_clone=1) or run npm test as root',
    };
  }
  return { ok: true, installed: packages };
}

/** apt-get's own output goes nowhere unless it fails; then its last lines are the reason. */
async function aptInstall(packages: string[]): Promise<string | null> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return null;
  } catch (error) {
    const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    const lastLines = output.trim().split('\n').slice(-3).join(' / ');
    return lastLines || (error instanceof Error ? error.message : String(error));
  }
}

function userNamespacesWork(): boolean {
  return spawnSync('unshare', ['--user', '--map-root-user', 'true'], { stdio: 'ignore' }).status === 0;
}
