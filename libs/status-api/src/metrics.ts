// Prometheus text for SREs: per-queue jobs by state, the backlog autoscalers should read
// (waiting + prioritized: BullMQ keeps prioritized jobs out of the wait list), and the age of
// the oldest waiting job, the signal of a silent stall.
import { QUEUE_NAMES, type JobProducer } from '@callintake/queues';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
/** Jobs looked at per list for the oldest one; prioritized jobs are ordered by priority, not age. */
const OLDEST_SAMPLE = 50;

export async function renderMetrics(producer: JobProducer, now = Date.now()): Promise<string> {
  const jobs = [
    '# HELP callintake_queue_jobs Jobs per queue and state.',
    '# TYPE callintake_queue_jobs gauge',
  ];
  const backlog = [
    '# HELP callintake_queue_backlog Jobs waiting to run (waiting + prioritized): what to scale workers on.',
    '# TYPE callintake_queue_backlog gauge',
  ];
  const oldest = [
    '# HELP callintake_queue_oldest_waiting_seconds Age of the oldest job waiting to run (0 when none).',
    '# TYPE callintake_queue_oldest_waiting_seconds gauge',
  ];
  for (const name of QUEUE_NAMES) {
    const queue = producer.queue(name);
    const counts = await queue.getJobCounts(...STATES);
    for (const state of STATES)
      jobs.push(`callintake_queue_jobs{queue="${name}",state="${state}"} ${counts[state] ?? 0}`);
    backlog.push(
      `callintake_queue_backlog{queue="${name}"} ${(counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0)}`,
    );
    const sample = await queue.getJobs(['waiting', 'prioritized'], 0, OLDEST_SAMPLE - 1, true);
    const first = Math.min(...sample.map((job) => job.timestamp).filter((t) => Number.isFinite(t)));
    oldest.push(
      `callintake_queue_oldest_waiting_seconds{queue="${name}"} ${Number.isFinite(first) ? Math.max(0, (now - first) / 1000).toFixed(3) : 0}`,
    );
  }
  return [...jobs, ...backlog, ...oldest].join('\n') + '\n';
}
