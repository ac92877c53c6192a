// End to end through the separate services: intake-watcher, media-prober, metadata-parser and
// matcher each run as their own process (apps/*/src/main.ts, as on Kubernetes), on a local
// tenant. Each pair is a small WAV plus its JSON metadata, and a pair is done when its call is
// added to `calls-ready` (QueueEvents 'added'). Two runs, each bounded in count and time:
//   - throughput: a burst of pairs dropped at once, pairs/s until the last call is ready;
//   - latency: pairs dropped at a steady 50 pairs/s, upload (second file renamed) → calls-ready.
// The baseline is a bare BullMQ chain with the same hops (scan → probe + parse → match → ready),
// workers at the same concurrency doing no work but passing ids along, in this process.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { encodeWav, stampTag } from '@callintake/media';
import { bullPrefix, jobId, workerConnection } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import { spawnService, type ServiceProcess } from '@callintake/testing';
import { percentile, perSecond, sleep, type Benchmark, type BenchContext, type BenchTable } from './harness';

const SERVICES = ['intake-watcher', 'media-prober', 'metadata-parser', 'matcher'];
const BURST_PAIRS = Number(process.env['BENCH_E2E_PAIRS'] ?? 500);
const STEADY_RATE = 50;
const STEADY_PAIRS = Number(process.env['BENCH_E2E_STEADY_PAIRS'] ?? 500);
/** A run that has not finished by then reports what it has (bounded time). */
const GIVE_UP_MS = 60_000;
const CONCURRENCY = 4;
const TENANT = 'bench';
const WAV = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 0.5 });

function stemOf(run: string, index: number): string {
  const second = String(index % 60).padStart(2, '0');
  const minute = String(Math.floor(index / 60) % 60).padStart(2, '0');
  return `20240312-10${minute}${second}_out_${run}${index}`;
}

/** Resolves each id's 'added' time on a queue as it arrives. */
function watchAdded(queueEvents: QueueEvents, addedAt: Map<string, number>): void {
  queueEvents.on('added', ({ jobId: id }) => {
    if (!addedAt.has(id)) addedAt.set(id, performance.now());
  });
}

async function waitForAll(ids: string[], addedAt: Map<string, number>): Promise<number> {
  const deadline = performance.now() + GIVE_UP_MS;
  while (performance.now() < deadline) {
    if (ids.every((id) => addedAt.has(id))) break;
    await sleep(20);
  }
  return ids.filter((id) => addedAt.has(id)).length;
}

/**
 * Uploads as customers are told to: under a temporary name, renamed when complete. (With
 * settleSeconds 0 a file caught half-written would be judged as it stands, e.g. empty.)
 */
async function upload(dataDir: string, name: string, content: string | Buffer): Promise<void> {
  await writeFile(join(dataDir, `${name}.part`), content);
  await rename(join(dataDir, `${name}.part`), join(dataDir, name));
}

async function dropPair(dataDir: string, stem: string): Promise<number> {
  // Each its own bytes: the same bytes under a second name are rejected duplicate-content.
  await upload(dataDir, `${stem}.wav`, stampTag(Buffer.from(WAV), stem));
  await upload(
    dataDir,
    `${stem}.json`,
    JSON.stringify({ datetime: '2024-03-12T10:00:00Z', email: 'rep@example.com', direction: 'outbound' }),
  );
  return performance.now();
}

