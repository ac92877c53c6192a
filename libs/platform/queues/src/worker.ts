// The one way a service consumes a queue. Handlers are plain functions keyed by job name;
// startup refuses a queue whose job names lack a handler or have unknown ones. Handlers throw
// to fail: transient faults retry with exponential backoff and jitter; input that can never
// succeed is marked unrecoverable so it fails at once and stays visible in the failed set.
import { DelayedError, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { withSpan, type Logger } from '@callintake/telemetry';
import { isLegacyEnvelope, traceCarrierOf } from './job-trace';
import {
  jobNamesOf,
  type JobData,
  type JobName,
  type JobPayloads,
  type JobsOf,
  type QueueName,
} from './registry';

export interface JobContext {
  jobId: string;
  attempt: number;
  logger: Logger;
}

export type JobHandler<J extends JobName> = (payload: JobPayloads[J], context: JobContext) => Promise<void>;
export type QueueHandlers<Q extends QueueName> = { [J in JobsOf<Q>]: JobHandler<J> };

/**
 * Thrown by handlers whose input is fine but not ready yet (a CRM batch seen earlier is still
 * being ingested): the job waits and runs again, without using one of its attempts.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** Thrown by handlers for jobs that retrying cannot fix (unknown tenant, malformed payload). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export interface WorkerOptions<Q extends QueueName> {
  queue: Q;
  handlers: QueueHandlers<Q>;
  connection: Redis;
  prefix: string;
  logger: Logger;
  concurrency?: number;
  /** How long close() lets active jobs finish before forcing; keep below the pod's grace period. */
  shutdownDeadlineMs?: number;
  /** Seconds a job may run before its lock lapses and another worker may take it. */
  lockDurationMs?: number;
}

export interface RunningWorker {
  readonly queue: QueueName;
  readonly worker: Worker;
  /** Milliseconds since the epoch of the last finished job or idle poll; for liveness. */
  lastProgressAt(): number;
  close(): Promise<void>;
}

export function assertHandlers(queue: QueueName, handlers: Record<string, unknown>): void {
  const expected = new Set<string>(jobNamesOf(queue));
  const given = Object.keys(handlers);
  const missing = [...expected].filter((name) => typeof handlers[name] !== 'function');
  const unknown = given.filter((name) => !expected.has(name));
  if (missing.length || unknown.length) {
    throw new Error(
      `queue ${queue}: ${missing.length ? `no handler for ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `handlers for jobs not on this queue: ${unknown.join(', ')}` : ''}`,
    );
  }
}

export function startWorker<Q extends QueueName>(options: WorkerOptions<Q>): RunningWorker {
  const { queue, handlers, logger } = options;
  assertHandlers(queue, handlers as Record<string, unknown>);
  let lastProgress = Date.now();

  const processor = async (job: Job<JobData<JobName>>, token?: string) => {
    const handler = (handlers as unknown as Record<string, JobHandler<JobName> | undefined>)[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on ${queue}`);
    // Jobs queued before an upgrade may still hold the old { payload, trace } layout.
    const legacy = isLegacyEnvelope(job.data) ? job.data : undefined;
    const payload = (legacy ? legacy.payload : job.data) as JobData<JobName> | undefined | null;
    if (payload === undefined || payload === null)
      throw new UnrecoverableError(`job ${job.id} has no payload`);
    const jobLogger = logger.child({ queue, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
    return withSpan(
      `${queue} ${job.name}`,
      {
        'messaging.system': 'bullmq',
        'messaging.destination.name': queue,
        'messaging.message.id': job.id ?? '',
      },
      async () => {
        try {
          await handler(payload, { jobId: job.id ?? '', attempt: job.attemptsMade + 1, logger: jobLogger });
        } catch (error) {
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          if (error instanceof RetryLaterError) {
            jobLogger.debug({ delayMs: error.delayMs, why: error.message }, 'job waits');
            await job.moveToDelayed(Date.now() + error.delayMs, token);
            throw new DelayedError();
          }
          jobLogger.warn({ err: error }, 'job failed; it will be retried if attempts remain');
          throw error;
        }
      },
      traceCarrierOf(job) ?? legacy?.trace,
    );
  };

  const worker = new Worker(queue, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDurationMs ?? 60_000,
    autorun: true,
  });
  worker.on('completed', () => (lastProgress = Date.now()));
  worker.on('failed', (job, error) => {
    lastProgress = Date.now();
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      logger.error(
        { queue, job: job.name, jobId: job.id, err: error },
        'job failed for good; kept in the failed set',
      );
    }
  });
  worker.on('drained', () => (lastProgress = Date.now()));
  // A worker without an error listener crashes the process on connection blips.
  worker.on('error', (error) => logger.error({ queue, err: error }, 'worker error'));

  const deadlineMs = options.shutdownDeadlineMs ?? 25_000;
  return {
    queue,
    worker,
    lastProgressAt: () => lastProgress,
    async close() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>(
        (resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)),
      );
      const outcome = await Promise.race([worker.close().then(() => 'closed' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        logger.warn(
          { queue, deadlineMs },
          'active jobs did not finish before the deadline; forcing close (they will be retried)',
        );
        await worker.close(true);
      }
    },
  };
}
