// Prometheus text for SREs: per-queue backlog by state. KEDA and alerts read the same numbers.
import { QUEUE_NAMES, type JobProducer } from '@callintake/queues';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export async function renderMetrics(producer: JobProducer): Promise<string> {
  const lines = [
    '# HELP callintake_queue_jobs Jobs per queue and state.',
    '# TYPE callintake_queue_jobs gauge',
  ];
  for (const name of QUEUE_NAMES) {
    const counts = await producer.queue(name).getJobCounts(...STATES);
    for (const state of STATES)
      lines.push(`callintake_queue_jobs{queue="${name}",state="${state}"} ${counts[state] ?? 0}`);
  }
  return lines.join('\n') + '\n';
}
