// SIGTERM keeps SHUTDOWN_DEADLINE_MS: service processes (the production main, runServiceMain)
// exit within the deadline + 1 s whatever their jobs or Redis do. What can finish by the
// deadline does; a job still running is left active and another worker completes it once its
// lock lapses (stall recovery). Small deadlines keep the tests short; the only timed assertions
// are these bounds.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, JobProducer, queuePrefix } from '@callintake/queues';
import {
  removeNamespace,
  spawnScript,
  spawnService,
  tempDir,
  TEST_REDIS_URL,
  uniqueNamespace,
  waitFor,
  type ServiceProcess,
  testRedisSettings,
} from '@callintake/testing';
import { startPrivateRedis } from './redis-bootstrap';

const HOLD_SERVICE = join(import.meta.dirname, '..', 'test', 'hold-service.ts');
const DEADLINE_MS = 2_000;
const BOUND_MS = DEADLINE_MS + 1_000;

let dir: Awaited<ReturnType<typeof tempDir>>;
let tenantsFile: string;
const namespaces: string[] = [];

before(async () => {
  dir = await tempDir('shutdown');
  tenantsFile = join(dir.path, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    'tenants:\n  - id: acme\n    source: { kind: local, root: upload }\n    archive: { kind: local, root: archive }\n',
  );
});

after(async () => {
  for (const namespace of namespaces) await removeNamespace(namespace);
  await dir.remove();
});

function serviceEnv(redisUrl: string, namespace: string, extra: Record<string, string> = {}) {
  return {
    REDIS_URL: redisUrl,
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    LOG_LEVEL: 'info',
    SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS),
    JOB_LOCK_MS: '2000',
    HEALTH_PORT: '0',
    ...extra,
  };
}

async function started(service: ServiceProcess): Promise<void> {
  await waitFor(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`${service.name} exited: ${service.output()}`);
      return service.output().includes('"msg":"started"');
    },
    { what: `${service.name} to start`, timeoutMs: 30_000 },
  );
}

/** SIGTERM, then the milliseconds until the process exited, and its exit code. */
async function sigterm(service: ServiceProcess): Promise<{ ms: number; code: number | null }> {
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', resolve));
  const sent = performance.now();
  service.child.kill('SIGTERM');
  const code = await exited;
  return { ms: Math.round(performance.now() - sent), code };
}

async function runs(logPath: string): Promise<string[]> {
  return (await readFile(logPath, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

const probe = (fileName: string) => ({ tenantId: 'acme', fileName, versionId: '1-1' });

describe('SIGTERM keeps SHUTDOWN_DEADLINE_MS', () => {
  it('lets a short job finish, leaves a longer one to another worker, and exits within the deadline + 1 s', async (t) => {
    const namespace = uniqueNamespace('shutdown-slow');
    namespaces.push(namespace);
    const log = join(dir.path, `${namespace}.log`);
    const redis = new Redis(TEST_REDIS_URL);
    const producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
    const queue = new Queue('media-probe', {
      connection: redis,
      prefix: queuePrefix(testRedisSettings(namespace))('media-probe'),
    });
    const env = serviceEnv(TEST_REDIS_URL, namespace, { HOLD_LOG: log, QUICK_MS: '1000' });
    let second: ServiceProcess | undefined;
    try {
      const first = spawnScript(HOLD_SERVICE, env, [], 'first worker');
      await started(first);
      await producer.add('probe-recording', probe('slow-1.wav'), { jobId: 'slow-1' });
      await producer.add('probe-recording', probe('quick-1.wav'), { jobId: 'quick-1' });
      const pid = first.child.pid;
      await waitFor(
        async () => {
          const lines = await runs(log);
          return lines.includes(`start ${pid} slow-1.wav`) && lines.includes(`start ${pid} quick-1.wav`);
        },
        { what: 'both jobs running in the first worker' },
      );

      const { ms, code } = await sigterm(first);
      t.diagnostic(`exited ${ms} ms after SIGTERM (deadline ${DEADLINE_MS} ms), code ${code}`);
      assert.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM: more than the deadline + 1 s`);
      assert.equal(code, 0, first.output());
      assert.ok((await runs(log)).includes(`done ${pid} quick-1.wav`), 'the short job finished');
      assert.equal(await (await queue.getJob('quick-1'))?.getState(), 'completed');
      assert.ok(!(await runs(log)).includes(`done ${pid} slow-1.wav`));
      assert.equal(await (await queue.getJob('slow-1'))?.getState(), 'active');
      assert.match(first.output(), /"leftActive":\["slow-1"\]/);

      second = spawnScript(HOLD_SERVICE, { ...env, HOLD_MS: '0' }, [], 'second worker');
      await waitFor(async () => (await (await queue.getJob('slow-1'))?.getState()) === 'completed', {
        what: 'another worker to complete the job left active',
        timeoutMs: 30_000,
      });
      assert.ok((await runs(log)).includes(`done ${second.child.pid} slow-1.wav`));
      const job = await queue.getJob('slow-1');
      // One stall (the run left at the deadline), then the run that completed (BullMQ counts it).
      assert.equal(job?.stalledCounter, 1);
      assert.equal(job?.attemptsMade, 1);
    } finally {
      await second?.stop();
      await queue.close();
      await producer.close();
      await redis.quit();
    }
  });

  it('exits within the deadline + 1 s with a job running while its Redis is frozen', async (t) => {
    const redisServer = await startPrivateRedis();
    const pid = redisServer.pid as number;
    const log = join(dir.path, 'frozen.log');
    const redis = new Redis(redisServer.url);
    const producer = new JobProducer(redis, bullPrefix({ namespace: 'frozen' }));
    let frozen = false;
    try {
      const service = spawnScript(
        HOLD_SERVICE,
        serviceEnv(redisServer.url, 'frozen', { HOLD_LOG: log }),
        [],
        'worker',
      );
      await started(service);
      await producer.add('probe-recording', probe('slow-1.wav'), { jobId: 'slow-1' });
      await waitFor(async () => (await runs(log)).includes(`start ${service.child.pid} slow-1.wav`), {
        what: 'the job to run',
      });
      // Stopped, not dead: connections stay open and nothing answers, so `quit` never returns.
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const { ms, code } = await sigterm(service);
      t.diagnostic(`exited ${ms} ms after SIGTERM (deadline ${DEADLINE_MS} ms), code ${code}`);
      assert.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM: more than the deadline + 1 s`);
      assert.match(service.output(), /"leftActive":\["slow-1"\]/);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      redis.disconnect();
      await redisServer.stop?.();
    }
  });

  it('exits within the deadline + 1 s when its Redis is gone (an app, idle)', async (t) => {
    const redisServer = await startPrivateRedis();
    try {
      const service = spawnService('matcher', serviceEnv(redisServer.url, 'gone'));
      await started(service);
      process.kill(redisServer.pid as number, 'SIGKILL');
      await waitFor(async () => service.output().includes('Redis connection error'), {
        what: 'the service to lose Redis',
      });
      const { ms, code } = await sigterm(service);
      t.diagnostic(`exited ${ms} ms after SIGTERM (deadline ${DEADLINE_MS} ms), code ${code}`);
      assert.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM: more than the deadline + 1 s`);
    } finally {
      await redisServer.stop?.();
    }
  });
});
