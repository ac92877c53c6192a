// The `ingest-crm-batch` job: stream a CRM CSV and upsert its rows by tenant, type and id
// (a later row replaces the whole record; nothing is ever deleted). Bad rows are reported by
// line and skipped; a file with no good row is rejected. Calls that waited for an object of the
// batch (late CRM resolution) get a `refresh-call-crm` job for it.
import {
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import { jobOptions, type AssetVersionJob, type JobContext } from '@callintake/queues';
import type { CrmObjectType } from '@callintake/schemas';
import { judgeCrmBatch, type CrmObject } from './judge-crm';

const DAY_MS = 86_400_000;

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
    async (type, objects) => {
      await deps.state.crm.upsertMany(tenant.id, type, objects);
      await queueWaitingCalls(deps, work, type, objects);
    },
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

/**
 * Late CRM resolution: after a chunk is stored, the calls that wait for one of its objects
 * (registered within the tenant's `crm.lateResolveDays`) are found in one pipelined round trip
 * and each gets a `refresh-call-crm` job. Queued before the job ends, so a crash re-runs the
 * batch and queues them again under the same ids (the batch version is in them).
 */
async function queueWaitingCalls(
  deps: RunAssetJobDeps,
  work: AssetWork,
  type: CrmObjectType,
  objects: CrmObject[],
): Promise<void> {
  const { tenant, version } = work;
  const sinceMs = deps.state.clock.now().getTime() - tenant.crm.lateResolveDays * DAY_MS;
  const ids = [...new Set(objects.map((object) => object.id))];
  const waiting = await deps.state.crmWaiting.waitingFor(tenant.id, type, ids, sinceMs);
  if (waiting.size === 0) return;
  if (!deps.producer)
    throw new Error(
      'calls wait for CRM objects of this batch but the stage gave the CRM handler no producer',
    );
  const jobs = [...waiting].flatMap(([objectId, callIds]) =>
    callIds.map((callId) => ({
      payload: { tenantId: tenant.id, callId, objectType: type, objectId },
      options: jobOptions.refreshCallCrm(tenant.id, callId, { type, id: objectId }, version.versionId),
    })),
  );
  await deps.producer.addMany('refresh-call-crm', jobs);
}
