// End to end through the separate services: intake-watcher, media-prober, metadata-parser and
// matcher each run as their own process (apps/*/src/main.ts, as on Kubernetes), on a local
// tenant. Each pair is a small WAV plus its JSON metadata, and a pair is done when its call is
// added to `calls-ready` (QueueEvents 'added'). Two runs, each bounded in count and time:
//   - throughput: a burst of pairs dropped at once, pairs/s until the last call is ready;
//   - latency: pairs dropped at a steady 50 pairs/s, upload (second file renamed) → calls-ready.
// The baseline is a bare BullMQ chain with the same hops (scan → probe + parse → match → ready),
// workers at the same concurrency doing no work but passing ids along, in this process.
//
// Redis work per pair, over the burst (from its start until 300 ms after its last call is ready):
//   - commands: deltas of the server's `INFO commandstats` (every command, those a Lua script
//     or MULTI runs included), on a private redis-server this benchmark starts so that nothing
//     else's traffic is counted (BENCH_E2E_REDIS=shared uses the harness's Redis instead);
//   - round trips: what the clients waited for, counted in the clients (service-probe.mjs,
//     preloaded into each service process; imported here for the bare chain): a command on its
//     own, or a pipeline or MULTI, counts once.
// The benchmark's own observer (QueueEvents' XREAD, the INFO snapshots) is left out of both.
// BENCH_E2E_CPU_PROF=<dir> writes a V8 CPU profile of each service process over the burst there
// (`node --import tsx tools/bench/cpu-profile-top.ts <dir>` summarises them).
import { lstatSync, renameSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { encodeWav, stampTag } from '@callintake/media';
import {
  bullPrefix,
  jobId,
  queuePrefix,
  workerConnection,
  type QueueName,
  type QueuePrefix,
} from '@callintake/queues';
import { startPrivateRedis, type RedisEndpoint } from '@callintake/runtime';
import type { Call } from '@callintake/schemas';
import { masters, scanKeys, type RedisClient } from '@callintake/state';
import {
  spawnScript,
  spawnService,
  startRedisCluster,
  type ServiceProcess,
  writeLocalTenantsFile,
  TEST_METADATA_FIELDS,
} from '@callintake/testing';
import { percentile, perSecond, sleep, type Benchmark, type BenchContext, type BenchTable } from './harness';
import { roundTripCounts, type RoundTripCounts } from './service-probe.mjs';

const SERVICES = ['intake-watcher', 'media-prober', 'metadata-parser', 'matcher'];
const BURST_PAIRS = Number(process.env['BENCH_E2E_PAIRS'] ?? 500);
const STEADY_RATE = 50;
const STEADY_PAIRS = Number(process.env['BENCH_E2E_STEADY_PAIRS'] ?? 500);
/** A run that has not finished by then reports what it has (bounded time). */
const GIVE_UP_MS = 60_000;
const CONCURRENCY = Number(process.env['BENCH_E2E_CONCURRENCY'] ?? 4);
const TENANT = 'bench';
const WAV = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 0.5 });
/** After the burst's last call is ready, its last jobs still complete: counted until then. */
const COUNT_SETTLE_MS = 300;
/** The benchmark's own commands (QueueEvents' reads, the INFO snapshots): not the pipeline's. */
const OBSERVER_COMMANDS = new Set(['xread', 'info']);
const SERVICE_PROBE = join(import.meta.dirname, 'service-probe.mjs');
const INGEST_MAIN = 'apps/ingest/src/main.ts';

/** The burst's baselines: the bare chain, and the bare chain doing the durable file work too. */
const BURST_BASELINES = ['bare BullMQ chain', '+ durable files'];

/** Redis work over a part: server-side commands, client round trips, by service where known. */
interface RedisWork {
  commands: number;
  roundTrips: number;
  clientCommands: number;
  byService: Record<
    string,
    { roundTrips: number; clientCommands: number; cpuMs: number; byCommand: Record<string, number> }
  >;
  /** Server-side commands by name, highest first. */
  byCommand: Record<string, number>;
  /** CPU the clients (our services; the bench process for the bare chain) and redis-server used. */
  clientCpuMs: number;
  redisCpuMs: number;
}

/** `INFO commandstats` as calls by command name (the observer's own left out), and `INFO cpu`. */
async function commandStats(redis: RedisClient): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  // A cluster's masters, added up.
  let cpuSeconds = 0;
  for (const node of masters(redis)) {
    for (const line of (await node.info('commandstats')).split(/\r?\n/)) {
      const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
      if (match && !OBSERVER_COMMANDS.has(match[1] as string))
        stats.set(match[1] as string, (stats.get(match[1] as string) ?? 0) + Number(match[2]));
    }
    // The server's CPU (all its threads), as a pseudo-command for the delta.
    for (const line of (await node.info('cpu')).split(/\r?\n/)) {
      const match = /^used_cpu_(?:sys|user):([\d.]+)/.exec(line);
      if (match) cpuSeconds += Number(match[1]);
    }
  }
  stats.set(CPU_STAT, cpuSeconds * 1000);
  return stats;
}

const CPU_STAT = '(cpu ms)';

function cpuDelta(before: Map<string, number>, after: Map<string, number>): number {
  return (after.get(CPU_STAT) ?? 0) - (before.get(CPU_STAT) ?? 0);
}

function statsDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, calls] of after) {
    if (name === CPU_STAT) continue;
    const grown = calls - (before.get(name) ?? 0);
    if (grown > 0) delta[name] = grown;
  }
  return Object.fromEntries(Object.entries(delta).sort((a, b) => b[1] - a[1]));
}

function countsDelta(before: RoundTripCounts, after: RoundTripCounts) {
  const byCommand: Record<string, number> = {};
  let observer = 0;
  for (const [name, count] of Object.entries(after.byCommand)) {
    const grown = count - (before.byCommand[name] ?? 0);
    if (grown <= 0) continue;
    // Never pipelined: each of the observer's commands is one round trip of its own.
    if (OBSERVER_COMMANDS.has(name)) observer += grown;
    else byCommand[name] = grown;
  }
  return {
    roundTrips: after.roundTrips - before.roundTrips - observer,
    clientCommands: after.commands - before.commands - observer,
    cpuMs: after.cpuMs - before.cpuMs,
    byCommand: Object.fromEntries(Object.entries(byCommand).sort((a, b) => b[1] - a[1])),
  };
}

/** Asks each service process for its counts (SIGUSR2, service-probe.mjs) and waits for them. */
async function serviceCounts(
  processes: ServiceProcess[],
  dir: string,
): Promise<Map<string, RoundTripCounts>> {
  const counts = new Map<string, RoundTripCounts>();
  await Promise.all(
    processes.map(async (service) => {
      const pid = service.child.pid as number;
      const file = join(dir, `${pid}.json`);
      const previous = await readFile(file, 'utf8')
        .then((raw) => (JSON.parse(raw) as { snapshot: number }).snapshot)
        .catch(() => 0);
      service.child.kill('SIGUSR2');
      const deadline = performance.now() + 5_000;
      while (performance.now() < deadline) {
        const raw = await readFile(file, 'utf8').catch(() => undefined);
        const parsed = raw ? (JSON.parse(raw) as RoundTripCounts & { snapshot: number }) : undefined;
        if (parsed && parsed.snapshot > previous) {
          counts.set(service.name, parsed);
          return;
        }
        await sleep(20);
      }
      throw new Error(`${service.name} wrote no Redis counts: ${service.output()}`);
    }),
  );
  return counts;
}

const NO_COUNTS: RoundTripCounts = { roundTrips: 0, commands: 0, byCommand: {}, cpuMs: 0 };

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

/** Per stage over the burst: jobs, time waiting in the queue and running (p50/p90), last finish. */
interface StageTimes {
  queue: string;
  jobs: number;
  waitP50Ms: number;
  waitP90Ms: number;
  runP50Ms: number;
  runP90Ms: number;
  /** When its last job of the burst finished, from the burst's start. */
  lastFinishMs: number;
}

async function stageTimes(
  redis: RedisClient,
  prefixOf: QueuePrefix,
  queues: QueueName[],
  sinceEpochMs: number,
): Promise<StageTimes[]> {
  return Promise.all(
    queues.map(async (name) => {
      const queue = new Queue(name, { connection: redis, prefix: prefixOf(name) });
      try {
        const jobs = (await queue.getJobs(['completed'], 0, -1)).filter(
          (job) => job && job.timestamp >= sinceEpochMs && job.processedOn && job.finishedOn,
        );
        const waits = jobs.map((job) => (job.processedOn as number) - job.timestamp);
        const runs = jobs.map((job) => (job.finishedOn as number) - (job.processedOn as number));
        return {
          queue: name,
          jobs: jobs.length,
          waitP50Ms: percentile(waits, 50),
          waitP90Ms: percentile(waits, 90),
          runP50Ms: percentile(runs, 50),
          runP90Ms: percentile(runs, 90),
          lastFinishMs: Math.max(...jobs.map((job) => (job.finishedOn as number) - sinceEpochMs)),
        };
      } finally {
        await queue.close();
      }
    }),
  );
}

/** Bytes of the namespace's keys (MEMORY USAGE), split into state and queue keys. */
interface RedisMemory {
  stateBytes: number;
  stateKeys: number;
  /** Jobs of the downstream queues (calls-ready, calls-updated: kept 7 days). */
  downstreamQueueBytes: number;
  /** Jobs of the work queues (kept a day, at most 50,000 per queue). */
  workQueueBytes: number;
}

async function memoryOf(redis: RedisClient, namespace: string, prefixOf: QueuePrefix): Promise<RedisMemory> {
  const memory: RedisMemory = { stateBytes: 0, stateKeys: 0, downstreamQueueBytes: 0, workQueueBytes: 0 };
  const downstream = ['calls-ready', 'calls-updated'] as const;
  const downstreamPrefixes = downstream.map((queue) => `${prefixOf(queue)}:${queue}:`);
  const queueRoot = bullPrefix({ namespace });
  await scanKeys(redis, `${namespace}:*`, async (keys, node) => {
    const sizes = await keys.reduce((pipeline, key) => pipeline.memory('USAGE', key), node.pipeline()).exec();
    keys.forEach((key, index) => {
      const bytes = Number(sizes?.[index]?.[1] ?? 0);
      if (downstreamPrefixes.some((prefix) => key.startsWith(prefix))) memory.downstreamQueueBytes += bytes;
      else if (key.startsWith(`${queueRoot}:`)) memory.workQueueBytes += bytes;
      else {
        memory.stateBytes += bytes;
        memory.stateKeys += 1;
      }
    });
  });
  return memory;
}

