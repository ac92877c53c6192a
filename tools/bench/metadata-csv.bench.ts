// Batch call metadata CSV: the parse handler's per-row path (the file streamed from the upload
// area through the content hash, rows read, mapped with the tenant's typed mapping, made into
// records with their pairing keys: readBatchRecords, exactly what handleParseMetadata iterates)
// against raw papaparse on the same file; and the whole parse-metadata handler (rows stored in
// Redis, one match job per row) on a smaller file.
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintOf, hashingStream } from '@callintake/asset-lifecycle';
import { handleParseMetadata } from '@callintake/metadata-parser';
import { readBatchRecords, readCsvRows } from '@callintake/records';
import { bullPrefix, JobProducer, workerConnection } from '@callintake/queues';
import { StateStore, systemClock } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import { localTenant } from '@callintake/testing';
import { rawPapaparse, writeCsv } from './csv-bench-support';
import { perSecond, type Benchmark, type BenchRow, type Measured } from './harness';

const ROWS = Number(process.env['BENCH_CSV_ROWS'] ?? 1_000_000);
const HANDLER_ROWS = Number(process.env['BENCH_CSV_HANDLER_ROWS'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_CSV_ROUNDS'] ?? 2);
const HEADER = 'datetime,email,filename,direction,duration,disposition,notes';
const row = (i: number) =>
  `2024-03-12T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z,rep${i % 500}@example.com,sftp/rec/20240312-0900${String(i % 60).padStart(2, '0')}_out_${i}.wav,${i % 2 ? 'outbound' : 'inbound'},${i % 900},connected,"note ${i}, with a comma"`;

/** The fastest of several runs, with the highest peak RSS and memory growth among them. */
function fastest(runs: Array<Measured<number>>): Measured<number> {
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return {
    ...best,
    peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
    memoryGrowthBytes: Math.max(...runs.map((run) => run.memoryGrowthBytes)),
  };
}

const bench: Benchmark = {
  name: 'metadata-csv',
  description: `batch metadata CSV of ${ROWS.toLocaleString('en-US')} rows: the parse handler's per-row path (readBatchRecords) vs raw papaparse; the full handler on ${HANDLER_ROWS.toLocaleString('en-US')} rows`,
  async run(ctx) {
    const dir = await ctx.tempDir('metadata-csv');
    const tenant = localTenant(dir, {
      id: 'bench',
      metadata: {
        fields: {
          datetime: { to: 'callTime', type: 'datetime' },
          email: { to: 'userId' },
          filename: { to: 'recordingFile' },
          direction: { to: 'direction' },
          duration: { to: 'durationSec', type: 'integer' },
        },
      },
    });
    const bigArea = new LocalUploadArea(dir);
    await mkdir(join(dir, 'data'), { recursive: true });
    const big = join(dir, 'data', 'batch_big.csv');
    const bytes = await writeCsv(big, HEADER, ROWS, row);
    ctx.log(`setup: ${ROWS.toLocaleString('en-US')} rows, ${(bytes / 1024 ** 2).toFixed(0)} MiB`);

    const ourPath = async () => {
      // As parseBatch does it: the upload area's stream, hashed as it is read.
      const hashed = hashingStream(await bigArea.openRead('data/batch_big.csv'));
      const file = { tenant, fileName: 'batch_big.csv', version: 1, receivedAt: new Date().toISOString() };
      let rows = 0;
      let records = 0;
      for await (const batch of readBatchRecords(hashed.stream, file)) {
        rows += batch.length;
        for (const parsed of batch) if ('record' in parsed) records++;
      }
      if (records !== ROWS || hashed.sha256().length !== 64) throw new Error(`only ${records} records`);
      return rows;
    };
    const readerPath = async () => {
      let rows = 0;
      for await (const _ of readCsvRows(createReadStream(big, { encoding: 'utf8' }))) rows++;
      return rows;
    };
    // Each is measured ROUNDS times, interleaved, and its fastest run kept (peak RSS: the highest
    // of its runs), so neither side is timed only while the JIT is still cold.
    const runs: Record<'ours' | 'readerOnly' | 'raw', Array<Measured<number>>> = {
      ours: [],
      readerOnly: [],
      raw: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      runs.raw.push(await ctx.measure(() => rawPapaparse(big)));
      runs.ours.push(await ctx.measure(ourPath));
      runs.readerOnly.push(await ctx.measure(readerPath));
    }
    const [ours, readerOnly, raw] = [runs.ours, runs.readerOnly, runs.raw].map(fastest) as [
      Measured<number>,
      Measured<number>,
      Measured<number>,
    ];
    ctx.log(
      `rows/s per round: ${(['ours', 'raw'] as const)
        .map(
          (side) => `${side} ${runs[side].map((run) => Math.round(perSecond(run.value, run.ms))).join(', ')}`,
        )
        .join('; ')}`,
    );

    // The whole handler: rows stored (pipelined) and match jobs added in bulk.
    const upload = join(dir, 'upload');
    const name = 'batch_handler.csv';
    await mkdir(join(upload, 'data'), { recursive: true });
    await writeCsv(join(upload, 'data', name), HEADER, HANDLER_ROWS, row);
    const redis = workerConnection({ url: ctx.redisUrl, namespace: ctx.namespace });
    const state = new StateStore(redis, ctx.namespace, systemClock);
    const producer = new JobProducer(redis, bullPrefix({ namespace: ctx.namespace }));
    const handlerTenant = { ...tenant, source: { kind: 'local' as const, root: upload } };
    const area = new LocalUploadArea(upload);
    const entry = await area.stat(`data/${name}`);
    if (!entry) throw new Error('handler input missing');
    const { version } = await state.assets.recordVersion('bench', name, 'call-metadata', {
      versionId: fingerprintOf(entry),
      sizeBytes: entry.sizeBytes,
      modifiedAt: entry.modifiedAt.toISOString(),
      location: entry.path,
    });
    const handler = await ctx.measure(() =>
      handleParseMetadata(
        { state, producer, tenant: () => handlerTenant, uploadArea: () => area },
        { tenantId: 'bench', fileName: name, versionId: version.versionId },
        { jobId: 'bench', attempt: 1, logger: silentLogger() },
      ),
    );
    const stored = await redis.eval(
      `return #redis.call('KEYS', ARGV[1])`,
      0,
      `${ctx.namespace}:t:bench:metadata:*`,
    );
    await producer.close();
    await redis.quit();

    const table = (
      title: string,
      mine: Measured<unknown>,
      rows: number,
      baselines: Array<Measured<number>>,
      labels: string[],
    ) => ({
      title,
      baselines: labels,
      rows: [
        {
          metric: 'rows/s',
          unit: 'rows/s',
          ours: perSecond(rows, mine.ms),
          baselines: baselines.map((b) => perSecond(b.value, b.ms)),
        },
        { metric: 'time', unit: 'ms', ours: mine.ms, baselines: baselines.map((b) => b.ms) },
        {
          metric: 'peak RSS',
          unit: 'bytes',
          ours: mine.peakRssBytes,
          baselines: baselines.map((b) => b.peakRssBytes),
        },
        {
          metric: 'memory growth',
          unit: 'bytes',
          ours: mine.memoryGrowthBytes,
          baselines: baselines.map((b) => b.memoryGrowthBytes),
        },
      ] satisfies BenchRow[],
    });
    return {
      tables: [
        table(
          `handler per-row path: read, hash, map, records with pairing keys (${ROWS.toLocaleString('en-US')} rows)`,
          ours,
          ours.value,
          [raw, readerOnly],
          ['raw papaparse', 'readCsvRows only'],
        ),
        table(
          `parse-metadata handler (${HANDLER_ROWS.toLocaleString('en-US')} rows: stored + match jobs)`,
          handler,
          HANDLER_ROWS,
          [],
          [],
        ),
      ],
      notes: [
        `ours: readBatchRecords over the upload area's stream through hashingStream, as handleParseMetadata runs it (storing is measured by the handler table)`,
        `raw papaparse: Papa.parse over fs.createReadStream(utf8) with a step callback that only counts rows; the issue asks ours >= 50% of its row rate with peak RSS < 256 MiB`,
        `the 1M-row figures are the fastest of ${ROUNDS} interleaved runs each (raw, ours, readCsvRows); peak RSS is the highest of the runs`,
        `handler stored ${String(stored)} metadata records`,
      ],
    };
  },
};

export default bench;
