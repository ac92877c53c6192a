// The one way a service consumes a queue. Handlers are plain functions keyed by job name;
// startup refuses a queue whose job names lack a handler or have unknown ones. Handlers throw
// to fail: transient faults retry with exponential backoff and jitter; input that can never
// succeed is marked unrecoverable so it fails at once and stays visible in the failed set.
import { DelayedError, Job, Worker, UnrecoverableError } from 'bullmq';
import type { RedisClient } from '@callintake/state';
import { withSpan, type Logger } from '@callintake/telemetry';
import {
  attemptNumber,
  attemptsOf,
  attemptsUsed,
  failureOfRun,
  maxStalledCountFor,
  outOfAttempts,
} from './attempts';
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

/** A failed attempt of a job, for the stage to record where people look (the file's state). */
export interface JobFailureReport {
  name: JobName;
  payload: unknown;
  /** Attempts made so far, this one included. */
  attempt: number;
  attempts: number;
  /** No attempt left (or a permanent error, or stalled too often): it ends here. */
  final: boolean;
  error: unknown;
}

export type JobFailureHook = (failure: JobFailureReport) => Promise<void>;

export interface WorkerOptions<Q extends QueueName> {
  queue: Q;
  handlers: QueueHandlers<Q>;
  /**
   * Told of every failed attempt: from the processor before BullMQ records it, and again from
   * BullMQ's failed event for a final failure (a job that stalled too often never reaches the
   * processor). It must be idempotent; its own errors are logged, never the job's outcome.
   */
  onFailure?: JobFailureHook;
  connection: RedisClient;
  /** This queue's prefix (queuePrefix(settings)(queue)). */
  prefix: string;
  logger: Logger;
  concurrency?: number;
  /**
   * How long close() lets active jobs finish when given no deadline; jobs still running then
   * are left to stall recovery. Keep below the pod's grace period.
   */
  shutdownDeadlineMs?: number;
  /**
   * How long a job's lock lasts unless renewed (every half of it): after a worker dies or is
   * stopped mid-job, another worker takes the job over within about 1.5 times this.
   */
  lockDurationMs?: number;
  /** JOB_ATTEMPTS: stalls count against the same attempts as errors (attempts.ts). */
  attempts?: number;
}

export interface RunningWorker {
  readonly queue: QueueName;
  readonly worker: Worker;
  /** Milliseconds since the epoch of the last finished job or idle poll; for liveness. */
  lastProgressAt(): number;
  /** Ids of the jobs this worker is running now. */
  activeJobs(): string[];
  /**
   * Stops taking jobs and lets active ones finish until `deadlineAt` (epoch ms; default now +
   * shutdownDeadlineMs). Returns by then whatever Redis or the jobs do: jobs still running are
   * logged and left to stall recovery (their locks lapse and another worker takes them).
   */
  close(options?: { deadlineAt?: number }): Promise<void>;
}

