// The `match-recording` and `match-metadata` jobs. Both sides meet at one pairing key (the
// recording's lower-cased stem) under a short lock, so the order of arrival, redelivery and
// concurrent matcher replicas all end in one call per recording.
import { pairingKey, referenceBaseName, splitExtension, stemKey } from '@callintake/naming';
import {
  jobId,
  PermanentJobError,
  RetryLaterError,
  type JobContext,
  type JobProducer,
} from '@callintake/queues';
import {
  CRM_REFERENCE_FIELDS,
  type Call,
  type CrmReferenceField,
  type MatchMethod,
  type TenantConfig,
} from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord, StateStore } from '@callintake/state';
import { buildCall } from './build-call';
import { resolveCrmLinks } from './crm-links';

export interface MatchDeps {
  state: StateStore;
  producer: JobProducer;
  tenant(tenantId: string): TenantConfig | undefined;
}

function tenantOf(deps: MatchDeps, tenantId: string): TenantConfig {
  const tenant = deps.tenant(tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${tenantId}`);
  return tenant;
}

/** Where a metadata record meets its recording: what it references, else its own name. */
export function meetingStem(record: MetadataRecord): { stem: string; method: MatchMethod } | undefined {
  const reference = record.canonical.recordingFile
    ? referenceBaseName(record.canonical.recordingFile)
    : undefined;
  if (reference?.ok) {
    const stem = pairingKey(reference.baseName);
    const ownStem = record.line === undefined ? pairingKey(record.fileName) : undefined;
    return { stem, method: stem === ownStem ? 'name' : 'reference' };
  }
  if (record.line === undefined || record.recordId === record.fileName)
    return { stem: pairingKey(record.fileName), method: 'name' };
  return undefined;
}

/** Call id (CONTRACT): the recording's name without extension; metadata-only: its external id. */
function callIdFor(recording: RecordingRecord | null, metadata: MetadataRecord | null): string {
  if (recording)
    return recording.origin === 'registered' ? recording.fileName : splitExtension(recording.fileName).stem;
  const record = metadata as MetadataRecord;
  if (record.canonical.externalCallId) return record.canonical.externalCallId;
  const stem = splitExtension(record.fileName).stem;
  return record.recordId === record.fileName ? stem : `${stem}-${record.line}`;
}

export async function handleMatchRecording(
  deps: MatchDeps,
  payload: { tenantId: string; fileName: string },
  context: JobContext,
): Promise<void> {
  const tenant = tenantOf(deps, payload.tenantId);
  const captured = await deps.state.recordings.get(tenant.id, payload.fileName);
  if (!captured) throw new PermanentJobError(`no captured recording ${payload.fileName}`);
  // An external id has no extension to strip: `CA.1234` is one id, not `CA` plus `.1234`.
  const stem = captured.origin === 'registered' ? stemKey(captured.fileName) : pairingKey(captured.fileName);
  await deps.state.lock(tenant.id, `pair:${stem}`, async () => {
    const recording = (await deps.state.recordings.get(tenant.id, payload.fileName)) ?? captured;
    const { metadata: recordId } = await deps.state.names.lookup(tenant.id, stem);
    const metadata = recordId ? await deps.state.metadata.get(tenant.id, recordId) : null;
    await assemble(deps, tenant, recording, metadata, context);
  });
}

export async function handleMatchMetadata(
  deps: MatchDeps,
  payload: { tenantId: string; recordId: string },
  context: JobContext,
): Promise<void> {
  const tenant = tenantOf(deps, payload.tenantId);
  const metadata = await deps.state.metadata.get(tenant.id, payload.recordId);
  if (!metadata) throw new PermanentJobError(`no metadata record ${payload.recordId}`);
  const meeting = meetingStem(metadata);
  if (!meeting) {
    // Nothing to pair by yet (fuzzy pairing is a later issue): it waits as its own call.
    await assemble(deps, tenant, null, metadata, context);
    return;
  }
  await deps.state.lock(tenant.id, `pair:${meeting.stem}`, async () => {
    const { recording: fileName } = await deps.state.names.lookup(tenant.id, meeting.stem);
    const recording = fileName ? await deps.state.recordings.get(tenant.id, fileName) : null;
    await assemble(deps, tenant, recording, metadata, context);
  });
}

/** How often a call whose CRM batches are still being ingested looks again. */
const CRM_WAIT_RETRY_MS = 500;
/** A CRM batch stuck longer than this (failed for good) no longer holds calls back. */
export const CRM_WAIT_LIMIT_MS = 15 * 60_000;

/**
 * The priority lane (SPEC "CRM objects"): every CRM batch seen before this metadata file must
 * be fully ingested before the call's references are resolved. The job waits (without using
 * an attempt) while one is pending, up to a limit, so a batch that failed for good cannot
 * hold calls back forever; its references are then listed as unresolved.
 */
async function awaitEarlierCrmBatches(
  deps: MatchDeps,
  tenant: TenantConfig,
  metadata: MetadataRecord | null,
): Promise<void> {
  if (!metadata || metadata.seenSeq === undefined) return;
  if (!Object.keys(CRM_REFERENCE_FIELDS).some((field) => metadata.canonical[field as CrmReferenceField]))
    return;
  const pending = await deps.state.assets.pendingCrmBefore(tenant.id, metadata.seenSeq);
  if (pending.length === 0) return;
  const waitedMs = deps.state.clock.now().getTime() - Date.parse(metadata.receivedAt);
  if (waitedMs > CRM_WAIT_LIMIT_MS) return;
  throw new RetryLaterError(
    `CRM batch ${pending[0]?.split('\n')[0]} was seen earlier and is still being ingested`,
    CRM_WAIT_RETRY_MS,
  );
}

async function assemble(
  deps: MatchDeps,
  tenant: TenantConfig,
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
  context: JobContext,
): Promise<void> {
  const method = metadata ? meetingStem(metadata)?.method : undefined;
  const id = callIdFor(recording, metadata);
  await awaitEarlierCrmBatches(deps, tenant, metadata);
  const crm = await resolveCrmLinks(deps.state.crm, tenant.id, metadata);
  const now = deps.state.clock.now();
  const { after } = await deps.state.calls.mutate(tenant.id, id, (existing) =>
    buildCall(existing, { id, tenant, recording, metadata, crm, ...(method ? { method } : {}), now }),
  );
  const call = after as Call;

  // A metadata record that waited as its own call joins the recording's call now.
  if (metadata?.callId && metadata.callId !== id) {
    const stale = await deps.state.calls.mutate(tenant.id, metadata.callId, (waiting) =>
      waiting && !waiting.recording ? null : undefined,
    );
    // Also when an earlier run deleted it and stopped before unlinking.
    if (stale.after === null)
      await deps.state.assets.removeCallIds(tenant.id, metadata.fileName, [metadata.callId]);
  }
  if (recording && recording.callId !== id)
    await deps.state.recordings.setCallId(tenant.id, recording.fileName, id);
  if (metadata && metadata.callId !== id)
    await deps.state.metadata.setCallId(tenant.id, metadata.recordId, id);
  await linkAssets(deps, tenant.id, id, recording, metadata);
  await emit(deps, call);
  context.logger.debug({ tenant: tenant.id, call: id, status: call.status }, 'call assembled');
}

async function linkAssets(
  deps: MatchDeps,
  tenantId: string,
  callId: string,
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
) {
  for (const fileName of new Set([recording?.fileName, metadata?.fileName])) {
    if (fileName) await deps.state.assets.addCallIds(tenantId, fileName, [callId]);
  }
}

/**
 * Downstream queues, idempotent by job id: `<tenant>/<call id>` for ready, plus `/v<version>`
 * for updates. Emitting again after a crash adds nothing while the job is retained.
 */
async function emit(deps: MatchDeps, call: Call): Promise<void> {
  if (call.status !== 'ready') return;
  await deps.producer.add('call-ready', call, { jobId: jobId(call.tenantId, call.id) });
  if (call.readyVersion !== undefined && call.version > call.readyVersion) {
    await deps.producer.add('call-updated', call, {
      jobId: jobId(call.tenantId, call.id, `v${call.version}`),
    });
  }
}
