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
import { jobOptions, type AssetVersionJob, type JobContext, type JobProducer } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
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

  await deps.state.recordings.put(
    {
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
    },
    recordingPairingKey({ fileName: asset.name }),
  );
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
