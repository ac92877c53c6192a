// Helpers for tests that talk to real parts: a unique Redis namespace per test (the shared
// Redis is shared with other tests), temp folders, tenants, and polling with a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTenantsFile, type TenantConfig } from '@callintake/schemas';
import { Cluster, Redis } from 'ioredis';
import { TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL } from './redis-env';

export * from './redis-env';

export function uniqueNamespace(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * Removes every key of a namespace, BullMQ's included (they sit under `<namespace>:bull`), on
 * every master in the cluster pass. `url`: another single Redis than the test Redis.
 */
export async function removeNamespace(namespace: string, url = TEST_REDIS_URL): Promise<void> {
  const cluster = url === TEST_REDIS_URL && TEST_REDIS_CLUSTER_NODES.length > 0;
  const redis = cluster ? new Cluster(TEST_REDIS_CLUSTER_NODES) : new Redis(url);
  try {
    if (redis instanceof Cluster) await new Promise((resolve) => redis.once('ready', resolve));
    for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
        // One UNLINK per key: on a cluster node the keys may sit in different slots.
        if (keys.length) await keys.reduce((pipeline, key) => pipeline.unlink(key), node.pipeline()).exec();
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}

export async function tempDir(label: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `callintake-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The fields the tests' metadata files carry, and what each maps to. */
export const TEST_METADATA_FIELDS = {
  datetime: { to: 'callTime', type: 'datetime' },
  email: { to: 'userId' },
  filename: { to: 'recordingFile' },
  direction: { to: 'direction' },
} as const;

/**
 * Writes `tenants.yaml` in `root` for services a test starts: one tenant (`acme` unless
 * overridden) reading the folder `upload` beside it (its `data/` is created) and archiving into
 * `archive`, with no metadata mapping unless given. Returns the file's path.
 */
export async function writeLocalTenantsFile(
  root: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  await mkdir(join(root, 'upload', 'data'), { recursive: true });
  const file = join(root, 'tenants.yaml');
  const tenant = {
    id: 'acme',
    source: { kind: 'local', root: 'upload' },
    archive: { kind: 'local', root: 'archive' },
    ...overrides,
  };
  // JSON is YAML: the services read it as they read any tenants file.
  await writeFile(file, `${JSON.stringify({ tenants: [tenant] }, null, 2)}\n`);
  return file;
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
        metadata: { fields: TEST_METADATA_FIELDS },
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

/**
 * Starts each app as its own process and waits until `ready` says they are up, failing at once
 * with a service's output when it exits first. On failure they are stopped again.
 */
export async function startServices(
  names: readonly string[],
  env: NodeJS.ProcessEnv,
  ready: { what: string; check: () => Promise<boolean>; timeoutMs: number },
): Promise<ServiceProcess[]> {
  const processes = names.map((name) => spawnService(name, env));
  try {
    await waitFor(
      async () => {
        const dead = processes.find((p) => p.child.exitCode !== null);
        if (dead) throw new Error(`${dead.name} exited: ${dead.output()}`);
        return ready.check();
      },
      { what: ready.what, timeoutMs: ready.timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
  return processes;
}

/** Whether the status API at `baseUrl` answers ready. */
export function statusApiReady(baseUrl: string): () => Promise<boolean> {
  return () =>
    fetch(`${baseUrl}/readyz`)
      .then((response) => response.ok)
      .catch(() => false);
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
export { REDIS_CLUSTER_SLOTS, REDIS_CLUSTER_TOOLS, startRedisCluster } from './redis-cluster';
export type {
  RedisClusterHandle,
  RedisClusterMaster,
  RedisClusterNode,
  ReshardResult,
} from './redis-cluster';
