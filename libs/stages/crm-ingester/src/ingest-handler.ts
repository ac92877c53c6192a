// The `ingest-crm-batch` job: stream a CRM CSV and upsert its rows by tenant, type and id
// (a later row replaces the whole record; nothing is ever deleted). Bad rows are reported by
// line and skipped; a file with no good row is rejected.
import {
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import type { AssetVersionJob, JobContext } from '@callintake/queues';
import { judgeCrmBatch } from './judge-crm';

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
  // Throws RejectionError for a batch we cannot take: the template rejects the file.
  const judged = await judgeCrmBatch(
    { open: () => work.area.openRead(work.location) },
    asset.name,
    tenant,
    (type, objects) => deps.state.crm.upsertMany(tenant.id, type, objects),
  );
  context.logger.info(
    {
      tenant: tenant.id,
      file: asset.name,
      type: judged.type,
      upserted: judged.acceptedRows,
      rejected: judged.rejectedRows.length,
    },
    'CRM batch ingested',
  );
  return { sha256: judged.sha256, rejectedRows: judged.rejectedRows, acceptedRows: judged.acceptedRows };
}