interface ServicesRun {
  /** The services' Redis variables (REDIS_URL, or REDIS_CLUSTER_NODES too). */
  redisEnv: Record<string, string>;
  prefixOf: QueuePrefix;
  /** Also the steady run (the cluster and one-process runs are a burst only). */
  steady: boolean;
  /** Every stage in one process (`ingest up`, the single-machine mode) instead of four. */
  oneProcess?: boolean;
  /** REDIS_NAMESPACE for this run (default: the benchmark's own). */
  namespace?: string;
}

/** Our services, as processes; returns the per-run figures. */
async function runServices(ctx: BenchContext, redis: RedisClient, run: ServicesRun) {
  const { prefixOf } = run;
  const namespace = run.namespace ?? ctx.namespace;
  const root = await ctx.tempDir('e2e');
  const countDir = await ctx.tempDir('redis-counts');
  const profileDir = process.env['BENCH_E2E_CPU_PROF'];
  const dataDir = join(root, 'upload', 'data');
  // The metadata names no recording file: pairs go by name, as most customers' do.
  const { filename: _byReference, ...fields } = TEST_METADATA_FIELDS;
  const tenantsFile = await writeLocalTenantsFile(root, {
    id: TENANT,
    settleSeconds: 0,
    metadata: { fields },
  });
  const eventsConnection = redis.duplicate();
  const queueEvents = new QueueEvents('calls-ready', {
    connection: eventsConnection,
    prefix: prefixOf('calls-ready'),
  });
  await queueEvents.waitUntilReady();
  const addedAt = new Map<string, number>();
  watchAdded(queueEvents, addedAt);
  const nodeOptions = [process.env['NODE_OPTIONS'], `--import ${SERVICE_PROBE}`];
  const env = {
    ...run.redisEnv,
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    NODE_OPTIONS: nodeOptions.filter(Boolean).join(' '),
    REDIS_COUNT_DIR: countDir,
    ...(profileDir ? { BENCH_CPU_PROF_DIR: profileDir } : {}),
  };
  const processes: ServiceProcess[] = run.oneProcess
    ? [spawnScript(INGEST_MAIN, { ...env, STATUS_PORT: '0', STATUS_HOST: '127.0.0.1' }, ['up'], 'ingest up')]
    : SERVICES.map((name) => spawnService(name, env));
  if (profileDir) {
    await mkdir(profileDir, { recursive: true });
    const services = Object.fromEntries(processes.map((p) => [String(p.child.pid), p.name]));
    await writeFile(join(profileDir, 'services.json'), JSON.stringify(services, null, 2));
  }
  try {
    // Every service is up once a probe pair has gone through.
    const warm = stemOf('warm', 0);
    await dropPair(dataDir, warm);
    if ((await waitForAll([jobId(TENANT, warm)], addedAt)) !== 1)
      throw new Error(`the services did not start: ${processes.map((p) => p.output()).join('\n')}`);
    // Downstream consumers read the call document itself as job data (CONTRACT.md).
    const readyQueue = new Queue('calls-ready', { connection: redis, prefix: prefixOf('calls-ready') });
    const warmJob = await readyQueue.getJob(jobId(TENANT, warm));
    await readyQueue.close();
    if ((warmJob?.data as Call | undefined)?.id !== warm)
      throw new Error(`calls-ready job data is not the call: ${JSON.stringify(warmJob?.data)}`);

    ctx.log(`burst: ${BURST_PAIRS} pairs through the separate services`);
    const burstIds = Array.from({ length: BURST_PAIRS }, (_, i) => stemOf('burst', i));
    const [statsBefore, countsBefore] = await Promise.all([
      commandStats(redis),
      serviceCounts(processes, countDir),
    ]);
    const burstStart = performance.now();
    const burstStartEpoch = Date.now();
    await Promise.all(burstIds.map((stem) => dropPair(dataDir, stem)));
    const burstDone = await waitForAll(
      burstIds.map((stem) => jobId(TENANT, stem)),
      addedAt,
    );
    const burstEnd = Math.max(...burstIds.map((stem) => addedAt.get(jobId(TENANT, stem)) ?? 0));
    const burstPairsPerSec = perSecond(burstDone, burstEnd - burstStart);
    await sleep(COUNT_SETTLE_MS);
    const [statsAfter, countsAfter] = await Promise.all([
      commandStats(redis),
      serviceCounts(processes, countDir),
    ]);
    const work: RedisWork = {
      commands: 0,
      roundTrips: 0,
      clientCommands: 0,
      byService: {},
      byCommand: statsDelta(statsBefore, statsAfter),
      clientCpuMs: 0,
      redisCpuMs: cpuDelta(statsBefore, statsAfter),
    };
    work.commands = Object.values(work.byCommand).reduce((sum, calls) => sum + calls, 0);
    for (const [name, after] of countsAfter) {
      const delta = countsDelta(countsBefore.get(name) ?? NO_COUNTS, after);
      work.byService[name] = delta;
      work.roundTrips += delta.roundTrips;
      work.clientCommands += delta.clientCommands;
      work.clientCpuMs += delta.cpuMs;
    }
    const stages = await stageTimes(
      redis,
      prefixOf,
      ['intake-scan', 'media-probe', 'metadata-parse', 'call-match'],
      burstStartEpoch,
    );
    // What the burst left in Redis: every call's state, and its jobs (kept after completion).
    const memory = await memoryOf(redis, namespace, prefixOf);
    if (!run.steady)
      return { burstDone, burstPairsPerSec, steadyDone: 0, latencies: [], work, stages, memory };

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
    return { burstDone, burstPairsPerSec, steadyDone, latencies, work, stages, memory };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await queueEvents.close();
    eventsConnection.disconnect();
  }
}