/** The ways a job run ends that the status API counts per queue (its job-events.ts). */
export const JOB_OUTCOMES = ['completed', 'failed', 'stalled'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/**
 * The hash whose `count` field totals a queue's job runs that ended one way, never trimmed:
 * BullMQ's own metrics hash for completed and failed (for good), which the script that moves
 * the job increments (our workers pass `metrics`), and one in the same layout for stalled runs,
 * which BullMQ counts nowhere but its trimmed event stream (our workers add each stall they see).
 */
export function jobOutcomeCountKey(queue: { toKey(type: string): string }, outcome: JobOutcome): string {
  return queue.toKey(`metrics:${outcome}`);
}

/** BullMQ keeps per-minute points beside its counts (bull-board charts them): a day's worth. */
const METRICS_DATA_POINTS = 24 * 60;

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

/** Jobs queued before an upgrade may still hold the old { payload, trace } layout. */
function payloadOf(job: Job<JobData<JobName>>): JobData<JobName> | undefined | null {
  const data: unknown = job.data;
  return (isLegacyEnvelope(data) ? data.payload : data) as JobData<JobName> | undefined | null;
}

export function startWorker<Q extends QueueName>(options: WorkerOptions<Q>): RunningWorker {
  const { queue, handlers, logger } = options;
  assertHandlers(queue, handlers as Record<string, unknown>);
  let lastProgress = Date.now();

  const report = async (failure: JobFailureReport) => {
    if (!options.onFailure) return;
    try {
      await options.onFailure(failure);
    } catch (error) {
      logger.error({ queue, job: failure.name, err: error }, 'could not record a job failure');
    }
  };

  /** The report of a failed run of `job`: the processor's, or an event's after BullMQ counted it. */
  const failureOf = (job: Job<JobData<JobName>>, attempt: number, final: boolean, error: unknown) => ({
    name: job.name as JobName,
    payload: payloadOf(job),
    attempt,
    attempts: attemptsOf(job),
    final,
    error,
  });

  const processor = async (job: Job<JobData<JobName>>, token?: string) => {
    const handler = (handlers as unknown as Record<string, JobHandler<JobName> | undefined>)[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on ${queue}`);
    const legacy = isLegacyEnvelope(job.data) ? job.data : undefined;
    const payload = payloadOf(job);
    if (payload === undefined || payload === null)
      throw new UnrecoverableError(`job ${job.id} has no payload`);
    const jobLogger = logger.child({ queue, job: job.name, jobId: job.id, attempt: attemptNumber(job) });
    return withSpan(
      `${queue} ${job.name}`,
      {
        'messaging.system': 'bullmq',
        'messaging.destination.name': queue,
        'messaging.message.id': job.id ?? '',
      },
      async () => {
        try {
          await handler(payload, { jobId: job.id ?? '', attempt: attemptNumber(job), logger: jobLogger });
        } catch (error) {
          if (error instanceof RetryLaterError) {
            jobLogger.debug({ delayMs: error.delayMs, why: error.message }, 'job waits');
            await job.moveToDelayed(Date.now() + error.delayMs, token);
            throw new DelayedError();
          }
          const permanent = error instanceof PermanentJobError || error instanceof UnrecoverableError;
          // Stalls count as attempts (attempts.ts): the last run left fails for good.
          const final = permanent || attemptNumber(job) >= attemptsOf(job);
          await report(failureOf(job, attemptNumber(job), final, error));
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          jobLogger.warn({ err: error }, 'job failed; it will be retried if attempts remain');
          throw error;
        }
      },
      traceCarrierOf(job) ?? legacy?.trace,
    );
  };

  // Outside the processor: which jobs run (for the shutdown log), and stalls as attempts.
  const active = new Set<string>();
  const run = async (job: Job<JobData<JobName>>, token?: string) => {
    const spent = outOfAttempts(job);
    if (spent) throw new UnrecoverableError(spent);
    const id = job.id ?? '';
    active.add(id);
    try {
      return await processor(job, token);
    } catch (error) {
      throw failureOfRun(job, error);
    } finally {
      active.delete(id);
    }
  };

  const lockDuration = options.lockDurationMs ?? 60_000;
  const worker = new Worker(queue, run, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 4,
    lockDuration,
    // BullMQ's default is 30 s for the default 60 s lock; a shorter lock is checked as often.
    stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
    maxStalledCount: maxStalledCountFor(options.attempts ?? 8),
    metrics: { maxDataPoints: METRICS_DATA_POINTS },
    autorun: true,
  });
  // The totals exist from the first such worker on, so a reader knows they are kept.
  Promise.all(
    JOB_OUTCOMES.map((outcome) => options.connection.hsetnx(jobOutcomeCountKey(worker, outcome), 'count', 0)),
  ).catch((error: unknown) => logger.warn({ queue, err: error }, 'could not set up the job outcome counts'));
  worker.on('completed', () => (lastProgress = Date.now()));
  worker.on('failed', (job, error) => {
    lastProgress = Date.now();
    if (!job) return;
    // BullMQ emits this for every failed run; final ones are those it will not retry: out of
    // attempts, unrecoverable (our permanent errors, and stalls that used the attempts up), or
    // stalled more often than maxStalledCount allows (which no processor ever saw).
    const attempts = attemptsOf(job);
    const stalledOut = /stalled more than allowable limit/i.test(error.message);
    if (!(job.attemptsMade >= attempts || stalledOut || error.name === 'UnrecoverableError')) return;
    logger.error(
      { queue, job: job.name, jobId: job.id, err: error },
      'job failed for good; kept in the failed set',
    );
    // The stage records it again (idempotent) for the failures no processor reported.
    void report(failureOf(job, Math.max(attemptsUsed(job), 1), true, error));
  });
  // A run whose worker died never reaches the processor: the stall is its only trace. Reported
  // as a failed attempt (not final: BullMQ runs it again, or fails it once stalls used the
  // attempts up, which the failed event above reports), so the file shows it was tried.
  worker.on('stalled', (stalledId) => {
    options.connection
      .hincrby(jobOutcomeCountKey(worker, 'stalled'), 'count', 1)
      .catch((error: unknown) =>
        logger.warn({ queue, jobId: stalledId, err: error }, 'could not count a stall'),
      );
    void (async () => {
      const job = await Job.fromId<JobData<JobName>>(worker, stalledId);
      if (!job) return;
      const stalled = new Error('its worker stopped or died mid-job (stalled); it runs again');
      await report(failureOf(job, Math.max(attemptsUsed(job), 1), false, stalled));
    })().catch((error: unknown) =>
      logger.warn({ queue, jobId: stalledId, err: error }, 'could not read a stalled job'),
    );
  });
  worker.on('drained', () => (lastProgress = Date.now()));
  // A worker without an error listener crashes the process on connection blips.
  worker.on('error', (error) => logger.error({ queue, err: error }, 'worker error'));

  const deadlineMs = options.shutdownDeadlineMs ?? 25_000;
  return {
    queue,
    worker,
    lastProgressAt: () => lastProgress,
    activeJobs: () => [...active],
    async close(closeOptions = {}) {
      const deadlineAt = closeOptions.deadlineAt ?? Date.now() + deadlineMs;
      // BullMQ caches its closing promise: close(true) after close() returns the same graceful
      // close, which waits for every active job (and for Redis). So nothing is forced here:
      // past the deadline we stop waiting and leave the jobs to stall recovery.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>(
        (resolve) => (timer = setTimeout(() => resolve('deadline'), Math.max(0, deadlineAt - Date.now()))),
      );
      const closing = worker.close().then(
        () => 'closed' as const,
        (error: unknown) => {
          logger.warn({ queue, err: error }, 'error while closing the worker');
          return 'closed' as const;
        },
      );
      const outcome = await Promise.race([closing, deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        logger.warn(
          { queue, leftActive: [...active] },
          'shutdown deadline reached with jobs still running: left for another worker, which takes each over once its lock lapses',
        );
      }
    },
  };
}
