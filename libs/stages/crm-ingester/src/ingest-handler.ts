// The `ingest-crm-batch` job: stream a CRM CSV and upsert its rows by tenant, type and id
// (a later row replaces the whole record; nothing is ever deleted). Bad rows are reported by
// line and skipped; a file with no good row is rejected.
import {
  completeAssetJob,
  errorReportPath,
  hashingStream,
  rejectAssetJob,
  startAssetJob,
  type AssetJobDeps,
} from '@callintake/asset-lifecycle';
import { readCrmRows } from '@callintake/records';
import { classifyFileName } from '@callintake/naming';
import type { AssetVersionJob, JobContext } from '@callintake/queues';
import { RejectionError, type Reason } from '@callintake/schemas';

const UPSERT_BATCH = 1_000;
const MAX_ROW_WARNINGS = 100;

export async function handleIngestCrmBatch(
  deps: AssetJobDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  const work = await startAssetJob(deps, job);
  if (!work) return;
  const { tenant, asset } = work;
  const { crmType } = classifyFileName(asset.name);
  if (!crmType) {
    await rejectAssetJob(deps, work, {
      code: 'unknown-object-type',
      message: `"${asset.name}" does not start with contacts, leads, opportunities, cases or accounts`,
    });
    return;
  }
  const { stream, sha256 } = hashingStream(await work.area.openRead(work.location));
  const rejectedRows: Reason[] = [];
  let batch: Array<{ id: string; record: Record<string, string> }> = [];
  let upserted = 0;
  try {
    for await (const row of readCrmRows(stream, tenant.crm.idColumn)) {
      if ('reason' in row) {
        rejectedRows.push(row.reason);
        continue;
      }
      batch.push({ id: row.id, record: row.record });
      if (batch.length >= UPSERT_BATCH) {
        await deps.state.crm.upsertMany(tenant.id, crmType, batch);
        upserted += batch.length;
        batch = [];
      }
    }
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    await rejectAssetJob(deps, work, error.reason);
    return;
  }
  await deps.state.crm.upsertMany(tenant.id, crmType, batch);
  upserted += batch.length;
  if (upserted === 0 && rejectedRows.length > 0) {
    await rejectAssetJob(deps, work, rejectedRows[0] as Reason);
    return;
  }
  if (rejectedRows.length > 0) {
    await work.area.writeFile(
      errorReportPath(asset.name),
      JSON.stringify(
        { file: asset.name, version: work.version.number, acceptedRows: upserted, rejectedRows },
        null,
        2,
      ) + '\n',
    );
  }
  context.logger.info(
    { tenant: tenant.id, file: asset.name, type: crmType, upserted, rejected: rejectedRows.length },
    'CRM batch ingested',
  );
  await completeAssetJob(deps, work, {
    sha256: sha256(),
    warnings: rejectedRows.slice(0, MAX_ROW_WARNINGS),
    rejectedRows,
  });
}
