// Helpers for tests that talk to real parts: a unique Redis namespace per test (the shared
// Redis is shared with other tests), temp folders, tenants, and polling with a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parseTenantsFile, type TenantConfig } from '@callintake/schemas';

export const TEST_REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

export function uniqueNamespace(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}

/** Removes every key of a namespace, BullMQ's included (they sit under `<namespace>:bull`). */
export async function removeNamespace(namespace: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export async function tempDir(label: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `callintake-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A tenant with defaults, local source and archive under `root`; override anything. */
export function localTenant(root: string, overrides: Record<string, unknown> = {}): TenantConfig {
  const parsed = parseTenantsFile({
    tenants: [
      {
        id: 'acme',
        source: { kind: 'local', root: join(root, 'upload') },
        archive: { kind: 'local', root: join(root, 'archive') },
        settleSeconds: 0,
        metadata: {
          fields: {
            datetime: { to: 'callTime', type: 'datetime' },
            email: { to: 'userId' },
            filename: { to: 'recordingFile' },
            direction: { to: 'direction' },
          },
        },
        ...overrides,
      },
    ],
  });
  if (!parsed.ok) throw new Error(`test tenant is invalid: ${parsed.errors.join('; ')}`);
  return parsed.value.tenants[0] as TenantConfig;
}

export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    const value = await check();
    if (value) return value;
    last = value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${options.what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

export const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts one app (apps/<name>/src/main.ts) as its own process, as Kubernetes would. */
export function spawnService(name: string, env: NodeJS.ProcessEnv, args: string[] = []): ServiceProcess {
  return spawnScript(join(WORKSPACE_ROOT, 'apps', name, 'src', 'main.ts'), env, args, name);
}

/** Starts a TypeScript entry point (an app's main, or a test's own service) as its own process. */
export function spawnScript(
  script: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  name = script,
): ServiceProcess {
  const child = spawn(
    process.execPath,
    // The young-generation size the container runs with (docker/Dockerfile NODE_OPTIONS).
    ['--max-semi-space-size=32', '--import', 'tsx', script, ...args],
    {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    name,
    child,
    output: () => output,
    stop: () =>
      new Promise((resolveExit) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveExit(child.exitCode);
        child.once('exit', (code) => resolveExit(code));
        child.kill('SIGTERM');
      }),
  };
}
export { startS3Server } from './s3-server';
export type { S3TestLocation, S3TestServer } from './s3-server';
export { startSftpServer, SFTP_TEST_USER } from './sftp-server';
export type { SftpServerMode, SftpTestServer } from './sftp-server';
export { findProgram, missingTestTools, provisionTestMachine, TEST_TOOLS } from './test-machine';
export type { Provisioned, TestTool } from './test-machine';
export * from './recording-tracer';
