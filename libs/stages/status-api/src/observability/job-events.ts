// Jobs completed, failed (for good) and stalled per queue, for /metrics. The workers run in other
// processes, so the status API reads what they left in Redis, per queue, at each scrape:
//
// - totals that are never trimmed (jobOutcomeCountKey): BullMQ's own counts of completed and
//   failed jobs, incremented by the same script that moves the job (our workers pass `metrics`),
//   and the stalls our workers count beside them. They exist once a worker of ours has started on
//   the queue; a counter then grows by what its total grew since the previous scrape: exact,
//   however many jobs ran in between.
// - BullMQ's event stream of the queue (`<prefix>:<queue>:events`), for a queue (or an outcome)
//   with no total: `calls-ready` and `calls-updated`, which downstream consumers work, and any
//   queue before our workers first ran on it. Each scrape reads the entries added since the
//   previous one. BullMQ writes `failed` only when a job fails for good (a retried attempt moves
//   it to `delayed` or `waiting`) and `stalled` when a worker lost a job. The stream is trimmed
//   to about 10 000 entries (`streams.events.maxLen`), so a queue that logs more between two
//   scrapes is undercounted there.
//
// Totals and the stream's end are read in one transaction per queue (one slot in a cluster:
// a queue's keys share its hash tag), so the two sources meet where one takes over from the other.
// Counters start at 0 at this process's first scrape; Prometheus treats a restart as a counter
// reset. Replicas read the same totals and streams: aggregate them with max().
import type { RedisClient } from '@callintake/state';
import {
  jobOutcomeCountKey,
  JOB_OUTCOMES,
  QUEUE_NAMES,
  type JobOutcome,
  type JobProducer,
  type QueueName,
} from '@callintake/queues';

export const COUNTED_JOB_EVENTS = JOB_OUTCOMES;
export type CountedJobEvent = JobOutcome;

export interface QueueJobEvents {
  queue: QueueName;
  counts: Record<CountedJobEvent, number>;
}

type Totals = Record<CountedJobEvent, number | null>;

interface Cursor {
  /** The id of the last stream entry read (or skipped): the next read starts after it. */
  lastId: string;
  /** Each outcome's total at the previous scrape; null while it is not kept. */
  totals: Totals;
}

/** The queue's state in one transaction: each outcome's total, and the stream's newest id. */
interface Snapshot {
  totals: Totals;
  newestId: string | undefined;
}

const zero = (): Record<CountedJobEvent, number> => ({ completed: 0, failed: 0, stalled: 0 });

/** Stream ids `<ms>-<seq>` in order. */
function compareIds(left: string, right: string): number {
  const [leftMs = 0n, leftSeq = 0n] = left.split('-').map(BigInt);
  const [rightMs = 0n, rightSeq = 0n] = right.split('-').map(BigInt);
  if (leftMs !== rightMs) return leftMs < rightMs ? -1 : 1;
  return leftSeq === rightSeq ? 0 : leftSeq < rightSeq ? -1 : 1;
}

export class JobEventCounter {
  private readonly cursors = new Map<QueueName, Cursor>();
  private readonly results = new Map<QueueName, QueueJobEvents>(
    QUEUE_NAMES.map((queue) => [queue, { queue, counts: zero() }]),
  );
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: RedisClient,
    private readonly producer: JobProducer,
    private readonly batchSize = 1_000,
  ) {}

  /** Counts what each queue gained since the last update; concurrent calls run one after another. */
  update(): Promise<QueueJobEvents[]> {
    const run = () => Promise.all(QUEUE_NAMES.map((queue) => this.readQueue(queue))).then(() => undefined);
    this.reading = this.reading.then(run, run);
    return this.reading.then(() =>
      [...this.results.values()].map(({ queue, counts }) => ({ queue, counts: { ...counts } })),
    );
  }

  private async snapshot(queue: QueueName): Promise<Snapshot> {
    const bullQueue = this.producer.queue(queue);
    const events = bullQueue.toKey('events');
    const replies = await this.redis
      .multi()
      .hget(jobOutcomeCountKey(bullQueue, 'completed'), 'count')
      .hget(jobOutcomeCountKey(bullQueue, 'failed'), 'count')
      .hget(jobOutcomeCountKey(bullQueue, 'stalled'), 'count')
      .xrevrange(events, '+', '-', 'COUNT', 1)
      .exec();
    if (!replies) throw new Error(`the job outcomes of ${queue} could not be read (transaction aborted)`);
    const failure = replies.find(([error]) => error);
    if (failure) throw failure[0] as Error;
    const [completed, failed, stalled, newest] = replies.map(([, value]) => value) as [
      string | null,
      string | null,
      string | null,
      Array<[string, string[]]>,
    ];
    const total = (value: string | null) => (value === null ? null : Number(value));
    return {
      totals: { completed: total(completed), failed: total(failed), stalled: total(stalled) },
      newestId: newest[0]?.[0],
    };
  }

  private async readQueue(queue: QueueName): Promise<void> {
    const now = await this.snapshot(queue);
    const cursor = this.cursors.get(queue);
    // Where the stream ends now: entries up to here are this scrape's, whatever comes meanwhile.
    const lastId = now.newestId ?? cursor?.lastId ?? '0-0';
    // The first read only finds where things stand: counting starts now.
    if (cursor === undefined) {
      this.cursors.set(queue, { lastId, totals: now.totals });
      return;
    }

    const result = this.results.get(queue) as QueueJobEvents;
    const fromTotals = (event: CountedJobEvent) => {
      const [before, after] = [cursor.totals[event], now.totals[event]];
      // A total that went down was deleted and begun again: what it holds now came since.
      return before === null || after === null ? null : after >= before ? after - before : after;
    };
    const streamed = COUNTED_JOB_EVENTS.filter((event) => fromTotals(event) === null);
    const counted = streamed.length ? await this.readStream(queue, cursor.lastId, lastId) : zero();
    for (const event of COUNTED_JOB_EVENTS) result.counts[event] += fromTotals(event) ?? counted[event];
    // Moved on only once counted: a scrape that failed midway leaves it all to the next one.
    this.cursors.set(queue, { lastId, totals: now.totals });
  }

  /** Counts the entries after `afterId` up to `untilId`, by event. */
  private async readStream(
    queue: QueueName,
    afterId: string,
    untilId: string,
  ): Promise<Record<CountedJobEvent, number>> {
    const counts = zero();
    if (compareIds(untilId, afterId) <= 0) return counts;
    const key = this.producer.queue(queue).toKey('events');
    let lastId = afterId;
    for (;;) {
      const entries = await this.redis.xrange(key, `(${lastId}`, untilId, 'COUNT', this.batchSize);
      for (const [id, fields] of entries) {
        lastId = id;
        const event = fields[fields.indexOf('event') + 1] ?? '';
        if ((COUNTED_JOB_EVENTS as readonly string[]).includes(event)) counts[event as CountedJobEvent] += 1;
      }
      if (entries.length < this.batchSize) return counts;
    }
  }
}