/** Our services, as processes; returns the per-run figures. */
async function runServices(ctx: BenchContext, redis: Redis) {
  const root = await ctx.tempDir('e2e');
  const dataDir = join(root, 'upload', 'data');
  await mkdir(dataDir, { recursive: true });
  const tenantsFile = join(root, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    `tenants:
  - id: ${TENANT}
    source: { kind: local, root: upload }
    archive: { kind: local, root: archive }
    settleSeconds: 0
    metadata:
      fields:
        datetime: { to: callTime, type: datetime }
        email: { to: userId }
        direction: { to: direction }
`,
  );
  const prefix = bullPrefix({ namespace: ctx.namespace });
  const queueEvents = new QueueEvents('calls-ready', { connection: redis.duplicate(), prefix });
  await queueEvents.waitUntilReady();
  const addedAt = new Map<string, number>();
  watchAdded(queueEvents, addedAt);
  const env = {
    REDIS_URL: ctx.redisUrl,
    REDIS_NAMESPACE: ctx.namespace,
    INGEST_TENANTS: tenantsFile,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(CONCURRENCY),
  };
  const processes: ServiceProcess[] = SERVICES.map((name) => spawnService(name, env));
  try {
    // Every service is up once a probe pair has gone through.
    const warm = stemOf('warm', 0);
    await dropPair(dataDir, warm);
    if ((await waitForAll([jobId(TENANT, warm)], addedAt)) !== 1)
      throw new Error(`the services did not start: ${processes.map((p) => p.output()).join('\n')}`);
    // Downstream consumers read the call document itself as job data (CONTRACT.md).
    const readyQueue = new Queue('calls-ready', { connection: redis, prefix });
    const warmJob = await readyQueue.getJob(jobId(TENANT, warm));
    await readyQueue.close();
    if ((warmJob?.data as Call | undefined)?.id !== warm)
      throw new Error(`calls-ready job data is not the call: ${JSON.stringify(warmJob?.data)}`);

    ctx.log(`burst: ${BURST_PAIRS} pairs through the separate services`);
    const burstIds = Array.from({ length: BURST_PAIRS }, (_, i) => stemOf('burst', i));
    const burstStart = performance.now();
    await Promise.all(burstIds.map((stem) => dropPair(dataDir, stem)));
    const burstDone = await waitForAll(
      burstIds.map((stem) => jobId(TENANT, stem)),
      addedAt,
    );
    const burstEnd = Math.max(...burstIds.map((stem) => addedAt.get(jobId(TENANT, stem)) ?? 0));
    const burstPairsPerSec = perSecond(burstDone, burstEnd - burstStart);

    ctx.log(`steady: ${STEADY_PAIRS} pairs at ${STEADY_RATE} pairs/s`);
    const uploadedAt = new Map<string, number>();
    const steadyIds = Array.from({ length: STEADY_PAIRS }, (_, i) => stemOf('steady', i));
    const steadyStart = performance.now();
    const writes: Array<Promise<void>> = [];
    for (const [index, stem] of steadyIds.entries()) {
      const due = steadyStart + (index * 1000) / STEADY_RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      writes.push(dropPair(dataDir, stem).then((at) => void uploadedAt.set(stem, at)));
    }
    await Promise.all(writes);
    const steadyDone = await waitForAll(
      steadyIds.map((stem) => jobId(TENANT, stem)),
      addedAt,
    );
    const latencies = steadyIds.flatMap((stem) => {
      const ready = addedAt.get(jobId(TENANT, stem));
      const uploaded = uploadedAt.get(stem);
      return ready !== undefined && uploaded !== undefined ? [Math.max(0, ready - uploaded)] : [];
    });
    return { burstDone, burstPairsPerSec, steadyDone, latencies };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await queueEvents.close();
  }
}

