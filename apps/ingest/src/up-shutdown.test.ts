// `ingest up` keeps SHUTDOWN_DEADLINE_MS like every app: every service in one process stops
// against one deadline, and the process exits within it + 1 s even while Redis is frozen.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { freePort, startPrivateRedis, type RedisEndpoint } from '@callintake/runtime';
import {
  spawnService,
  tempDir,
  waitFor,
  writeLocalTenantsFile,
  type ServiceProcess,
} from '@callintake/testing';

const DEADLINE_MS = 2_000;
let dir: Awaited<ReturnType<typeof tempDir>>;
let tenantsFile: string;
let redis: RedisEndpoint;

before(async () => {
  [dir, redis] = await Promise.all([tempDir('up-shutdown'), startPrivateRedis()]);
  tenantsFile = await writeLocalTenantsFile(dir.path);
});

after(async () => {
  await redis.stop?.();
  await dir.remove();
});

async function startUp(namespace: string): Promise<ServiceProcess> {
  const up = spawnService(
    'ingest',
    {
      REDIS_URL: redis.url,
      REDIS_NAMESPACE: namespace,
      STATUS_PORT: String(await freePort()),
      STATUS_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS),
      OTEL_TRACES_EXPORTER: 'none',
    },
    ['up', '--tenants', tenantsFile],
  );
  await waitFor(
    async () => {
      if (up.child.exitCode !== null) throw new Error(`ingest up exited: ${up.output()}`);
      return up.output().includes('"msg":"all services running"');
    },
    { what: 'ingest up to start', timeoutMs: 30_000 },
  );
  return up;
}

async function sigterm(service: ServiceProcess): Promise<{ ms: number; code: number | null }> {
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', resolve));
  const sent = performance.now();
  service.child.kill('SIGTERM');
  const code = await exited;
  return { ms: Math.round(performance.now() - sent), code };
}

describe('ingest up on SIGTERM', () => {
  it('stops cleanly while Redis answers', async (t) => {
    const up = await startUp('up-clean');
    const { ms, code } = await sigterm(up);
    t.diagnostic(`exited ${ms} ms after SIGTERM (deadline ${DEADLINE_MS} ms), code ${code}`);
    assert.equal(code, 0, up.output());
    assert.ok(ms <= DEADLINE_MS + 1_000, `exited ${ms} ms after SIGTERM`);
  });

  it('exits within the deadline + 1 s while Redis is frozen', async (t) => {
    const up = await startUp('up-frozen');
    const pid = redis.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      const { ms, code } = await sigterm(up);
      t.diagnostic(`exited ${ms} ms after SIGTERM (deadline ${DEADLINE_MS} ms), code ${code}`);
      assert.ok(ms <= DEADLINE_MS + 1_000, `exited ${ms} ms after SIGTERM: ${up.output()}`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
