// Upload-to-enqueued latency of a local source: the real intake-watcher service runs in this
// process (file events, scan requests, the per-tenant scan lock, settling), files are written
// into data/ one at a time, and each file's wait is timed from writeFile resolving until its
// probe-recording job is added to media-probe (QueueEvents 'added'). The baseline is how long the
// operating system takes to tell anyone: a raw fs.watch on the same folder.
import { watch } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { jobId, workerConnection } from '@callintake/queues';
import { Runtime } from '@callintake/runtime';
import { startService } from '@callintake/services';
import { silentLogger } from '@callintake/telemetry';
import { localTenant } from '@callintake/testing';
import { fingerprintOf } from '@callintake/asset-lifecycle';
import {
  percentile,
  sleep,
  type Benchmark,
  type BenchContext,
  type BenchRow,
  type BenchTable,
} from './harness';

const FILES_PER_TENANT = 50;
const SPACING_MS = 200;
/** Past this a job counts as never enqueued (reported, not waited for). */
const GIVE_UP_MS = 15_000;
const TENANTS = [
  { id: 'settle-0', settleSeconds: 0 },
  { id: 'settle-1', settleSeconds: 1 },
] as const;
const CONTENT = Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1');

interface Upload {
  name: string;
  jobId: string;
  /** When writeFile was called: the fs.watch event usually arrives before it resolves. */
  writeCalledAt: number;
  writtenAt: number;
}

interface TenantRun {
  /** writeFile resolved → job added, per file enqueued in time. */
  enqueuedMs: number[];
  /** writeFile called → first fs.watch event naming the file. */
  watchMs: number[];
  missing: number;
}

function dataDirOf(root: string, tenantId: string): string {
  return join(root, tenantId, 'upload', 'data');
}

async function runTenant(
  ctx: BenchContext,
  tenantId: string,
  dataDir: string,
  addedAt: Map<string, number>,
): Promise<TenantRun> {
  const watchedAt = new Map<string, number>();
  const watcher = watch(dataDir, (_event, fileName) => {
    const at = performance.now();
    if (fileName && !watchedAt.has(fileName)) watchedAt.set(fileName, at);
  });
  const upload = async (name: string): Promise<Upload> => {
    const path = join(dataDir, name);
    const writeCalledAt = performance.now();
    await writeFile(path, CONTENT);
    const writtenAt = performance.now();
    const info = await stat(path);
    // The version id exactly as the scanner derives it from what it listed.
    const versionId = fingerprintOf({
      path: `data/${name}`,
      name,
      type: 'file',
      sizeBytes: info.size,
      modifiedAt: info.mtime,
    });
    return { name, writeCalledAt, writtenAt, jobId: jobId(tenantId, name, versionId) };
  };
  const enqueued = async (uploads: Upload[]) => {
    const deadline = performance.now() + GIVE_UP_MS;
    while (performance.now() < deadline && !uploads.every((item) => addedAt.has(item.jobId))) await sleep(5);
  };
  try {
    // Warm-up (not counted): the first scan compiles and loads what later scans reuse.
    await enqueued([await upload('20240312-101400_outbound_warmup.wav')]);

    const uploads: Upload[] = [];
    const start = performance.now();
    for (let index = 0; index < FILES_PER_TENANT; index++) {
      await sleep(Math.max(0, start + index * SPACING_MS - performance.now()));
      uploads.push(await upload(`20240312-101500_outbound_${index}.wav`));
    }
    await enqueued(uploads);
    ctx.log(`${tenantId}: ${uploads.length} files written ${SPACING_MS} ms apart`);

    const run: TenantRun = { enqueuedMs: [], watchMs: [], missing: 0 };
    for (const item of uploads) {
      const added = addedAt.get(item.jobId);
      if (added === undefined) run.missing++;
      else run.enqueuedMs.push(added - item.writtenAt);
      const watched = watchedAt.get(item.name);
      if (watched !== undefined) run.watchMs.push(watched - item.writeCalledAt);
    }
    return run;
  } finally {
    watcher.close();
  }
}

function latencyRows(ours: number[], baselines: number[][]): BenchRow[] {
  const row = (metric: string, pick: (values: number[]) => number): BenchRow => ({
    metric,
    unit: 'ms',
    ours: pick(ours),
    baselines: baselines.map((values) => (values.length ? pick(values) : null)),
  });
  return [
    row('p50', (values) => percentile(values, 50)),
    row('p95', (values) => percentile(values, 95)),
    row('max', (values) => Math.max(...values)),
    { metric: 'files timed', unit: 'count', ours: ours.length, baselines: baselines.map((v) => v.length) },
  ];
}

const bench: Benchmark = {
  name: 'latency',
  description: `upload → enqueued latency of a local source through the in-process intake-watcher: ${FILES_PER_TENANT} files per tenant, ${SPACING_MS} ms apart`,
  async run(ctx) {
    const root = await ctx.tempDir('latency');
    const tenants = TENANTS.map(({ id, settleSeconds }) =>
      localTenant(join(root, id), { id, settleSeconds }),
    );
    for (const tenant of tenants) await mkdir(dataDirOf(root, tenant.id), { recursive: true });

    const runtime = await Runtime.create({
      service: 'intake-watcher',
      env: { REDIS_URL: ctx.redisUrl, REDIS_NAMESPACE: ctx.namespace, LOG_LEVEL: 'silent' },
      tenants,
      logger: silentLogger(),
    });
    // QueueEvents blocks on its connection, so it gets its own.
    const eventsConnection = workerConnection(runtime.settings);
    const events = new QueueEvents('media-probe', {
      connection: eventsConnection,
      prefix: runtime.queuePrefix('media-probe'),
    });
    const addedAt = new Map<string, number>();
    events.on('added', ({ jobId: id }) => {
      if (!addedAt.has(id)) addedAt.set(id, performance.now());
    });
    let service: Awaited<ReturnType<typeof startService>> | undefined;
    try {
      await events.waitUntilReady();
      service = await startService('intake-watcher', runtime);
      const tables: BenchTable[] = [];
      const notes: string[] = [];
      for (const tenant of tenants) {
        const run = await runTenant(ctx, tenant.id, dataDirOf(root, tenant.id), addedAt);
        const watchLatency = run.watchMs;
        const settleMs = tenant.settleSeconds * 1000;
        const baselines = [watchLatency];
        const labels = ['fs.watch event'];
        if (settleMs > 0) {
          // No scanner can take a file sooner than the settle interval after it first sees it.
          baselines.push(watchLatency.map((ms) => ms + settleMs));
          labels.push(`fs.watch + ${tenant.settleSeconds} s settle`);
        }
        tables.push({
          title: `tenant settleSeconds ${tenant.settleSeconds}: writeFile resolved → probe-recording job added`,
          baselines: labels,
          rows: latencyRows(run.enqueuedMs, baselines),
        });
        if (run.missing)
          notes.push(`${tenant.id}: ${run.missing} files not enqueued within ${GIVE_UP_MS} ms`);
      }
      notes.push(
        "fs.watch is timed from the writeFile call, since its event (at the file's creation) usually arrives before writeFile resolves; ours is timed from writeFile resolving.",
        'ours runs the whole watcher path in this process: fs.watch → 100 ms event debounce → scan request job → worker → per-tenant scan lock → list data/ → settle check → record version → add job. Files stay in data/ (no prober runs), so every scan lists all earlier files too.',
      );
      return { tables, notes };
    } finally {
      await service?.stop();
      await events.close();
      await eventsConnection.quit();
      await runtime.close();
    }
  },
};

export default bench;