/** The bare chain: same hops and job counts per pair, handlers that only pass ids on. */
async function runBareChain(ctx: BenchContext, redis: Redis) {
  const prefix = `${bullPrefix({ namespace: ctx.namespace })}-bare`;
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  const queue = (name: string) => new Queue(name, { connection, prefix });
  const queues = {
    scan: queue('scan'),
    probe: queue('probe'),
    parse: queue('parse'),
    match: queue('match'),
    ready: queue('ready'),
  };
  const options = { connection, prefix, concurrency: CONCURRENCY };
  const workers = [
    new Worker(
      'scan',
      async (job: Job<{ stem: string }>) => {
        await queues.probe.add('probe', job.data, { jobId: `${job.data.stem}.wav` });
        await queues.parse.add('parse', job.data, { jobId: `${job.data.stem}.json` });
      },
      options,
    ),
    new Worker(
      'probe',
      async (job: Job) => void (await queues.match.add('match', job.data, { jobId: `${job.id}` })),
      options,
    ),
    new Worker(
      'parse',
      async (job: Job) => void (await queues.match.add('match', job.data, { jobId: `${job.id}` })),
      options,
    ),
    // The second half of a pair makes the call ready; the deterministic id dedupes the first.
    new Worker(
      'match',
      async (job: Job<{ stem: string }>) =>
        void (await queues.ready.add('ready', job.data, { jobId: job.data.stem })),
      options,
    ),
  ];
  const queueEvents = new QueueEvents('ready', { connection: redis.duplicate(), prefix });
  await queueEvents.waitUntilReady();
  const addedAt = new Map<string, number>();
  watchAdded(queueEvents, addedAt);
  try {
    const burstIds = Array.from({ length: BURST_PAIRS }, (_, i) => `burst-${i}`);
    const burstStart = performance.now();
    await Promise.all(burstIds.map((stem) => queues.scan.add('scan', { stem }, { jobId: stem })));
    const burstDone = await waitForAll(burstIds, addedAt);
    const burstEnd = Math.max(...burstIds.map((id) => addedAt.get(id) ?? 0));
    const burstPairsPerSec = perSecond(burstDone, burstEnd - burstStart);

    const uploadedAt = new Map<string, number>();
    const steadyIds = Array.from({ length: STEADY_PAIRS }, (_, i) => `steady-${i}`);
    const steadyStart = performance.now();
    for (const [index, stem] of steadyIds.entries()) {
      const wait = steadyStart + (index * 1000) / STEADY_RATE - performance.now();
      if (wait > 0) await sleep(wait);
      uploadedAt.set(stem, performance.now());
      await queues.scan.add('scan', { stem }, { jobId: stem });
    }
    const steadyDone = await waitForAll(steadyIds, addedAt);
    const latencies = steadyIds.flatMap((id) => {
      const ready = addedAt.get(id);
      const uploaded = uploadedAt.get(id);
      return ready !== undefined && uploaded !== undefined ? [Math.max(0, ready - uploaded)] : [];
    });
    return { burstDone, burstPairsPerSec, steadyDone, latencies };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await queueEvents.close();
    await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true }).then(() => q.close())));
    await connection.quit();
  }
}

const benchmark: Benchmark = {
  name: 'e2e',
  description: `pairs/s and upload→calls-ready latency through the separate services, beside a bare BullMQ chain with the same hops`,
  async run(ctx) {
    const redis = workerConnection({ url: ctx.redisUrl, namespace: ctx.namespace });
    try {
      const ours = await runServices(ctx, redis);
      ctx.log('bare BullMQ chain');
      const bare = await runBareChain(ctx, redis);
      const tables: BenchTable[] = [
        {
          title: `burst of ${BURST_PAIRS} WAV+JSON pairs through 4 service processes (concurrency ${CONCURRENCY})`,
          baselines: ['bare BullMQ chain'],
          rows: [
            {
              metric: 'throughput',
              unit: 'pairs/s',
              ours: ours.burstPairsPerSec,
              baselines: [bare.burstPairsPerSec],
            },
            { metric: 'pairs ready', unit: 'count', ours: ours.burstDone, baselines: [bare.burstDone] },
          ],
        },
        {
          title: `steady ${STEADY_RATE} pairs/s, ${STEADY_PAIRS} pairs: upload → calls-ready`,
          baselines: ['bare BullMQ chain'],
          rows: [
            {
              metric: 'p50',
              unit: 'ms',
              ours: percentile(ours.latencies, 50),
              baselines: [percentile(bare.latencies, 50)],
            },
            {
              metric: 'p99',
              unit: 'ms',
              ours: percentile(ours.latencies, 99),
              baselines: [percentile(bare.latencies, 99)],
            },
            {
              metric: 'max',
              unit: 'ms',
              ours: Math.max(...ours.latencies),
              baselines: [Math.max(...bare.latencies)],
            },
            { metric: 'pairs ready', unit: 'count', ours: ours.steadyDone, baselines: [bare.steadyDone] },
          ],
        },
      ];
      return {
        tables,
        notes: [
          'ours: intake-watcher, media-prober, metadata-parser and matcher each as its own process (node + tsx), local tenant, settleSeconds 0, file events trigger scans',
          'ours includes what the bare chain skips: settling and classifying, probing and archiving each WAV, parsing and mapping each JSON, state writes, moving files to processed/',
          'bare chain: 4 BullMQ workers in the bench process; per pair a scan job, a probe and a parse job, two match jobs, one ready job',
          `each run gives up after ${GIVE_UP_MS / 1000} s; "pairs ready" says how many made it`,
        ],
      };
    } finally {
      await redis.quit();
    }
  },
};

export default benchmark;
