// scanSource over one local data/ folder of many small files (BENCH_SCAN_FILES, default
// 100,000): the first pass, which only records what it saw, and the pass after the settle
// interval, which records every file as an asset version and enqueues its job. The floor is what
// any scanner must do at least: list the folder and lstat every entry.
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanSource } from '@callintake/intake-watcher';
import { bullPrefix, JobProducer, workerConnection } from '@callintake/queues';
import { manualClock, StateStore } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import { localTenant } from '@callintake/testing';
import { forEachLimited, perSecond, type Benchmark, type BenchRow, type Measured } from './harness';

const FILE_COUNT = Number(process.env['BENCH_SCAN_FILES'] ?? 100_000);
const SETTLE_SECONDS = 5;
/** How many lstat calls the floor keeps in flight: enough to keep libuv's thread pool busy. */
const LSTAT_CONCURRENCY = 64;
const CONTENT = Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1');

function fileName(index: number): string {
  return `20240312-101500_outbound_${index}.wav`;
}

/** The floor: list the folder, then lstat every entry (size and mtime are needed to settle). */
async function readdirAndLstat(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  let files = 0;
  await forEachLimited(entries, LSTAT_CONCURRENCY, async (entry) => {
    const info = await lstat(join(dir, entry.name));
    if (info.isFile()) files++;
  });
  return files;
}

async function readdirOnly(dir: string): Promise<number> {
  return (await readdir(dir, { withFileTypes: true })).length;
}

function rows(ours: Measured<unknown>, floors: Array<Measured<number>>): BenchRow[] {
  return [
    { metric: 'time', unit: 'ms', ours: ours.ms, baselines: floors.map((floor) => floor.ms) },
    {
      metric: 'throughput',
      unit: 'files/s',
      ours: perSecond(FILE_COUNT, ours.ms),
      baselines: floors.map((floor) => perSecond(FILE_COUNT, floor.ms)),
    },
    {
      metric: 'peak RSS',
      unit: 'bytes',
      ours: ours.peakRssBytes,
      baselines: floors.map((floor) => floor.peakRssBytes),
    },
    {
      metric: 'memory growth',
      unit: 'bytes',
      ours: ours.memoryGrowthBytes,
      baselines: floors.map((floor) => floor.memoryGrowthBytes),
    },
  ];
}

const bench: Benchmark = {
  name: 'scan',
  description: `scanSource over a local data/ folder of ${FILE_COUNT.toLocaleString('en-US')} small files (BENCH_SCAN_FILES)`,
  async run(ctx) {
    if (!Number.isSafeInteger(FILE_COUNT) || FILE_COUNT < 1)
      throw new Error(`BENCH_SCAN_FILES must be a positive integer, got ${process.env['BENCH_SCAN_FILES']}`);
    const root = await ctx.tempDir('scan');
    const upload = join(root, 'upload');
    const data = join(upload, 'data');
    await mkdir(data, { recursive: true });

    const setup = await ctx.measure(() =>
      forEachLimited(
        Array.from({ length: FILE_COUNT }, (_, index) => index),
        64,
        (index) => writeFile(join(data, fileName(index)), CONTENT),
      ),
    );
    ctx.log(`setup: wrote ${FILE_COUNT.toLocaleString('en-US')} files in ${(setup.ms / 1000).toFixed(1)} s`);

    const tenant = localTenant(root, { id: 'bench-scan', settleSeconds: SETTLE_SECONDS });
    const redis = workerConnection({ url: ctx.redisUrl, namespace: ctx.namespace });
    const producer = new JobProducer(redis, bullPrefix({ namespace: ctx.namespace }));
    const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
    const state = new StateStore(redis, ctx.namespace, clock);
    const area = new LocalUploadArea(upload);
    const scan = () => scanSource({ tenant, area, state, producer, logger: silentLogger() });

    try {
      // Floors first, while the heap is small: they are the lighter parts, and RSS never shrinks
      // much once grown, so measuring them after ours would flatter neither.
      await readdirAndLstat(data); // warm-up: the same dentry/inode cache state for everyone
      const lstatFloor = await ctx.measure(() => readdirAndLstat(data));
      const readdirFloor = await ctx.measure(() => readdirOnly(data));
      ctx.log(
        `floors: readdir + lstat ${lstatFloor.ms.toFixed(0)} ms, readdir ${readdirFloor.ms.toFixed(0)} ms`,
      );

      const first = await ctx.measure(scan);
      if (first.value.settling !== FILE_COUNT)
        throw new Error(`first pass should leave every file settling: ${JSON.stringify(first.value)}`);
      ctx.log(`first pass: ${(first.ms / 1000).toFixed(2)} s`);

      clock.advance(SETTLE_SECONDS * 1000 + 1);
      const taking = await ctx.measure(scan);
      if (taking.value.enqueued !== FILE_COUNT)
        throw new Error(`the taking pass should enqueue every file: ${JSON.stringify(taking.value)}`);
      ctx.log(`taking pass: ${(taking.ms / 1000).toFixed(2)} s`);

      const queued = await producer.queue('media-probe').getJobCountByTypes('prioritized', 'waiting');
      const floors = [lstatFloor, readdirFloor];
      const baselines = [`readdir + lstat`, 'readdir alone'];
      return {
        tables: [
          {
            title: `(a) first scanSource pass: records ${FILE_COUNT.toLocaleString('en-US')} observations, takes nothing (settleSeconds ${SETTLE_SECONDS})`,
            baselines,
            rows: rows(first, floors),
          },
          {
            title: `(b) pass after the settle interval: ${FILE_COUNT.toLocaleString('en-US')} asset versions recorded, ${queued.toLocaleString('en-US')} media-probe jobs enqueued`,
            baselines,
            rows: rows(taking, floors),
          },
        ],
        notes: [
          `baselines: fs.promises.readdir(withFileTypes) of data/, then lstat of every entry ${LSTAT_CONCURRENCY} at a time; and readdir alone. Page and dentry caches are warm for every part.`,
          `order: floors, then (a), then (b), in one process; peak RSS includes what earlier parts left behind (RSS seldom shrinks); memory growth is the peak JS heap + external (Buffer) memory in use minus what was in use at the part's start, after a GC.`,
        ],
      };
    } finally {
      await producer.close();
      await redis.quit();
    }
  },
};

export default bench;
