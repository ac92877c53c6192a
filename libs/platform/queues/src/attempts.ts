// Stalls count as attempts. BullMQ 6.7 keeps two counters on a job: `attemptsMade` (runs that
// ended in an error) and `stalledCounter` (runs whose worker died, froze or was stopped at the
// shutdown deadline, so its lock lapsed and the stalled check put the job back). It limits them
// apart: `attempts` for errors, the worker's `maxStalledCount` (default 1) for stalls, so a job
// whose worker was killed twice failed for good after one of its 8 attempts. `attemptsStarted`
// is no help: it also counts the restarts of a job that waited (RetryLaterError), which are
// not attempts, so `maxStartedAttempts` is not used.
//
// The rule: every run counts as one of the job's `attempts` (JOB_ATTEMPTS), whether it ended
// in an error or a stall; a job fails for good once attemptsMade + stalledCounter reaches it.
// - Stalls alone: maxStalledCount = attempts − 1, BullMQ's own check ("job stalled more than
//   allowable limit"). With 8 attempts a job killed 7 times runs an 8th time; killed 8 times, it
//   fails.
// - Both: a job whose earlier runs used up its attempts is failed before it runs again, and a
//   run that fails on the last attempt left fails for good with its own error, not retried.
import { UnrecoverableError, type Job } from 'bullmq';

type Counted = Pick<Job, 'attemptsMade' | 'stalledCounter' | 'opts'>;

/** BullMQ's maxStalledCount for workers whose jobs have `attempts` attempts. */
export function maxStalledCountFor(attempts: number): number {
  return Math.max(0, attempts - 1);
}

/** Runs of the job so far that count as attempts: failed ones and stalled ones. */
export function attemptsUsed(job: Counted): number {
  return job.attemptsMade + (job.stalledCounter ?? 0);
}

/** This run's attempt number, from 1. */
export function attemptNumber(job: Counted): number {
  return attemptsUsed(job) + 1;
}

export function attemptsOf(job: Counted): number {
  return job.opts.attempts ?? 1;
}

/** Why a job must not run again, or undefined while attempts remain. */
export function outOfAttempts(job: Counted): string | undefined {
  const attempts = attemptsOf(job);
  if (attemptsUsed(job) < attempts) return undefined;
  return `gave up after ${attempts} attempts: ${job.attemptsMade} failed and ${job.stalledCounter} stalled (its worker stopped or died mid-job)`;
}

/**
 * The error to fail a run with: BullMQ retries while attemptsMade + 1 < attempts, so when stalls
 * used up the rest, the run's error becomes unrecoverable (same message and stack).
 */
export function failureOfRun(job: Counted, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof UnrecoverableError || error.name === 'UnrecoverableError') return error;
  if (error.name === 'DelayedError' || error.name === 'WaitingError' || error.name === 'WaitingChildrenError')
    return error;
  const attempts = attemptsOf(job);
  const bullmqRetries = job.attemptsMade + 1 < attempts;
  if (!bullmqRetries || attemptNumber(job) < attempts) return error;
  const final = new UnrecoverableError(error.message);
  if (error.stack) final.stack = error.stack;
  return final;
}
