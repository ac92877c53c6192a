// Every job's id and options, by job name, in one place (immich's getJobOptions, typed). Ids are
// deterministic so every add is idempotent: BullMQ ignores an add whose id exists. Keep the id
// shapes: they are documented (README "Queues") and dashboards and consumers rely on them.
import type { Call, CrmObjectType } from '@callintake/schemas';
import type { AddOptions } from './producer';
import { jobId, type AssetVersionJob, type JobName } from './registry';

/** CRM batches go first under backlog (SPEC "Priority lane"); 1 is the most urgent. */
export const JOB_PRIORITY = {
  'ingest-crm-batch': 1,
  'parse-metadata': 2,
  'probe-recording': 2,
} as const satisfies Partial<Record<JobName, number>>;

/** Requests due within the same window share one job, so a burst of file events costs one scan. */
export const SCAN_REQUEST_WINDOW_MS = 250;

export const jobOptions = {
  /**
   * A scan asked for soon. Dropped once done, so its id dedupes only while a scan is still
   * pending and never swallows a later request.
   */
  scanRequest(tenantId: string, dueAtMs: number, delayMs: number): AddOptions {
    return {
      jobId: jobId('scan', tenantId, String(Math.ceil(dueAtMs / SCAN_REQUEST_WINDOW_MS))),
      delayMs,
      removeOnComplete: true,
    };
  },
  /** Scheduler ids of the repeating jobs. */
  scanScheduler: (tenantId: string): string => jobId('scan', tenantId),
  sweepScheduler: (tenantId: string): string => jobId('sweep', tenantId),

  /**
   * One uploaded version of one file, for the stage its kind goes to. A retried version's jobs
   * carry `r<n>`: new ids, so the failed job of an earlier try (kept 14 days) never blocks one.
   */
  assetVersion(
    name: keyof typeof JOB_PRIORITY,
    job: AssetVersionJob,
    retries = 0,
  ): AddOptions & { priority: number } {
    const parts = [job.tenantId, job.fileName, job.versionId, ...(retries > 0 ? [`r${retries}`] : [])];
    return { jobId: jobId(...parts), priority: JOB_PRIORITY[name] };
  },
  /** A captured recording version, handed to the matcher. */
  matchRecording: (tenantId: string, fileName: string, versionId: string): AddOptions => ({
    jobId: jobId(tenantId, fileName, versionId),
  }),
  /** A recording another connector registered through the status API. */
  matchRegisteredRecording: (tenantId: string, externalId: string): AddOptions => ({
    jobId: jobId(tenantId, 'registered', externalId),
  }),
  /** One version of a metadata record. */
  matchMetadata: (tenantId: string, recordId: string, version: number): AddOptions => ({
    jobId: jobId(tenantId, recordId, `v${version}`),
  }),
  /** A waiting record judged again because a pair changed its candidates. */
  matchMetadataAfterPair: (
    tenantId: string,
    recordId: string,
    recordingFile: string,
    pairedRecordId: string,
  ) => ({
    jobId: jobId(tenantId, recordId, 'after-pair', recordingFile, pairedRecordId),
  }),
  /**
   * A call's CRM links resolved again because an object it waited for arrived in one version of
   * a CRM batch: a retried batch re-queues the same ids, a later upload of the object new ones.
   */
  refreshCallCrm: (
    tenantId: string,
    callId: string,
    object: { type: CrmObjectType; id: string },
    batchVersionId: string,
  ): AddOptions => ({
    jobId: jobId(tenantId, callId, 'crm', object.type, object.id, batchVersionId),
  }),
  /** One pair a person asked for: asking again for the same pair queues nothing new. */
  pairByHand: (tenantId: string, recordingFile: string, recordId: string): AddOptions => ({
    jobId: jobId(tenantId, 'pair-by-hand', recordingFile, recordId),
  }),
  /** One per rejected version: a redelivered rejection queues nothing new. */
  noteRejection: (tenantId: string, fileName: string, versionId: string): AddOptions => ({
    jobId: jobId(tenantId, fileName, versionId, 'rejected'),
  }),
  callReady: (call: Pick<Call, 'tenantId' | 'id'>): AddOptions => ({ jobId: jobId(call.tenantId, call.id) }),
  callUpdated: (call: Pick<Call, 'tenantId' | 'id' | 'version'>): AddOptions => ({
    jobId: jobId(call.tenantId, call.id, `v${call.version}`),
  }),
};
