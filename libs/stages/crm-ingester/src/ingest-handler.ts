// The `ingest-crm-batch` job: stream a CRM CSV and upsert its rows by tenant, type and id
// (a later row replaces the whole record; nothing is ever deleted). Bad rows are reported by
// line and skipped; a file with no good row is rejected.
import {
  hashingStream,
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import { classifyFileName } from '@callintake/naming';
import type { AssetVersionJob, JobContext } from '@callintake/queues';
import { readCrmRows } from '@callintake/records';
import { RejectionError, type Reason } from '@callintake/schemas';

const UPSERT_BATCH = 1_000;

export function handleIngestCrmBatch(
  deps: RunAssetJobDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  return runAssetJob(deps, job, context, (work) => captureCrmBatch(deps, work, context));
}

async function captureCrmBatch(
  deps: RunAssetJobDeps,
  work: AssetWork,
  context: JobContext,
): Promise<Captured> {
  const { tenant, asset } = work;
  const { crmType } = classifyFileName(asset.name);
  if (!crmType) {
    throw new RejectionError({
      code: 'unknown-object-type',
      message: `"${asset.name}" does not start with contacts, leads, opportunities, cases or accounts`,
    });
  }
  const { stream, sha256 } = hashingStream(await work.area.openRead(work.location));
  const rejectedRows: Reason[] = [];
  let batch: Array<{ id: string; record: Record<string, string> }> = [];
  let upserted = 0;
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
  await deps.state.crm.upsertMany(tenant.id, crmType, batch);
  upserted += batch.length;
  if (upserted === 0 && rejectedRows.length > 0) throw new RejectionError(rejectedRows[0] as Reason);
  context.logger.info(
    { tenant: tenant.id, file: asset.name, type: crmType, upserted, rejected: rejectedRows.length },
    'CRM batch ingested',
  );
  return { sha256: sha256(), rejectedRows, acceptedRows: upserted };
}