/**
 * What a pair's files cost at the least when nothing may be lost: the WAV read, copied into the
 * archive (temporary name, fsync, rename, folder fsync) and moved to processed/; the JSON read,
 * parsed and moved. Synchronous metadata calls and asynchronous content I/O, as our storage does.
 */
function durableFileWork(dataDir: string, archiveDir: string) {
  const processedDir = join(dataDir, 'processed');
  return {
    async prepare(): Promise<void> {
      await mkdir(processedDir, { recursive: true });
      await mkdir(archiveDir, { recursive: true });
    },
    look(stem: string): void {
      lstatSync(join(dataDir, `${stem}.wav`));
      lstatSync(join(dataDir, `${stem}.json`));
    },
    async captureRecording(stem: string): Promise<void> {
      const name = `${stem}.wav`;
      const bytes = await readFile(join(dataDir, name));
      const temp = join(archiveDir, `${name}.tmp`);
      const file = await open(temp, 'wx');
      try {
        await file.write(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      renameSync(temp, join(archiveDir, name));
      const folder = await open(archiveDir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      renameSync(join(dataDir, name), join(processedDir, name));
    },
    async captureMetadata(stem: string): Promise<void> {
      const name = `${stem}.json`;
      JSON.parse(await readFile(join(dataDir, name), 'utf8'));
      renameSync(join(dataDir, name), join(processedDir, name));
    },
  };
}

/**
 * The bare chain: same hops and job counts per pair, handlers that only pass ids on; with
 * `files`, the handlers also do the durable file work (`durableFileWork`) on pairs dropped the
 * way the services' burst drops them.
 */
async function runBareChain(ctx: BenchContext, redis: RedisClient, options: { files?: boolean } = {}) {
  const prefix = `${bullPrefix({ namespace: ctx.namespace })}-bare${options.files ? '-files' : ''}`;
  const root = options.files ? await ctx.tempDir('e2e-bare-files') : undefined;
  const files = root ? durableFileWork(join(root, 'data'), join(root, 'archive')) : undefined;
  await files?.prepare();
  const connection = redis.duplicate();
  const queue = (name: string) => new Queue(name, { connection, prefix });
  const queues = {
    scan: queue('scan'),
    probe: queue('probe'),
    parse: queue('parse'),
    match: queue('match'),
    ready: queue('ready'),
  };
  const workerOptions = { connection, prefix, concurrency: CONCURRENCY };
  const workers = [
    new Worker(
      'scan',
      async (job: Job<{ stem: string }>) => {
        files?.look(job.data.stem);
        await queues.probe.add('probe', job.data, { jobId: `${job.data.stem}.wav` });
        await queues.parse.add('parse', job.data, { jobId: `${job.data.stem}.json` });
      },
      workerOptions,
    ),
    new Worker(
      'probe',
      async (job: Job<{ stem: string }>) => {
        await files?.captureRecording(job.data.stem);
        await queues.match.add('match', job.data, { jobId: `${job.id}` });
      },
      workerOptions,
    ),
    new Worker(
      'parse',
      async (job: Job<{ stem: string }>) => {
        await files?.captureMetadata(job.data.stem);
        await queues.match.add('match', job.data, { jobId: `${job.id}` });
      },
      workerOptions,
    ),
    // The second half of a pair makes the call ready; the deterministic id dedupes the first.
    new Worker(
      'match',
      async (job: Job<{ stem: string }>) =>
        void (await queues.ready.add('ready', job.data, { jobId: job.data.stem })),
      workerOptions,
    ),
  ];
  const eventsConnection = redis.duplicate();
  const queueEvents = new QueueEvents('ready', { connection: eventsConnection, prefix });
  await queueEvents.waitUntilReady();
  const addedAt = new Map<string, number>();
  watchAdded(queueEvents, addedAt);
  try {
    const burstIds = Array.from({ length: BURST_PAIRS }, (_, i) => `burst-${i}`);
    await Promise.all(Object.values(queues).map((q) => q.waitUntilReady()));
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    const [statsBefore, countsBefore] = [await commandStats(redis), roundTripCounts()];
    const burstStart = performance.now();
    await Promise.all(
      burstIds.map(async (stem) => {
        if (root) await dropPair(join(root, 'data'), stem);
        await queues.scan.add('scan', { stem }, { jobId: stem });
      }),
    );
    const burstDone = await waitForAll(burstIds, addedAt);
    const burstEnd = Math.max(...burstIds.map((id) => addedAt.get(id) ?? 0));
    const burstPairsPerSec = perSecond(burstDone, burstEnd - burstStart);
    await sleep(COUNT_SETTLE_MS);
    const [statsAfter, countsAfter] = [await commandStats(redis), roundTripCounts()];
    const delta = countsDelta(countsBefore, countsAfter);
    const byCommand = statsDelta(statsBefore, statsAfter);
    const work: RedisWork = {
      commands: Object.values(byCommand).reduce((sum, calls) => sum + calls, 0),
      roundTrips: delta.roundTrips,
      clientCommands: delta.clientCommands,
      byService: { 'bare chain': delta },
      byCommand,
      clientCpuMs: delta.cpuMs,
      redisCpuMs: cpuDelta(statsBefore, statsAfter),
    };

    const uploadedAt = new Map<string, number>();
    const steadyIds = Array.from({ length: STEADY_PAIRS }, (_, i) => `steady-${i}`);
    const steadyStart = performance.now();
    for (const [index, stem] of steadyIds.entries()) {
      const wait = steadyStart + (index * 1000) / STEADY_RATE - performance.now();
      if (wait > 0) await sleep(wait);
      uploadedAt.set(stem, performance.now());
      if (root) await dropPair(join(root, 'data'), stem);
      await queues.scan.add('scan', { stem }, { jobId: stem });
    }
    const steadyDone = await waitForAll(steadyIds, addedAt);
    const latencies = steadyIds.flatMap((id) => {
      const ready = addedAt.get(id);
      const uploaded = uploadedAt.get(id);
      return ready !== undefined && uploaded !== undefined ? [Math.max(0, ready - uploaded)] : [];
    });
    return { burstDone, burstPairsPerSec, steadyDone, latencies, work };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    await queueEvents.close();
    eventsConnection.disconnect();
    await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true }).then(() => q.close())));
    await connection.quit();
  }
}

