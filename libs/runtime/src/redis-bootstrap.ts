// CONTRACT: when REDIS_URL is unset and nothing answers at the default address, `demo` and
// `up` start a private redis-server from PATH on a free port and stop it at exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '@callintake/config';

export interface RedisEndpoint {
  url: string;
  /** Set when we started the server; stops it and removes its folder. */
  stop?: () => Promise<void>;
  /** The server's process id, when we started it. */
  pid?: number;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A redis-server on a free loopback port, in a temporary folder, without persistence. It runs in
 * its own process group, so a Ctrl-C meant for us does not stop it before our services have
 * drained; it is stopped by `stop()`, or when this process exits. `extraArgs` go last, so they
 * win (tests start one with another maxmemory-policy).
 */
export async function startPrivateRedis(
  binary = 'redis-server',
  options: { extraArgs?: string[] } = {},
): Promise<RedisEndpoint> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'callintake-redis-'));
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxmemory-policy',
      'noeviction',
      ...(options.extraArgs ?? []),
    ],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const failed = await Promise.race([
      spawnError,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 100)),
    ]);
    if (failed) {
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
      throw new RedisUnavailableError(
        `no Redis at ${DEFAULT_REDIS_URL} and "${binary}" could not be started (${failed.message}). Install Redis (apt-get install redis-server, brew install redis) or set REDIS_URL.`,
      );
    }
    if (await redisAnswers(url, 500)) {
      return {
        url,
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            await exited;
          }
          process.off('exit', killOnExit);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  }
  child.kill('SIGKILL');
  process.off('exit', killOnExit);
  await rm(dir, { recursive: true, force: true });
  throw new RedisUnavailableError(`started ${binary} on port ${port} but it did not answer within 10 s`);
}

/**
 * REDIS_URL if given; else the default address if it answers; else a private server. With
 * REDIS_CLUSTER_NODES the cluster is used as given (REDIS_URL then only carries credentials).
 */
export async function ensureRedis(
  env: NodeJS.ProcessEnv = process.env,
  defaultUrl = DEFAULT_REDIS_URL,
): Promise<RedisEndpoint> {
  if (env['REDIS_URL']) return { url: env['REDIS_URL'] };
  if (env['REDIS_CLUSTER_NODES']) return { url: defaultUrl };
  if (await redisAnswers(defaultUrl)) return { url: defaultUrl };
  return startPrivateRedis(env['REDIS_SERVER_BIN'] ?? 'redis-server');
}
