// What the status API adds to its own /metrics and logs besides the pipeline (../metrics.ts): job
// outcomes per queue (job-events.ts), the process's health (process-metrics.ts), each tenant's
// last-upload age, and the access log (access-log.ts).
import type { FastifyInstance } from 'fastify';
import type { StatusApiDeps } from '../deps';
import { Family } from '../metrics';
import { logRequests } from './access-log';
import { JobEventCounter } from './job-events';
import { ProcessMetrics } from './process-metrics';

export type ObserveOptions = Pick<StatusApiDeps, 'state' | 'producer' | 'tenants' | 'accessLog'>;

export interface Observed {
  /** The families this adds to /metrics, as Prometheus text. */
  metricsText(): Promise<string>;
}

export function observeStatusApi(app: FastifyInstance, options: ObserveOptions): Observed {
  const { state, producer, tenants, accessLog } = options;
  if (accessLog) logRequests(app, accessLog);
  const processMetrics = new ProcessMetrics();
  processMetrics.start();
  app.addHook('onClose', async () => processMetrics.stop());
  const jobEvents = new JobEventCounter(state.redis, producer);

  return {
    async metricsText() {
      const [queues, lastUploads] = await Promise.all([
        jobEvents.update(),
        state.metrics.lastUploads([...tenants.keys()]),
      ]);
      const families = [
        ['completed', 'Jobs completed per queue, since this status API first scraped the queue events.'],
        [
          'failed',
          'Jobs failed for good (no attempt left, or unrecoverable) per queue, since this status API first scraped the queue events.',
        ],
        [
          'stalled',
          'Jobs a worker lost (lock expired) and BullMQ moved back to wait, per queue, since this status API first scraped the queue events.',
        ],
      ].map(([event, help]) => {
        const name = `callintake_queue_jobs_${event}_total`;
        const family = new Family(name, 'counter', help as string);
        for (const { queue, counts } of queues)
          family.sample(name, { queue }, counts[event as keyof typeof counts]);
        return family;
      });

      const age = new Family(
        'callintake_tenant_last_upload_age_seconds',
        'gauge',
        'Seconds since the newest file version of the tenant was first seen; absent before its first upload.',
      );
      const now = state.clock.now().getTime() / 1000;
      for (const { tenant, seconds } of lastUploads)
        age.sample(age.name, { tenant }, Number(Math.max(0, now - seconds).toFixed(3)));

      return (
        [...families, age, ...processMetrics.families()].flatMap((family) => family.lines).join('\n') + '\n'
      );
    },
  };
}
