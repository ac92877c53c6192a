// CRM batch ingestion: the ingest-crm-batch handler (streamed CSV, upserts pipelined 1,000 at a
// time) on a 1M-row contacts CSV, against raw papaparse of the same file.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { handleIngestCrmBatch } from '@callintake/crm-ingester';
import { fingerprintOf } from '@callintake/asset-lifecycle';
import { workerConnection } from '@callintake/queues';
import { StateStore, systemClock } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import { localTenant } from '@callintake/testing';
import { rawPapaparse, writeCsv } from './csv-bench-support';
import { perSecond, type Benchmark } from './harness';

const ROWS = Number(process.env['BENCH_CRM_ROWS'] ?? 1_000_000);

const bench: Benchmark = {
  name: 'crm',
  description: `CRM contacts CSV of ${ROWS.toLocaleString('en-US')} rows: ingest-crm-batch (upserts to Redis) vs raw papaparse`,
  async run(ctx) {
    const dir = await ctx.tempDir('crm');
    const upload = join(dir, 'upload');
    await mkdir(join(upload, 'data'), { recursive: true });
    const name = 'contacts_20240312T0800.csv';
    const path = join(upload, 'data', name);
    const bytes = await writeCsv(
      path,
      'id,name,email,phone,company',
      ROWS,
      (i) => `C-${i},Contact ${i},c${i}@example.com,+1555${String(i).padStart(7, '0')},Company ${i % 1000}`,
    );
    ctx.log(`setup: ${ROWS.toLocaleString('en-US')} rows, ${(bytes / 1024 ** 2).toFixed(0)} MiB`);

    const raw = await ctx.measure(() => rawPapaparse(path));
    const redis = workerConnection({ url: ctx.redisUrl, namespace: ctx.namespace });
    const state = new StateStore(redis, ctx.namespace, systemClock);
    const tenant = { ...localTenant(dir, { id: 'bench' }), source: { kind: 'local' as const, root: upload } };
    const area = new LocalUploadArea(upload);
    const entry = await area.stat(`data/${name}`);
    if (!entry) throw new Error('input missing');
    const { version } = await state.assets.recordVersion('bench', name, 'crm-batch', {
      versionId: fingerprintOf(entry),
      sizeBytes: entry.sizeBytes,
      modifiedAt: entry.modifiedAt.toISOString(),
      location: entry.path,
    });
    const ours = await ctx.measure(() =>
      handleIngestCrmBatch(
        { state, tenant: () => tenant, uploadArea: () => area },
        { tenantId: 'bench', fileName: name, versionId: version.versionId },
        { jobId: 'bench', attempt: 1, logger: silentLogger() },
      ),
    );
    const sample = await state.crm.get('bench', 'contacts', `C-${ROWS - 1}`);
    await redis.quit();
    return {
      tables: [
        {
          title: `ingest-crm-batch (${ROWS.toLocaleString('en-US')} rows upserted)`,
          baselines: ['raw papaparse (parse only)'],
          rows: [
            {
              metric: 'rows/s',
              unit: 'rows/s',
              ours: perSecond(ROWS, ours.ms),
              baselines: [perSecond(raw.value, raw.ms)],
            },
            { metric: 'time', unit: 'ms', ours: ours.ms, baselines: [raw.ms] },
            { metric: 'peak RSS', unit: 'bytes', ours: ours.peakRssBytes, baselines: [raw.peakRssBytes] },
            {
              metric: 'memory growth',
              unit: 'bytes',
              ours: ours.memoryGrowthBytes,
              baselines: [raw.memoryGrowthBytes],
            },
          ],
        },
      ],
      notes: [`last row stored: ${sample ? 'yes' : 'NO'}; upserts are pipelined 1,000 per round trip`],
    };
  },
};

export default bench;
