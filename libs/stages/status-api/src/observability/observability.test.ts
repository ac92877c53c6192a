// What the status API adds to /metrics and its logs: jobs completed, failed and stalled per queue
// (from the totals our workers keep, exact however many jobs ran between two scrapes, else from
// BullMQ's event streams), process metrics, each tenant's last-upload age, all accepted
// by `promtool check metrics`; and one access-log line per request that never holds a token.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { parseApiTokens } from '@callintake/config';
import {
  jobOutcomeCountKey,
  JobProducer,
  PermanentJobError,
  startWorker,
  workerConnection,
  type RunningWorker,
  queuePrefix,
} from '@callintake/queues';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { createLogger, silentLogger } from '@callintake/telemetry';
import {
  findProgram,
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { buildStatusApi } from '../app';

const namespace = uniqueNamespace('status-observe');
const NOW = new Date('2024-03-12T10:00:00Z');
const TOKEN = 'sre-token-4f1c';
let root: Awaited<ReturnType<typeof tempDir>>;
let redis: RedisClient;
let workerRedis: RedisClient;
let producer: JobProducer;
let app: FastifyInstance;
const logLines: string[] = [];

before(async () => {
  root = await tempDir('status-observe');
  redis = workerConnection(testRedisSettings(namespace));
  workerRedis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)), {
    attempts: 1,
    backoffDelayMs: 5,
  });
  const state = new StateStore(redis, namespace, manualClock(NOW));
  await state.assets.recordVersion('acme', 'a.wav', 'recording', {
    versionId: '1-1',
    sizeBytes: 10,
    modifiedAt: '2024-03-12T09:00:00.000Z',
    location: 'data/a.wav',
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  app = buildStatusApi({
    state,
    producer,
    tokens: parseApiTokens(`${TOKEN}:*`),
    tenants: new Map(['acme', 'quiet'].map((id) => [id, localTenant(root.path, { id })] as const)),
    accessLog: createLogger({ service: 'status-api' }, sink),
  });
  await app.ready();
});
after(async () => {
  await app?.close();
  await producer?.close();
  await workerRedis?.quit();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

async function metricsText(): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  return response.body;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sample = (text: string, series: string) =>
  text
    .split('\n')
    .find((line) => line.startsWith(`${series} `))
    ?.slice(series.length + 1);

describe('job outcomes per queue', () => {
  it('counts jobs completed, failed for good and stalled since the first scrape', async () => {
    // Before the first scrape: not counted (counters start with this process).
    await producer.add('sweep-tenant', { tenantId: 'early' }, { jobId: 'early' });
    let worker: RunningWorker | undefined;
    try {
      worker = startWorker({
        queue: 'retention',
        connection: workerRedis,
        prefix: queuePrefix(testRedisSettings(namespace))('retention'),
        logger: silentLogger(),
        handlers: {
          'sweep-tenant': async ({ tenantId }) => {
            if (tenantId === 'broken') throw new PermanentJobError('no such tenant');
          },
        },
      });
      const queue = producer.queue('retention');
      const settled = async (completed: number, failed: number) => {
        for (let i = 0; i < 200; i += 1) {
          const counts = await queue.getJobCounts('completed', 'failed');
          if (counts['completed'] === completed && counts['failed'] === failed) return;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        assert.fail('jobs did not finish');
      };
      await settled(1, 0);
      const first = await metricsText();
      assert.equal(sample(first, 'callintake_queue_jobs_completed_total{queue="retention"}'), '0');

      await producer.add('sweep-tenant', { tenantId: 'acme' }, { jobId: 'ok-1' });
      await producer.add('sweep-tenant', { tenantId: 'acme' }, { jobId: 'ok-2' });
      await producer.add('sweep-tenant', { tenantId: 'broken' }, { jobId: 'bad' });
      await settled(3, 1);
      const text = await metricsText();
      assert.equal(sample(text, 'callintake_queue_jobs_completed_total{queue="retention"}'), '2');
      assert.equal(sample(text, 'callintake_queue_jobs_failed_total{queue="retention"}'), '1');
      assert.equal(sample(text, 'callintake_queue_jobs_stalled_total{queue="retention"}'), '0');
      assert.equal(sample(text, 'callintake_queue_jobs_completed_total{queue="call-match"}'), '0');
      // Read once: the next scrape counts nothing twice.
      const again = await metricsText();
      assert.equal(sample(again, 'callintake_queue_jobs_completed_total{queue="retention"}'), '2');
    } finally {
      await worker?.close();
    }
  });
});

describe('job outcomes when the event stream is trimmed between scrapes', () => {
  const JOBS = 300;
  const BROKEN = 50;

  it('counts every job completed, failed and stalled, however many ran between two scrapes', async () => {
    const prefix = queuePrefix(testRedisSettings(namespace))('intake-scan');
    const queue = producer.queue('intake-scan');
    await queue.getVersion();
    // The queue's event stream keeps about 20 entries (and what one radix node holds over that),
    // where BullMQ's default is 10 000: what a busy queue does between two scrapes, made small.
    const small = new Queue('intake-scan', {
      connection: redis,
      prefix,
      streams: { events: { maxLen: 20 } },
    });
    await small.getVersion();
    await small.close();
    assert.equal(await redis.hget(queue.keys['meta'] as string, 'opts.maxLenEvents'), '20');

    // A run that stalls: taken by a worker that then never renews its lock, as when it is killed.
    await producer.add('scan-source', { tenantId: 'stalls' }, { jobId: 'stalls' });
    const dying = new Worker('intake-scan', null, {
      connection: workerConnection(testRedisSettings(namespace)),
      prefix,
      autorun: false,
      lockDuration: 1_000,
    });
    const taken = await dying.getNextJob('dying-worker-token');
    assert.equal(taken?.id, 'stalls');

    let worker: RunningWorker | undefined;
    try {
      worker = startWorker({
        queue: 'intake-scan',
        connection: workerRedis,
        prefix,
        logger: silentLogger(),
        lockDurationMs: 1_000,
        concurrency: 20,
        handlers: {
          'scan-source': async ({ tenantId }) => {
            if (tenantId === 'broken') throw new PermanentJobError('no such tenant');
          },
        },
      });
      const stalledKey = jobOutcomeCountKey(queue, 'stalled');
      await eventually(
        async () => (await redis.hget(stalledKey, 'count')) !== null,
        'the worker keeps totals',
      );
      const events = queue.toKey('events');
      const [before] = await redis.xrevrange(events, '+', '-', 'COUNT', 1);
      await metricsText();

      await producer.addMany(
        'scan-source',
        Array.from({ length: JOBS }, (_, index) => ({
          payload: { tenantId: index < BROKEN ? 'broken' : 'acme' },
          options: { jobId: `job-${index}` },
        })),
      );
      // The stalled run used the job's one attempt (the producer's policy here): it fails for good.
      const [completed, failed] = [JOBS - BROKEN, BROKEN + 1];
      await eventually(async () => {
        const counts = await queue.getJobCounts('completed', 'failed');
        return counts['completed'] === completed && counts['failed'] === failed;
      }, 'every job ran, the stalled one again');
      await eventually(async () => (await redis.hget(stalledKey, 'count')) === '1', 'the stall was counted');

      // The stream no longer holds what happened since the last scrape, the stall included.
      assert.ok((await redis.xlen(events)) < JOBS, `the stream kept ${await redis.xlen(events)} entries`);
      const [oldest] = await redis.xrange(events, '-', '+', 'COUNT', 1);
      const millis = (entry: [string, string[]] | undefined) => Number(entry?.[0].split('-')[0]);
      assert.ok(millis(oldest) > millis(before), 'entries added after the last scrape were trimmed');

      const text = await metricsText();
      const series = (outcome: string) => `callintake_queue_jobs_${outcome}_total{queue="intake-scan"}`;
      assert.equal(sample(text, series('completed')), String(completed));
      assert.equal(sample(text, series('failed')), String(failed));
      assert.equal(sample(text, series('stalled')), '1');
    } finally {
      await worker?.close();
      await dying.close();
      await dying.disconnect();
    }
  });

  it('counts from the event stream a queue that no worker of ours keeps totals for', async () => {
    // calls-ready is worked by downstream consumers: their workers write the stream.
    const events = producer.queue('calls-ready').toKey('events');
    await metricsText();
    for (const jobId of ['t/c1', 't/c2', 't/c3'])
      await redis.xadd(events, '*', 'event', 'completed', 'jobId', jobId, 'returnvalue', 'null');
    await redis.xadd(events, '*', 'event', 'failed', 'jobId', 't/c4', 'failedReason', 'bad');
    const text = await metricsText();
    assert.equal(sample(text, 'callintake_queue_jobs_completed_total{queue="calls-ready"}'), '3');
    assert.equal(sample(text, 'callintake_queue_jobs_failed_total{queue="calls-ready"}'), '1');
  });
});

describe('process metrics and last-upload age', () => {
  it('exports heap, RSS, event-loop lag, GC and CPU under the usual names', async () => {
    global.gc?.();
    const text = await metricsText();
    for (const series of [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_user_seconds_total',
      'process_start_time_seconds',
    ]) {
      const value = Number(sample(text, series));
      assert.ok(Number.isFinite(value) && value >= 0, `${series}: ${sample(text, series)}`);
    }
    assert.ok(Number(sample(text, 'process_resident_memory_bytes')) > 10_000_000);
    assert.match(text, /# TYPE nodejs_gc_duration_seconds histogram/);
  });

  it('exports each tenant’s last-upload age, none before a first upload', async () => {
    const text = await metricsText();
    // a.wav was first seen at NOW (the state clock): age 0.
    assert.equal(sample(text, 'callintake_tenant_last_upload_age_seconds{tenant="acme"}'), '0');
    assert.ok(!text.includes('callintake_tenant_last_upload_age_seconds{tenant="quiet"}'));
  });

  it('passes promtool check metrics, the whole /metrics text', async () => {
    const promtool = await findProgram('promtool');
    assert.ok(promtool, 'promtool is missing: npm test installs it (Debian package prometheus)');
    const text = await metricsText();
    const checked = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  });
});

describe('access log', () => {
  it('logs method, route, status and duration per request, never a token or query', async () => {
    logLines.length = 0;
    await app.inject({ method: 'GET', url: `/console?token=${TOKEN}` });
    await app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/files?limit=5',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/files',
      headers: { authorization: 'Bearer wrong-token' },
    });
    await app.inject({ method: 'GET', url: `/nothing/here?token=${TOKEN}` });
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      entries.map(({ method, route, status }) => ({ method, route, status })),
      [
        { method: 'GET', route: '/console', status: 200 },
        { method: 'GET', route: '/v1/tenants/:tenant/files', status: 200 },
        { method: 'GET', route: '/v1/tenants/:tenant/files', status: 401 },
        { method: 'GET', route: '(no route)', status: 404 },
      ],
    );
    for (const entry of entries) assert.equal(typeof entry['durationMs'], 'number');
    const all = logLines.join('\n');
    assert.ok(!all.includes(TOKEN) && !all.includes('wrong-token') && !all.includes('limit=5'), all);
  });
});
