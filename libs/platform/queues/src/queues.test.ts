import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisClient } from '@callintake/state';
import {
  removeNamespace,
  startRecordingTracer,
  uniqueNamespace,
  waitFor,
  testRedisSettings,
} from '@callintake/testing';
import { silentLogger, withSpan } from '@callintake/telemetry';
import { bullPrefix, queuePrefix, workerConnection } from './connection';
import { JobProducer } from './producer';
import { traceCarrierOf } from './job-trace';
import { jobId, JOB_QUEUE, QUEUE_NAMES } from './registry';
import { assertHandlers, PermanentJobError, startWorker } from './worker';

const namespace = uniqueNamespace('queues');
let redis: RedisClient;
let producer: JobProducer;

before(() => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
});
after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
});

describe('registry', () => {
  it('maps every job to a declared queue, and every worker queue has jobs', () => {
    for (const queue of Object.values(JOB_QUEUE)) assert.ok(QUEUE_NAMES.includes(queue));
    for (const queue of QUEUE_NAMES)
      assert.ok(Object.values(JOB_QUEUE).includes(queue as never), `${queue} has no job`);
  });

  it('makes job ids BullMQ accepts, for any file name', () => {
    assert.equal(jobId('acme', 'a:b%c.wav', '1-2'), 'acme/a%3Ab%25c.wav/1-2');
  });

  it('refuses a handler set with a missing or foreign job', () => {
    assert.throws(
      () => assertHandlers('call-match', { 'match-recording': () => undefined }),
      /no handler for match-metadata/,
    );
    assert.throws(
      () =>
        assertHandlers('media-probe', {
          'probe-recording': () => undefined,
          'parse-metadata': () => undefined,
        }),
      /handlers for jobs not on this queue: parse-metadata/,
    );
  });
});

describe('worker', () => {
  it('delivers typed payloads once per job id, retries transient failures and fails permanent ones at once', async () => {
    const seen: string[] = [];
    let attempts = 0;
    const worker = startWorker({
      queue: 'call-match',
      connection: redis,
      prefix: bullPrefix({ namespace }),
      logger: silentLogger(),
      handlers: {
        'match-recording': async (payload) => {
          if (payload.fileName === 'flaky.wav' && ++attempts < 2) throw new Error('transient');
          seen.push(payload.fileName);
        },
        'match-metadata': async () => {
          throw new PermanentJobError('never works');
        },
        ...otherMatchJobs,
      },
    });
    try {
      await producer.add('match-recording', { tenantId: 'acme', fileName: 'a.wav' }, { jobId: 'a' });
      await producer.add('match-recording', { tenantId: 'acme', fileName: 'a.wav' }, { jobId: 'a' });
      const queue = producer.queue('call-match');
      const flaky = await queue.add(
        'match-recording',
        { tenantId: 'acme', fileName: 'flaky.wav' },
        { jobId: 'flaky', attempts: 3, backoff: { type: 'fixed', delay: 10 } },
      );
      // A job queued before job data became the bare payload is still handled.
      await queue.add(
        'match-recording',
        { payload: { tenantId: 'acme', fileName: 'legacy.wav' }, trace: {} },
        { jobId: 'legacy' },
      );
      await producer.add('match-metadata', { tenantId: 'acme', recordId: 'm' }, { jobId: 'm' });
      await waitFor(
        async () => seen.includes('flaky.wav') && seen.includes('a.wav') && seen.includes('legacy.wav'),
        { what: 'every recording handled' },
      );
      const failed = await waitFor(async () => (await queue.getFailed()).find((job) => job.id === 'm'), {
        what: 'permanent failure',
      });
      assert.equal(failed.attemptsMade, 1, 'a permanent error is not retried');
      assert.deepEqual(seen.filter((name) => name === 'a.wav').length, 1, 'the same job id runs once');
      // One failed attempt, then the one that succeeded.
      assert.equal((await queue.getJob(flaky.id as string))?.attemptsMade, 2);
    } finally {
      await worker.close();
    }
  });
});

