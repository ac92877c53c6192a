// Stalls count as attempts (attempts.ts): a job's failed and stalled runs together are limited
// by its attempts. Stalls are set on the job as BullMQ's stalled check records them (its `stc`
// field); the process tests in libs/runtime kill real workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { RedisClient } from '@callintake/state';
import { silentLogger } from '@callintake/telemetry';
import { removeNamespace, uniqueNamespace, waitFor, testRedisSettings } from '@callintake/testing';
import { attemptNumber, failureOfRun, maxStalledCountFor, outOfAttempts } from './attempts';
import { bullPrefix, workerConnection } from './connection';
import { JobProducer } from './producer';
import { startWorker } from './worker';

const namespace = uniqueNamespace('attempts');
const prefix = bullPrefix({ namespace });
let redis: RedisClient;
let producer: JobProducer;
let queue: Queue;

before(() => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, prefix, { attempts: 3, backoffDelayMs: 1 });
  queue = new Queue('call-match', { connection: redis, prefix });
});
after(async () => {
  await queue.close();
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
});

const counted = (attemptsMade: number, stalledCounter: number, attempts = 3) => ({
  attemptsMade,
  stalledCounter,
  opts: { attempts },
});

describe('the attempt rule', () => {
  it('counts failed and stalled runs against the same attempts', () => {
    assert.equal(maxStalledCountFor(8), 7);
    assert.equal(maxStalledCountFor(1), 0);
    assert.equal(attemptNumber(counted(1, 1)), 3);
    assert.equal(outOfAttempts(counted(1, 1)), undefined);
    assert.match(outOfAttempts(counted(1, 2)) ?? '', /gave up after 3 attempts: 1 failed and 2 stalled/);
    // The last attempt's error fails for good; earlier ones are retried as they are.
    const boom = new Error('boom');
    assert.equal(failureOfRun(counted(0, 1), boom), boom);
    const last = failureOfRun(counted(1, 1), boom) as Error;
    assert.equal(last.name, 'UnrecoverableError');
    assert.equal(last.message, 'boom');
    assert.equal(last.stack, boom.stack);
    // Where BullMQ gives up anyway, the error is left as it is.
    assert.equal(failureOfRun(counted(2, 0), boom), boom);
  });

  it('passes JOB_ATTEMPTS and JOB_BACKOFF_MS to every job it adds', async () => {
    await producer.add('match-recording', { tenantId: 'acme', fileName: 'opts.wav' }, { jobId: 'opts' });
    const job = await queue.getJob('opts');
    assert.equal(job?.opts.attempts, 3);
    assert.deepEqual(job?.opts.backoff, { type: 'exponential', delay: 1, jitter: 0.5 });
    await job?.remove();
  });

  it('fails a job for good when its stalls and failures reach its attempts, with its own error', async () => {
    const ran: string[] = [];
    await producer.add('match-recording', { tenantId: 'acme', fileName: 'a.wav' }, { jobId: 'stalled-once' });
    await producer.add('match-recording', { tenantId: 'acme', fileName: 'b.wav' }, { jobId: 'spent' });
    // As BullMQ's stalled check leaves them: one stall; and one failure plus two stalls.
    await redis.hset(`${prefix}:call-match:stalled-once`, 'stc', 1);
    await redis.hset(`${prefix}:call-match:spent`, 'stc', 2, 'atm', 1);
    const worker = startWorker({
      queue: 'call-match',
      connection: redis,
      prefix,
      logger: silentLogger(),
      attempts: 3,
      handlers: {
        'match-recording': async (payload, context) => {
          ran.push(`${payload.fileName} attempt ${context.attempt}`);
          throw new Error(`boom ${payload.fileName}`);
        },
        'match-metadata': async () => undefined,
        ...otherMatchJobs,
      },
    });
    try {
      await waitFor(
        async () => {
          const states = await Promise.all(['stalled-once', 'spent'].map((id) => queue.getJobState(id)));
          return states.every((state) => state === 'failed');
        },
        { what: 'both jobs to fail for good' },
      );
    } finally {
      await worker.close();
    }
    // 'a.wav' ran twice (its stall was the first of its 3 attempts); 'b.wav' never ran again.
    assert.equal(ran.filter((run) => run.startsWith('a.wav')).length, 2);
    assert.ok(!ran.some((run) => run.startsWith('b.wav')));
    const stalledOnce = await queue.getJob('stalled-once');
    assert.equal(stalledOnce?.failedReason, 'boom a.wav');
    assert.equal(stalledOnce?.attemptsMade, 2);
    const spent = await queue.getJob('spent');
    assert.match(spent?.failedReason ?? '', /gave up after 3 attempts: 1 failed and 2 stalled/);
  });
});

/** The call-match jobs these tests never queue. */
const otherMatchJobs = {
  'pair-by-hand': async () => undefined,
  'refresh-call-crm': async () => undefined,
  'note-rejection': async () => undefined,
};
