// Jobs completed, failed (for good) and stalled per queue, for /metrics. The workers run in other
// processes, and BullMQ logs every job's moves to a Redis stream per queue (`<prefix>:<queue>:events`,
// trimmed to about 10 000 entries), so the status API counts them from there: each scrape reads
// the entries added since the previous one. BullMQ writes `failed` only when a job fails for good
// (a retried attempt moves it to `delayed` or `waiting`) and `stalled` when a worker lost a job.
//
// Counters start at 0 at this process's first scrape; Prometheus treats a restart as a counter
// reset. Every replica reads the same streams, so replicas agree: aggregate them with max().
// A queue that logs more than the stream keeps (about 2 000 jobs' worth) between two scrapes is
// undercounted, so scrape more often than that.
import type { Redis } from 'ioredis';
import { QUEUE_NAMES, type JobProducer, type QueueName } from '@callintake/queues';

export const COUNTED_JOB_EVENTS = ['completed', 'failed', 'stalled'] as const;
export type CountedJobEvent = (typeof COUNTED_JOB_EVENTS)[number];

export interface QueueJobEvents {
  queue: QueueName;
  counts: Record<CountedJobEvent, number>;
}

const zero = (): Record<CountedJobEvent, number> => ({ completed: 0, failed: 0, stalled: 0 });

export class JobEventCounter {
  /** The id of the last stream entry read, per queue. */
  private readonly cursors = new Map<QueueName, string>();
  private readonly totals = new Map<QueueName, QueueJobEvents>(
    QUEUE_NAMES.map((queue) => [queue, { queue, counts: zero() }]),
  );
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly producer: JobProducer,
    private readonly batchSize = 1_000,
  ) {}

  /** Counts what the streams gained since the last update; concurrent calls run one after another. */
  update(): Promise<QueueJobEvents[]> {
    const run = () => Promise.all(QUEUE_NAMES.map((queue) => this.readQueue(queue))).then(() => undefined);
    this.reading = this.reading.then(run, run);
    return this.reading.then(() =>
      [...this.totals.values()].map(({ queue, counts }) => ({ queue, counts: { ...counts } })),
    );
  }

  private async readQueue(queue: QueueName): Promise<void> {
    const key = this.producer.queue(queue).toKey('events');
    const cursor = this.cursors.get(queue);
    if (cursor === undefined) {
      // The first read only finds where the stream ends: counting starts now.
      const [newest] = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      this.cursors.set(queue, newest?.[0] ?? '0-0');
      return;
    }
    const { counts } = this.totals.get(queue) as QueueJobEvents;
    let lastId = cursor;
    for (;;) {
      const entries = await this.redis.xrange(key, `(${lastId}`, '+', 'COUNT', this.batchSize);
      for (const [id, fields] of entries) {
        lastId = id;
        const event = fields[fields.indexOf('event') + 1] ?? '';
        if ((COUNTED_JOB_EVENTS as readonly string[]).includes(event)) counts[event as CountedJobEvent] += 1;
      }
      if (entries.length < this.batchSize) break;
    }
    this.cursors.set(queue, lastId);
  }
}
