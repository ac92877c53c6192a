// Stalls count as attempts, and only as attempts: a job whose worker process is killed mid-job
// (SIGKILL, twice) is taken over by the next worker once its lock lapses, and completes on the
// third, instead of failing with "job stalled more than allowable limit" at the second stall
// (BullMQ's default maxStalledCount of 1).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JobProducer, queuePrefix } from '@callintake/queues';
import {
  removeNamespace,
  spawnScript,
  tempDir,
  TEST_REDIS_URL,
  uniqueNamespace,
  waitFor,
  type ServiceProcess,
  testRedisEnv,
  testRedisSettings,
} from '@callintake/testing';

const HOLD_SERVICE = join(import.meta.dirname, '..', 'test', 'hold-service.ts');
const namespace = uniqueNamespace('stalls');
let dir: Awaited<ReturnType<typeof tempDir>>;
let env: NodeJS.ProcessEnv;
let log: string;
let redis: Redis;
let producer: JobProducer;
let queue: Queue;

before(async () => {
  dir = await tempDir('stalls');
  const tenantsFile = join(dir.path, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    'tenants:\n  - id: acme\n    source: { kind: local, root: upload }\n    archive: { kind: local, root: archive }\n',
  );
  log = join(dir.path, 'runs.log');
  env = {
    ...testRedisEnv(),
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    LOG_LEVEL: 'warn',
    JOB_ATTEMPTS: '3',
    JOB_LOCK_MS: '2000',
    HOLD_LOG: log,
  };
  redis = new Redis(TEST_REDIS_URL);
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)), {
    attempts: 3,
    backoffDelayMs: 1_000,
  });
  queue = new Queue('media-probe', {
    connection: redis,
    prefix: queuePrefix(testRedisSettings(namespace))('media-probe'),
  });
});

after(async () => {
  await queue.close();
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await dir.remove();
});

async function runs(): Promise<string[]> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** A worker process that has started the job; killed with SIGKILL mid-job. */
async function killMidJob(label: string): Promise<number> {
  const worker = spawnScript(HOLD_SERVICE, env, [], label);
  const pid = worker.child.pid as number;
  await waitFor(
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`${label} exited: ${worker.output()}`);
      return (await runs()).includes(`start ${pid} slow-1.wav`);
    },
    { what: `${label} to take the job`, timeoutMs: 30_000 },
  );
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGKILL');
  await exited;
  return pid;
}

describe('a job whose worker is killed mid-job', () => {
  it('is taken over after each kill and completes on the third worker, its stalls counted as attempts', async () => {
    await producer.add(
      'probe-recording',
      { tenantId: 'acme', fileName: 'slow-1.wav', versionId: '1-1' },
      { jobId: 'slow-1' },
    );
    const first = await killMidJob('first worker');
    const second = await killMidJob('second worker');
    assert.notEqual(first, second);

    let third: ServiceProcess | undefined;
    try {
      third = spawnScript(HOLD_SERVICE, { ...env, HOLD_MS: '0' }, [], 'third worker');
      const state = await waitFor(
        async () => {
          const current = await (await queue.getJob('slow-1'))?.getState();
          return current === 'completed' || current === 'failed' ? current : undefined;
        },
        { what: 'the job to end', timeoutMs: 30_000 },
      );
      const job = await queue.getJob('slow-1');
      assert.equal(state, 'completed', `the job ${state}: ${job?.failedReason}`);
      assert.ok((await runs()).includes(`done ${third.child.pid} slow-1.wav`));
      assert.equal(job?.stalledCounter, 2);
      assert.deepEqual(
        (await runs()).filter((line) => line.startsWith('start')).map((line) => line.split(' ')[1]),
        [String(first), String(second), String(third.child.pid)],
      );
    } finally {
      await third?.stop();
    }
  });
});
