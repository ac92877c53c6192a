// The `probe-recording` job: probe with bounded reads, copy the media to the archive (the
// system of record), record what we learned, and hand the recording to the matcher. Only then
// does the file leave data/, so nothing is out of reach before it is captured.
import {
  isRepeatedContent,
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import { recordingPairingKey } from '@callintake/naming';
import {
  jobOptions,
  RetryLaterError,
  type AssetVersionJob,
  type JobContext,
  type JobProducer,
} from '@callintake/queues';
import { RejectionError, type Reason, type RecordingRecord, type TenantConfig } from '@callintake/schemas';
import type { ArchiveStore } from '@callintake/storage';
import { judgeRecording, PROBE_TIME_LIMIT_MS } from './judge-recording';

export interface ProbeDeps extends RunAssetJobDeps {
  producer: JobProducer;
  archive(tenant: TenantConfig): ArchiveStore;
  probeTimeLimitMs?: number;
}

/** Archive keys are per version, so a new upload never overwrites captured media. */
export function archiveKeyFor(fileName: string, versionNumber: number): string {
  return `recordings/v${versionNumber}/${fileName}`;
}

export function handleProbeRecording(
  deps: ProbeDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  return runAssetJob(deps, job, context, (work) => captureRecording(deps, work));
}

async function captureRecording(deps: ProbeDeps, work: AssetWork): Promise<Captured> {
  const { tenant, area, asset, version, location } = work;
  // Throws RejectionError for media we cannot take: the template rejects the file.
  const { facts, name, warnings } = await judgeRecording(
    {
      sizeBytes: work.entry.sizeBytes,
      read: (offset, length) => area.readRange(location, offset, length),
    },
    asset.name,
    tenant,
    deps.probeTimeLimitMs ?? PROBE_TIME_LIMIT_MS,
  );

  const archived = await deps
    .archive(tenant)
    .put(archiveKeyFor(asset.name, version.number), await area.openRead(location));
  if (archived.sizeBytes !== work.entry.sizeBytes) {
    throw new Error(
      `archived ${archived.sizeBytes} bytes of ${asset.name} but the upload has ${work.entry.sizeBytes}; retrying`,
    );
  }
  if (isRepeatedContent(work, archived.sha256)) return { sha256: archived.sha256 };
  // Claimed and stored in one step (a refused claim stores nothing).
  await claimRecording(deps, work, {
    tenantId: tenant.id,
    fileName: asset.name,
    versionId: version.versionId,
    version: version.number,
    facts,
    archiveUri: archived.uri,
    sha256: archived.sha256,
    name: {
      pattern: name.pattern,
      ...(name.timestamp ? { timestamp: name.timestamp } : {}),
      ...(name.direction ? { direction: name.direction } : {}),
      ...(name.uid ? { uid: name.uid } : {}),
      ...(name.source ? { source: name.source } : {}),
      ...(name.externalId ? { externalId: name.externalId } : {}),
    },
    warnings,
    capturedAt: deps.state.clock.now().toISOString(),
    seenAt: version.seenAt,
  });
  return {
    sha256: archived.sha256,
    warnings,
    next: [
      {
        name: 'match-recording',
        payload: { tenantId: tenant.id, fileName: asset.name },
        options: jobOptions.matchRecording(tenant.id, asset.name, version.versionId),
      },
    ],
  };
}

/**
 * One call has one recording: a second recording for the same pairing key (`X.mp3` after `X.wav`,
 * names equal after case folding and Unicode normalisation) is rejected `duplicate-recording`,
 * and the same bytes under another name `duplicate-content`, each naming the first. The first
 * seen keeps the call (the scanner records the order, a scan's files in name order) unless it
 * is rejected or fails; the rejected file stays in rejected/ (and its copy in the
 * archive), so nothing is lost and a customer who meant it can rename and re-upload.
 */
async function claimRecording(deps: ProbeDeps, work: AssetWork, record: RecordingRecord): Promise<void> {
  const stem = recordingPairingKey({ fileName: work.asset.name });
  let claim = await deps.state.recordings.claimAndPut(record, stem);
  if (!claim.ok && claim.heldBy === 'first-seen') {
    // A look-alike seen before this one (an earlier scan, or earlier in name order in the same
    // scan) decides first: captured, it keeps the key; rejected or failed, this one may take it.
    const first = await deps.state.assets.get(work.tenant.id, claim.fileName);
    if (first && (first.state === 'pending' || first.state === 'processing'))
      throw new RetryLaterError(`${claim.fileName} was seen first and is still being captured`, 1000);
    claim = await deps.state.recordings.claimAndPut(record, stem, { overFirstSeen: true });
  }
  if (claim.ok) return;
  throw new RejectionError(
    duplicateRecordingReason(claim.heldBy === 'content' ? 'content' : 'name', claim.fileName),
  );
}

/**
 * Why a recording is a duplicate of `first`: the same bytes, or the same pairing key. The
 * prober's reason, and `ingest validate`'s prediction of it.
 */
export function duplicateRecordingReason(heldBy: 'name' | 'content', first: string): Reason {
  return heldBy === 'content'
    ? {
        code: 'duplicate-content',
        message: `the same bytes were captured as ${first}; one recording makes one call`,
        file: first,
      }
    : {
        code: 'duplicate-recording',
        message: `${first} is already this call's recording (names are compared without extension, case and Unicode normalisation); one call has one recording`,
        file: first,
      };
}
