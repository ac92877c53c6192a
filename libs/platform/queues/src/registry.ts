// The one place that declares every queue, every job name and every payload type.
// A handler's payload type follows from its job name; queue names are public for SREs
// (scaling on depth) and downstream consumers (`calls-ready`, `calls-updated`): never rename one.
import type { Call, CrmObjectType, Reason } from '@callintake/schemas';
import type { TraceCarrier } from '@callintake/telemetry';

export const QUEUE_NAMES = [
  'intake-scan',
  'media-probe',
  'metadata-parse',
  'crm-ingest',
  'call-match',
  'retention',
  'calls-ready',
  'calls-updated',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Identifies one uploaded version of one file. Small on purpose: workers read the rest from state. */
export interface AssetVersionJob {
  tenantId: string;
  fileName: string;
  versionId: string;
}

export interface JobPayloads {
  /** List a tenant's upload area and hand settled files on. */
  'scan-source': { tenantId: string };
  'probe-recording': AssetVersionJob;
  'parse-metadata': AssetVersionJob;
  'ingest-crm-batch': AssetVersionJob;
  /** Pair one captured recording or metadata record with its counterpart. */
  'match-recording': { tenantId: string; fileName: string };
  'match-metadata': { tenantId: string; recordId: string };
  /**
   * A CRM object the call waited for (record null) was stored: resolve the call's CRM links
   * again (late CRM resolution). The object says which arrival queued it.
   */
  'refresh-call-crm': { tenantId: string; callId: string; objectType: CrmObjectType; objectId: string };
  /**
   * A person chose the pair (status API `POST …/calls/:callId/pair`): this recording with this
   * metadata record, whatever fuzzy pairing found. `callId` is the call they named.
   */
  'pair-by-hand': { tenantId: string; callId: string; recordingFile: string; recordId: string };
  /**
   * A recording or metadata file was rejected: the call waiting for it says why
   * (`statusReason`), now and whenever it is assembled later.
   */
  'note-rejection': {
    tenantId: string;
    fileName: string;
    kind: 'recording' | 'metadata';
    reason: Reason;
  };
  /** Purge old upload-area files; expire recordings and ambiguous calls that waited too long. */
  'sweep-tenant': { tenantId: string };
  /** Downstream: the full call document (CONTRACT.md). */
  'call-ready': Call;
  'call-updated': Call;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE = {
  'scan-source': 'intake-scan',
  'probe-recording': 'media-probe',
  'parse-metadata': 'metadata-parse',
  'ingest-crm-batch': 'crm-ingest',
  'match-recording': 'call-match',
  'match-metadata': 'call-match',
  'pair-by-hand': 'call-match',
  'note-rejection': 'call-match',
  'refresh-call-crm': 'call-match',
  'sweep-tenant': 'retention',
  'call-ready': 'calls-ready',
  'call-updated': 'calls-updated',
} as const satisfies { [J in JobName]: QueueName };

/** Job names whose queue is Q. */
export type JobsOf<Q extends QueueName> = {
  [J in JobName]: (typeof JOB_QUEUE)[J] extends Q ? J : never;
}[JobName];

/**
 * Job data is the payload itself, on every queue: downstream consumers read the call document
 * as `job.data` (CONTRACT.md). The enqueuer's trace context travels beside it, in BullMQ's own
 * job option `opts.telemetry.metadata`, as the JSON of a W3C carrier (`traceparent`,
 * `tracestate`); see `traceCarrierOf`.
 */
export type JobData<J extends JobName> = JobPayloads[J];

/**
 * Jobs written before job data became the bare payload: `{ payload, trace }`. Workers still
 * read them, so internal jobs queued across an upgrade are not lost.
 */
export interface LegacyEnvelope {
  payload: unknown;
  trace?: TraceCarrier;
}

export function jobNamesOf(queue: QueueName): JobName[] {
  return (Object.keys(JOB_QUEUE) as JobName[]).filter((name) => JOB_QUEUE[name] === queue);
}

/**
 * BullMQ job ids may not contain ':' (its key separator); file names may. Percent-encode
 * only what must be, so ids stay readable in dashboards.
 */
export function jobIdPart(value: string): string {
  return value.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export function jobId(...parts: string[]): string {
  return parts.map(jobIdPart).join('/');
}
