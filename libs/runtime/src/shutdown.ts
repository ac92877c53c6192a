// SIGTERM keeps SHUTDOWN_DEADLINE_MS, whatever the jobs or Redis do. Active jobs get until the
// deadline; then connections close (a bounded `quit`, then `disconnect`) and what is buffered
// of the traces goes out; the process exits at most EXIT_GRACE_MS after the deadline. Jobs
// still running then are not failed: their locks lapse and another worker takes them over
// (BullMQ's stall recovery), and each such run counts as one of the job's attempts.

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 25_000;

/** After the jobs' deadline, for closing connections and the last trace export. */
export const EXIT_GRACE_MS = 850;

export interface ShutdownDeadline {
  /** Epoch ms until which active jobs may finish. */
  jobsBy: number;
  /** Connections are closed by then: a `quit` still unanswered is cut with `disconnect`. */
  closeBy: number;
  /** The process exits by then, whatever is left. */
  exitBy: number;
}

export function shutdownDeadline(deadlineMs: number, now = Date.now()): ShutdownDeadline {
  const jobsBy = now + deadlineMs;
  return { jobsBy, closeBy: jobsBy + Math.round(EXIT_GRACE_MS / 2), exitBy: jobsBy + EXIT_GRACE_MS };
}

export type Settled<T> =
  { outcome: 'done'; value: T } | { outcome: 'error'; error: unknown } | { outcome: 'timeout' };

/** Waits for `work` until `by` (epoch ms) at the latest; a later rejection is swallowed. */
export async function settleBy<T>(work: Promise<T>, by: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'timeout' }), Math.max(0, by - Date.now()));
  });
  try {
    return await Promise.race([
      work.then(
        (value): Settled<T> => ({ outcome: 'done', value }),
        (error: unknown): Settled<T> => ({ outcome: 'error', error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
