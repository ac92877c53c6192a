// What happens to a file version when its job fails: while attempts remain the version stays
// pending/processing and shows its attempt count and last error; when they run out (or the job
// stalled as often) it ends `failed` with `processing-failed`. Called by the worker for every
// failed attempt of a probe, parse or CRM job, from the processor and from BullMQ's failed event
// (stalls never reach the processor); both writes are idempotent.
import type { AssetVersionJob, JobFailureHook } from '@callintake/queues';
import { TransitionRefusedError, type StateStore } from '@callintake/state';
import { transitionVersion } from './transitions';

export interface JobFailure {
  /** Attempts made so far, this one included. */
  attempt: number;
  /** Attempts the job has in all. */
  attempts: number;
  /** No attempts left, or a permanent error: the version fails now. */
  final: boolean;
  error: unknown;
}

const MAX_MESSAGE = 500;

/**
 * The last error as the status API may show it: no credentials in URLs, no absolute paths (a
 * path keeps its last two segments, which name the tenant's own file), bounded in length.
 */
export function publicErrorMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const cleaned = raw
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@')
    .replace(/(?:\/[^/\s'"`:,;()]+){3,}/g, (path) => `…/${path.split('/').slice(-2).join('/')}`)
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > MAX_MESSAGE ? `${cleaned.slice(0, MAX_MESSAGE - 1)}…` : cleaned || 'unknown error';
}

/** The worker hook of every stage whose jobs process one file version (probe, parse, CRM). */
export function assetJobFailureHook(state: StateStore): JobFailureHook {
  return (failure) => recordJobFailure(state, failure.payload as AssetVersionJob, failure);
}

export async function recordJobFailure(
  state: StateStore,
  job: AssetVersionJob,
  failure: JobFailure,
): Promise<void> {
  const ref = { tenantId: job.tenantId, fileName: job.fileName, versionId: job.versionId };
  const attempts = {
    count: failure.attempt,
    of: failure.attempts,
    lastError: publicErrorMessage(failure.error),
    lastAttemptAt: state.clock.now().toISOString(),
  };
  if (!failure.final) {
    await state.assets.recordAttempt(ref.tenantId, ref.fileName, ref.versionId, attempts);
    return;
  }
  try {
    await transitionVersion(state, ref, 'fail', {
      reason: {
        code: 'processing-failed',
        message: `failed after ${failure.attempt} of ${failure.attempts} attempts: ${attempts.lastError}`,
      },
      attempts,
    });
  } catch (error) {
    // Captured, rejected or replaced meanwhile (a late report of a stale job): that outcome stands.
    if (!(error instanceof TransitionRefusedError)) throw error;
  }
}