type ServicesResult = Awaited<ReturnType<typeof runServices>>;

/** The same burst through every stage in one process (`ingest up`), in a namespace of its own. */
async function runInOneProcess(
  ctx: BenchContext,
  redis: RedisClient,
  endpoint: RedisEndpoint,
): Promise<ServicesResult> {
  ctx.log('ours again, every stage in one process (ingest up; burst only)');
  // Under the benchmark's namespace, so the harness removes it with the rest.
  const namespace = `${ctx.namespace}:one-process`;
  return runServices(ctx, redis, {
    redisEnv: { REDIS_URL: endpoint.url },
    prefixOf: queuePrefix({ namespace }),
    steady: false,
    oneProcess: true,
    namespace,
  });
}

/** The same burst through our services on a private Redis Cluster of 3 masters. */
async function runOnCluster(ctx: BenchContext): Promise<ServicesResult> {
  ctx.log('ours again, on a Redis Cluster of 3 masters (burst only)');
  const cluster = await startRedisCluster({ masters: 3 });
  const settings = cluster.settings(ctx.namespace);
  const redis = workerConnection(settings);
  try {
    return await runServices(ctx, redis, {
      redisEnv: { REDIS_URL: settings.url, REDIS_CLUSTER_NODES: cluster.nodesEnv },
      prefixOf: queuePrefix(settings),
      steady: false,
    });
  } finally {
    await redis.quit();
    await cluster.stop();
  }
}

/** Ours run another way (`other`) beside the standard run (`standard`), burst figures per pair. */
function comparisonTable(
  labels: { title: string; standard: string; throughput: string; redisCpu: string },
  standard: ServicesResult,
  other: ServicesResult,
): BenchTable {
  const per = (count: number, pairs: number) => (pairs > 0 ? count / pairs : Number.NaN);
  const perPairRow = (metric: string, unit: string, pick: (work: RedisWork) => number) => ({
    metric,
    unit,
    ours: per(pick(other.work), other.burstDone),
    baselines: [per(pick(standard.work), standard.burstDone)],
  });
  return {
    title: labels.title,
    baselines: [labels.standard],
    rows: [
      {
        metric: labels.throughput,
        unit: 'pairs/s',
        ours: other.burstPairsPerSec,
        baselines: [standard.burstPairsPerSec],
      },
      { metric: 'pairs ready', unit: 'count', ours: other.burstDone, baselines: [standard.burstDone] },
      perPairRow('Redis commands (server, scripts included)', 'per pair', (work) => work.commands),
      perPairRow('Redis round trips (clients)', 'per pair', (work) => work.roundTrips),
      perPairRow('services: CPU', 'ms', (work) => work.clientCpuMs),
      perPairRow(labels.redisCpu, 'ms', (work) => work.redisCpuMs),
    ],
  };
}

function clusterTable(single: ServicesResult, cluster: ServicesResult): BenchTable {
  return comparisonTable(
    {
      title: `burst of ${BURST_PAIRS} pairs: ours on one Redis and on a Redis Cluster of 3 masters (all on this machine's cores: the point is correctness and overhead, not speed-up)`,
      standard: '1 Redis',
      throughput: 'throughput on 3 masters',
      redisCpu: 'redis-server: CPU (all masters)',
    },
    single,
    cluster,
  );
}

function oneProcessTable(separate: ServicesResult, oneProcess: ServicesResult): BenchTable {
  return comparisonTable(
    {
      title: `burst of ${BURST_PAIRS} pairs: ours with every stage in one process (\`ingest up\`, the single-machine mode) and as four processes`,
      standard: '4 processes',
      throughput: 'throughput in one process',
      redisCpu: 'redis-server: CPU',
    },
    separate,
    oneProcess,
  );
}