describe('trace context', () => {
  it('rides in the job options as a W3C carrier, leaving the job data the bare payload', async () => {
    const tracer = startRecordingTracer();
    const handled: string[] = [];
    const worker = startWorker({
      queue: 'call-match',
      connection: redis,
      prefix: bullPrefix({ namespace }),
      logger: silentLogger(),
      handlers: {
        'match-recording': async (payload) => void handled.push(payload.fileName),
        'match-metadata': async () => undefined,
        ...otherMatchJobs,
      },
    });
    try {
      const payload = { tenantId: 'acme', fileName: 'traced.wav' };
      const enqueuer = await withSpan('enqueue', {}, async (span) => {
        await producer.add('match-recording', payload, { jobId: 'traced' });
        return span.spanContext();
      });
      await waitFor(async () => handled.includes('traced.wav'), { what: 'the traced job handled' });
      const job = await producer.queue('call-match').getJob('traced');
      assert.ok(job);
      assert.deepEqual(job.data, payload);
      assert.equal(typeof job.opts.telemetry?.metadata, 'string');
      assert.deepEqual(traceCarrierOf(job), {
        traceparent: `00-${enqueuer.traceId}-${enqueuer.spanId}-01`,
      });
      const consumed = await waitFor(
        async () => tracer.spans().find((span) => span.name === 'call-match match-recording'),
        { what: "the worker's span" },
      );
      assert.equal(consumed.traceId, enqueuer.traceId);
      assert.equal(consumed.parentSpanId, enqueuer.spanId, 'the worker continues the enqueuer');
    } finally {
      await worker.close();
      tracer.stop();
    }
  });

  it('is left out while no SDK records spans, and unreadable metadata is ignored', async () => {
    await producer.add('match-metadata', { tenantId: 'acme', recordId: 'untraced' }, { jobId: 'untraced' });
    const job = await producer.queue('call-match').getJob('untraced');
    assert.ok(job);
    assert.equal(job.opts.telemetry, undefined);
    assert.equal(traceCarrierOf(job), undefined);
    assert.equal(traceCarrierOf({ opts: { telemetry: { metadata: 'not json' } } }), undefined);
  });
});

describe('worker failure reports', () => {
  it('tells the stage of every failed attempt, final only on the last or a permanent error', async () => {
    const quick = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)), {
      attempts: 3,
      backoffDelayMs: 5,
    });
    const reports: Array<{
      payload: unknown;
      attempt: number;
      attempts: number;
      final: boolean;
      message: string;
    }> = [];
    const worker = startWorker({
      queue: 'metadata-parse',
      connection: redis,
      prefix: bullPrefix({ namespace }),
      logger: silentLogger(),
      attempts: 3,
      handlers: {
        'parse-metadata': async (payload) => {
          if (payload.fileName === 'permanent.json') throw new PermanentJobError('unknown tenant');
          throw new Error(`disk on fire at /srv/archive/${payload.tenantId}`);
        },
      },
      onFailure: async (failure) => {
        reports.push({
          payload: failure.payload,
          attempt: failure.attempt,
          attempts: failure.attempts,
          final: failure.final,
          message: failure.error instanceof Error ? failure.error.message : String(failure.error),
        });
      },
    });
    try {
      const transient = { tenantId: 'acme', fileName: 'transient.json', versionId: '1-1' };
      const permanent = { tenantId: 'acme', fileName: 'permanent.json', versionId: '1-1' };
      await quick.add('parse-metadata', transient, { jobId: 'reports-transient', priority: 2 });
      await quick.add('parse-metadata', permanent, { jobId: 'reports-permanent', priority: 2 });
      await waitFor(
        async () => {
          const finals = reports.filter((report) => report.final);
          return (
            new Set(finals.map((report) => (report.payload as { fileName: string }).fileName)).size === 2
          );
        },
        { what: 'both jobs to fail for good', timeoutMs: 15_000 },
      );
      const of = (fileName: string) =>
        reports
          .filter((report) => (report.payload as { fileName: string }).fileName === fileName)
          .map(({ attempt, attempts, final }) => ({ attempt, attempts, final }));
      // The processor reports each attempt; BullMQ's failed event repeats the final one.
      assert.deepEqual(of('transient.json').slice(0, 3), [
        { attempt: 1, attempts: 3, final: false },
        { attempt: 2, attempts: 3, final: false },
        { attempt: 3, attempts: 3, final: true },
      ]);
      assert.ok(
        of('transient.json')
          .slice(3)
          .every((report) => report.final && report.attempt === 3),
      );
      assert.deepEqual(of('permanent.json')[0], { attempt: 1, attempts: 3, final: true });
    } finally {
      await worker.close();
      await quick.close();
    }
  });
});

/** The call-match jobs these tests never queue. */
const otherMatchJobs = {
  'pair-by-hand': async () => undefined,
  'refresh-call-crm': async () => undefined,
  'note-rejection': async () => undefined,
};
