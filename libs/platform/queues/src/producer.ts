// Enqueues jobs by name; the queue follows from the registry. Deterministic job ids make
// every add idempotent: BullMQ ignores an add whose id already exists. Job data is the payload
// itself; the enqueuer's trace context rides in the job options (job-trace.ts).
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '@callintake/state';
import type { QueuePrefix } from './connection';
import { traceJobOptions } from './job-trace';
import { JOB_QUEUE, type JobData, type JobName, type JobPayloads, type QueueName } from './registry';

/**
 * How often a job is tried (JOB_ATTEMPTS) and how long the first retry waits (JOB_BACKOFF_MS);
 * each later retry waits twice as long as the one before, with jitter. A stall counts as an
 * attempt too (attempts.ts).
 */
export interface JobRetryPolicy {
  attempts: number;
  backoffDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: JobRetryPolicy = { attempts: 8, backoffDelayMs: 1_000 };

/** Completed jobs are kept a day (for inspection), failed ones a fortnight, so nothing fails silently. */
export function defaultJobOptions(policy: JobRetryPolicy = DEFAULT_RETRY_POLICY): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffDelayMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 50_000 },
    removeOnFail: { age: 14 * 24 * 3600 },
  };
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = defaultJobOptions();

/** Downstream queues keep completed jobs longer: consumers may replay them. */
function downstreamJobOptions(policy: JobRetryPolicy): JobsOptions {
  return { ...defaultJobOptions(policy), removeOnComplete: { age: 7 * 24 * 3600 } };
}

export interface AddOptions {
  jobId: string;
  /** 1 is most urgent. Queues that use priorities give every job one (priority 0 jumps ahead). */
  priority?: number;
  delayMs?: number;
  /**
   * Drop the job once completed. For triggers (scan requests) whose id should dedupe only
   * while one is pending: a kept completed job would swallow the next request with its id.
   */
  removeOnComplete?: boolean;
}

export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();

  private readonly prefixOf: QueuePrefix;

  /** `prefix`: one for every queue, or each queue's own (queuePrefix: cluster mode). */
  constructor(
    private readonly connection: RedisClient,
    prefix: string | QueuePrefix,
    private readonly retry: JobRetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    this.prefixOf = typeof prefix === 'string' ? () => prefix : prefix;
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      const downstream = name === 'calls-ready' || name === 'calls-updated';
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefixOf(name),
        defaultJobOptions: downstream ? downstreamJobOptions(this.retry) : defaultJobOptions(this.retry),
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add<J extends JobName>(name: J, payload: JobPayloads[J], options: AddOptions): Promise<void> {
    const data: JobData<J> = payload;
    await this.queue(JOB_QUEUE[name]).add(name, data, {
      jobId: options.jobId,
      ...traceJobOptions(),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.delayMs !== undefined ? { delay: options.delayMs } : {}),
      ...(options.removeOnComplete ? { removeOnComplete: true } : {}),
    });
  }

  /** Adds many jobs of one name in one round trip (batch CSVs yield thousands). */
  async addMany<J extends JobName>(
    name: J,
    jobs: Array<{ payload: JobPayloads[J]; options: AddOptions }>,
  ): Promise<void> {
    if (jobs.length === 0) return;
    const trace = traceJobOptions();
    await this.queue(JOB_QUEUE[name]).addBulk(
      jobs.map(({ payload, options }) => ({
        name,
        data: payload satisfies JobData<J>,
        opts: {
          jobId: options.jobId,
          ...trace,
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
        },
      })),
    );
  }

  /** A repeating job (e.g. a tenant's scan); upserting the same id never duplicates it. */
  async schedule<J extends JobName>(
    schedulerId: string,
    name: J,
    payload: JobPayloads[J],
    everyMs: number,
  ): Promise<void> {
    const data: JobData<J> = payload;
    await this.queue(JOB_QUEUE[name]).upsertJobScheduler(
      schedulerId,
      { every: everyMs },
      { name, data, opts: { removeOnComplete: true } },
    );
  }

  async unschedule(queue: QueueName, schedulerId: string): Promise<void> {
    await this.queue(queue).removeJobScheduler(schedulerId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