// The capacity model's assumptions (README "Capacity"): what a platform sizes a cluster by.
const GB = 1e9;
/** State kept per call: retention keeps a call's keys this long. */
const STATE_DAYS = 30;
/** calls-ready and calls-updated keep completed jobs 7 days (producer.ts). */
const DOWNSTREAM_DAYS = 7;
/** Work queues keep completed jobs a day, at most this many per queue (producer.ts). */
const WORK_QUEUE_KEPT = 50_000;
/** A back-fill runs at this many times the day's average rate. */
const PEAK_FACTOR = 10;
/** Data per master: under a 13 GB node, with headroom for AOF rewrites and replication buffers. */
const MASTER_DATA_BYTES = 10 * GB;
/** Share of its one core (Redis runs commands on one thread) a master may spend at peak. */
const MASTER_CPU_SHARE = 0.5;
const CALLS_PER_DAY = [
  { label: '1M', calls: 1_000_000 },
  { label: '10M', calls: 10_000_000 },
];

interface CapacityPlan {
  label: string;
  callsPerDay: number;
  memoryBytes: number;
  peakCallsPerSecond: number;
  /** Cores of Redis's command thread needed at peak. */
  redisCores: number;
  mastersForMemory: number;
  mastersForCpu: number;
  masters: number;
}

/** From one Redis's burst figures: commands, CPU and bytes per call, and masters per volume. */
function capacityModel(single: ServicesResult) {
  const calls = Math.max(1, single.burstDone + 1);
  const commandsPerCall = single.work.commands / Math.max(1, single.burstDone);
  const redisCpuMsPerCall = single.work.redisCpuMs / Math.max(1, single.burstDone);
  const stateBytesPerCall = single.memory.stateBytes / calls;
  const downstreamBytesPerCall = single.memory.downstreamQueueBytes / calls;
  const workBytesPerCall = single.memory.workQueueBytes / calls;
  const plans: CapacityPlan[] = CALLS_PER_DAY.map(({ label, calls: callsPerDay }) => {
    const memoryBytes =
      callsPerDay * STATE_DAYS * stateBytesPerCall +
      callsPerDay * DOWNSTREAM_DAYS * downstreamBytesPerCall +
      Math.min(callsPerDay, WORK_QUEUE_KEPT) * workBytesPerCall;
    const peakCallsPerSecond = (callsPerDay / 86_400) * PEAK_FACTOR;
    const redisCores = (peakCallsPerSecond * redisCpuMsPerCall) / 1000;
    const mastersForMemory = Math.ceil(memoryBytes / MASTER_DATA_BYTES);
    const mastersForCpu = Math.ceil(redisCores / MASTER_CPU_SHARE);
    return {
      label,
      callsPerDay,
      memoryBytes,
      peakCallsPerSecond,
      redisCores,
      mastersForMemory,
      mastersForCpu,
      masters: Math.max(3, mastersForMemory, mastersForCpu),
    };
  });
  /** One tenant's keys share a slot, so one master: the calls/day whose 30 days of state fill it. */
  const tenantCallsPerDayCeiling = MASTER_DATA_BYTES / (STATE_DAYS * Math.max(1, stateBytesPerCall));
  return {
    commandsPerCall,
    redisCpuMsPerCall,
    stateBytesPerCall,
    downstreamBytesPerCall,
    workBytesPerCall,
    stateKeysPerCall: single.memory.stateKeys / calls,
    plans,
    tenantCallsPerDayCeiling,
  };
}

function capacityTable(capacity: ReturnType<typeof capacityModel>): BenchTable {
  return {
    title: `capacity model: measured per call on one Redis; masters for ${STATE_DAYS} days of state, peak ${PEAK_FACTOR}× the average rate, ${MASTER_DATA_BYTES / GB} GB of data and ${MASTER_CPU_SHARE * 100}% of a core per master`,
    baselines: ['masters for memory', 'masters for CPU'],
    rows: [
      {
        metric: 'Redis commands per call',
        unit: 'count',
        ours: capacity.commandsPerCall,
        baselines: [null, null],
      },
      {
        metric: 'redis-server CPU per call',
        unit: 'ms',
        ours: capacity.redisCpuMsPerCall,
        baselines: [null, null],
      },
      {
        metric: `state per call (${capacity.stateKeysPerCall.toFixed(1)} keys)`,
        unit: 'bytes',
        ours: capacity.stateBytesPerCall,
        baselines: [null, null],
      },
      {
        metric: 'calls-ready/-updated jobs per call (kept 7 days)',
        unit: 'bytes',
        ours: capacity.downstreamBytesPerCall,
        baselines: [null, null],
      },
      {
        metric: 'work-queue jobs per call (kept a day, 50k per queue)',
        unit: 'bytes',
        ours: capacity.workBytesPerCall,
        baselines: [null, null],
      },
      ...capacity.plans.flatMap((plan) => [
        {
          metric: `${plan.label} calls/day: masters (at least 3)`,
          unit: 'count',
          ours: plan.masters,
          baselines: [plan.mastersForMemory, plan.mastersForCpu],
        },
        {
          metric: `${plan.label} calls/day: data`,
          unit: 'GB',
          ours: plan.memoryBytes / GB,
          baselines: [null, null],
        },
        {
          metric: `${plan.label} calls/day: Redis cores at peak (${plan.peakCallsPerSecond.toFixed(0)} calls/s)`,
          unit: 'cores',
          ours: plan.redisCores,
          baselines: [null, null],
        },
      ]),
      {
        metric: "one tenant's ceiling (its keys share one master)",
        unit: 'calls/day',
        ours: capacity.tenantCallsPerDayCeiling,
        baselines: [null, null],
      },
    ],
  };
}

const benchmark: Benchmark = {
  name: 'e2e',
  description: `pairs/s and upload→calls-ready latency through the separate services, beside a bare BullMQ chain with the same hops`,
  async run(ctx) {
    const shared = process.env['BENCH_E2E_REDIS'] === 'shared';
    const endpoint: RedisEndpoint = shared ? { url: ctx.redisUrl } : await startPrivateRedis();
    const settings = { url: endpoint.url, namespace: ctx.namespace };
    const redis = workerConnection(settings);
    try {
      const ours = await runServices(ctx, redis, {
        redisEnv: { REDIS_URL: endpoint.url },
        prefixOf: queuePrefix(settings),
        steady: true,
      });
      ctx.log('bare BullMQ chain');
      const bare = await runBareChain(ctx, redis);
      ctx.log('bare BullMQ chain with the durable file work');
      const floor = await runBareChain(ctx, redis, { files: true });
      const onCluster = process.env['BENCH_E2E_CLUSTER'] === '0' ? undefined : await runOnCluster(ctx);
      const inOneProcess =
        process.env['BENCH_E2E_ONE_PROCESS'] === '0'
          ? undefined
          : await runInOneProcess(ctx, redis, endpoint);
      const perPair = (count: number, pairs: number) => (pairs > 0 ? count / pairs : Number.NaN);
      const redisRow = (metric: string, pick: (work: RedisWork) => number) => ({
        metric,
        unit: 'per pair',
        ours: perPair(pick(ours.work), ours.burstDone),
        baselines: [perPair(pick(bare.work), bare.burstDone), perPair(pick(floor.work), floor.burstDone)],
      });
      const topCommands = (work: RedisWork) =>
        Object.entries(work.byCommand)
          .slice(0, 12)
          .map(([name, calls]) => `${name} ${(calls / Math.max(1, BURST_PAIRS)).toFixed(1)}`)
          .join(', ');
      const serviceRows = Object.entries(ours.work.byService).flatMap(([name, counts]) => [
        {
          metric: `${name}: round trips (commands sent ${perPair(counts.clientCommands, ours.burstDone).toFixed(1)})`,
          unit: 'per pair',
          ours: perPair(counts.roundTrips, ours.burstDone),
          baselines: [null, null],
        },
        {
          metric: `${name}: CPU`,
          unit: 'ms',
          ours: perPair(counts.cpuMs, ours.burstDone),
          baselines: [null, null],
        },
      ]);
      const capacity = capacityModel(ours);
      const tables: BenchTable[] = [
        {
          title: `burst of ${BURST_PAIRS} WAV+JSON pairs through 4 service processes (concurrency ${CONCURRENCY})`,
          baselines: BURST_BASELINES,
          rows: [
            {
              metric: 'throughput',
              unit: 'pairs/s',
              ours: ours.burstPairsPerSec,
              baselines: [bare.burstPairsPerSec, floor.burstPairsPerSec],
            },
            {
              metric: 'pairs ready',
              unit: 'count',
              ours: ours.burstDone,
              baselines: [bare.burstDone, floor.burstDone],
            },
            redisRow('Redis commands (server, scripts included)', (work) => work.commands),
            redisRow('Redis round trips (clients)', (work) => work.roundTrips),
            redisRow('commands sent (clients)', (work) => work.clientCommands),
          ],
        },
        {
          title: 'burst, per pair, by service (the bare chains: all their workers in the bench process)',
          baselines: BURST_BASELINES,
          rows: [
            ...serviceRows,
            {
              metric: 'all services: CPU',
              unit: 'ms',
              ours: perPair(ours.work.clientCpuMs, ours.burstDone),
              baselines: [
                perPair(bare.work.clientCpuMs, bare.burstDone),
                perPair(floor.work.clientCpuMs, floor.burstDone),
              ],
            },
            {
              metric: 'redis-server: CPU',
              unit: 'ms',
              ours: perPair(ours.work.redisCpuMs, ours.burstDone),
              baselines: [
                perPair(bare.work.redisCpuMs, bare.burstDone),
                perPair(floor.work.redisCpuMs, floor.burstDone),
              ],
            },
          ],
        },
        {
          title: 'burst: each stage, its jobs in the queue (wait) and in the handler (run)',
          baselines: ['p90', 'last done'],
          rows: ours.stages.flatMap((stage) => [
            {
              metric: `${stage.queue}: ${stage.jobs} jobs, wait p50`,
              unit: 'ms',
              ours: stage.waitP50Ms,
              baselines: [stage.waitP90Ms, stage.lastFinishMs],
            },
            {
              metric: `${stage.queue}: run p50`,
              unit: 'ms',
              ours: stage.runP50Ms,
              baselines: [stage.runP90Ms, null],
            },
          ]),
        },
        ...(onCluster ? [clusterTable(ours, onCluster)] : []),
        ...(inOneProcess ? [oneProcessTable(ours, inOneProcess)] : []),
        capacityTable(capacity),
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
      const ratio = (a: number, b: number) =>
        Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
      const oursCommands = perPair(ours.work.commands, ours.burstDone);
      const bareCommands = perPair(bare.work.commands, bare.burstDone);
      const oursTrips = perPair(ours.work.roundTrips, ours.burstDone);
      const bareTrips = perPair(bare.work.roundTrips, bare.burstDone);
      return {
        tables,
        figures: {
          burstPairsPerSecond: ours.burstPairsPerSec,
          bareChainPairsPerSecond: bare.burstPairsPerSec,
          burstRatio: ratio(ours.burstPairsPerSec, bare.burstPairsPerSec),
          redisCommandsPerPair: oursCommands,
          bareRedisCommandsPerPair: bareCommands,
          redisCommandsRatio: ratio(oursCommands, bareCommands),
          roundTripsPerPair: oursTrips,
          bareRoundTripsPerPair: bareTrips,
          roundTripsRatio: ratio(oursTrips, bareTrips),
          cpuMsPerPair: perPair(ours.work.clientCpuMs, ours.burstDone),
          bareCpuMsPerPair: perPair(bare.work.clientCpuMs, bare.burstDone),
          redisCpuMsPerPair: perPair(ours.work.redisCpuMs, ours.burstDone),
          bareRedisCpuMsPerPair: perPair(bare.work.redisCpuMs, bare.burstDone),
          bareWithFilesPairsPerSecond: floor.burstPairsPerSec,
          bareWithFilesRatio: ratio(ours.burstPairsPerSec, floor.burstPairsPerSec),
          bareWithFilesCpuMsPerPair: perPair(floor.work.clientCpuMs, floor.burstDone),
          ...Object.fromEntries(
            Object.entries(ours.work.byService).map(([name, counts]) => [
              `roundTripsPerPair.${name}`,
              perPair(counts.roundTrips, ours.burstDone),
            ]),
          ),
          steadyP50Ms: percentile(ours.latencies, 50),
          steadyP99Ms: percentile(ours.latencies, 99),
          bareSteadyP99Ms: percentile(bare.latencies, 99),
          burstPairsReady: ours.burstDone,
          steadyPairsReady: ours.steadyDone,
          ...(onCluster
            ? {
                'cluster.burstPairsPerSecond': onCluster.burstPairsPerSec,
                'cluster.burstRatioToSingle': ratio(onCluster.burstPairsPerSec, ours.burstPairsPerSec),
                'cluster.redisCommandsPerPair': perPair(onCluster.work.commands, onCluster.burstDone),
                'cluster.roundTripsPerPair': perPair(onCluster.work.roundTrips, onCluster.burstDone),
                'cluster.cpuMsPerPair': perPair(onCluster.work.clientCpuMs, onCluster.burstDone),
                'cluster.pairsReady': onCluster.burstDone,
              }
            : {}),
          ...(inOneProcess
            ? {
                'oneProcess.burstPairsPerSecond': inOneProcess.burstPairsPerSec,
                'oneProcess.ratioToSeparate': ratio(inOneProcess.burstPairsPerSec, ours.burstPairsPerSec),
                'oneProcess.burstRatio': ratio(inOneProcess.burstPairsPerSec, bare.burstPairsPerSec),
                'oneProcess.cpuMsPerPair': perPair(inOneProcess.work.clientCpuMs, inOneProcess.burstDone),
                'oneProcess.roundTripsPerPair': perPair(inOneProcess.work.roundTrips, inOneProcess.burstDone),
                'oneProcess.pairsReady': inOneProcess.burstDone,
              }
            : {}),
          'capacity.redisCommandsPerCall': capacity.commandsPerCall,
          'capacity.redisCpuMsPerCall': capacity.redisCpuMsPerCall,
          'capacity.stateBytesPerCall': capacity.stateBytesPerCall,
          'capacity.downstreamQueueBytesPerCall': capacity.downstreamBytesPerCall,
          'capacity.workQueueBytesPerCall': capacity.workBytesPerCall,
          ...Object.fromEntries(
            capacity.plans.flatMap((plan) => [
              [`capacity.masters.${plan.label}`, plan.masters],
              [`capacity.memoryGB.${plan.label}`, plan.memoryBytes / 1e9],
            ]),
          ),
        },
        notes: [
          `Redis: ${shared ? "the harness's (BENCH_E2E_REDIS=shared): commandstats may include other clients' traffic" : 'a private redis-server started for this benchmark'}; counts cover the burst until ${COUNT_SETTLE_MS} ms after its last call is ready`,
          `ours, server commands per pair: ${topCommands(ours.work)}`,
          `bare, server commands per pair: ${topCommands(bare.work)}`,
          ...Object.entries(ours.work.byService).map(
            ([name, counts]) =>
              `${name}, commands sent per pair: ${Object.entries(counts.byCommand)
                .slice(0, 10)
                .map(([command, sent]) => `${command} ${(sent / Math.max(1, ours.burstDone)).toFixed(1)}`)
                .join(', ')}`,
          ),
          'ours: intake-watcher, media-prober, metadata-parser and matcher each as its own process (node + tsx), local tenant, settleSeconds 0, file events trigger scans',
          'ours includes what the bare chain skips: settling and classifying, probing and archiving each WAV, parsing and mapping each JSON, state writes, moving files to processed/',
          'bare chain: 4 BullMQ workers in the bench process; per pair a scan job, a probe and a parse job, two match jobs, one ready job',
          '+ durable files: the bare chain on pairs dropped as for ours, its handlers also doing what no design can skip: lstat both files; read the WAV, copy it into the archive (temporary name, fsync, rename, folder fsync) and move it to processed/; read, parse and move the JSON',
          `each run gives up after ${GIVE_UP_MS / 1000} s; "pairs ready" says how many made it`,
        ],
      };
    } finally {
      await redis.quit();
      await endpoint.stop?.();
    }
  },
};

export default benchmark;
