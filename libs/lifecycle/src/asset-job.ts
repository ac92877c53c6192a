// The life of one asset version inside a worker: find the file (still in data/, or already
// moved to processed/ by a run that stopped halfway), capture its content, then move it and
// record the new state. Every step is safe to repeat, so BullMQ's at-least-once delivery and
// a crash at any point end in the same result.
import { PermanentJobError, type AssetVersionJob } from '@callintake/queues';
import type { Asset, AssetVersion, Reason, TenantConfig } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import type { StoredEntry, UploadArea } from '@callintake/storage';
import { dataPath, processedPath } from './layout';
import { rejectFile } from './rejection';
import { fingerprintOf } from './version-id';

export interface AssetJobDeps {
  state: StateStore;
  tenant(tenantId: string): TenantConfig | undefined;
  uploadArea(tenant: TenantConfig): UploadArea;
}

export interface AssetWork {
  tenant: TenantConfig;
  area: UploadArea;
  asset: Asset;
  version: AssetVersion;
  /** Where the file is now, relative to the tenant root. */
  location: string;
  entry: StoredEntry;
}

export async function startAssetJob(deps: AssetJobDeps, job: AssetVersionJob): Promise<AssetWork | null> {
  const tenant = deps.tenant(job.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${job.tenantId}`);
  const asset = await deps.state.assets.get(tenant.id, job.fileName);
  const version = asset?.versions.find((v) => v.versionId === job.versionId);
  if (!asset || !version)
    throw new PermanentJobError(`no version ${job.versionId} of ${tenant.id}/${job.fileName}`);
  if (version.state !== 'pending' && version.state !== 'processing') return null;

  const area = deps.uploadArea(tenant);
  for (const location of [dataPath(asset.name), processedPath(asset.name)]) {
    const entry = await area.stat(location);
    const movedByUs = location === processedPath(asset.name);
    if (entry && entry.type === 'file' && isThisVersion(entry, version, movedByUs)) {
      if (version.state === 'pending')
        await deps.state.assets.updateVersion(tenant.id, asset.name, version.versionId, {
          state: 'processing',
        });
      return { tenant, area, asset, version, location, entry };
    }
  }

  const current = await area.stat(dataPath(asset.name));
  const reason: Reason = current
    ? {
        code: 'superseded',
        message: 'a newer upload under the same name replaced this version before it was captured',
      }
    : { code: 'vanished', message: 'the file was removed from the upload area before it was captured' };
  await deps.state.assets.updateVersion(tenant.id, asset.name, version.versionId, {
    state: 'ignored',
    reason,
  });
  return null;
}

/**
 * Whether `entry` holds this version's content. In data/ only an exact fingerprint will do. In
 * processed/ a copy we made may carry a new fingerprint: S3 moves by CopyObject, which gives a
 * multipart upload's copy a plain MD5 ETag, and a local move across devices gets a new mtime.
 * There the same size is accepted, but only for a version a run already took (`processing`:
 * nothing else moves a pending version to processed/) and only for a copy no older than this
 * upload, so the copy of an earlier version, made before this one arrived, does not pass for it.
 */
function isThisVersion(entry: StoredEntry, version: AssetVersion, movedByUs: boolean): boolean {
  if (fingerprintOf(entry) === version.versionId) return true;
  return (
    movedByUs &&
    version.state === 'processing' &&
    entry.sizeBytes === version.sizeBytes &&
    entry.modifiedAt.getTime() >= Date.parse(version.modifiedAt)
  );
}

/**
 * True when the content that stands (the latest captured version before this one) is exactly
 * this content: a re-upload, a no-op. Returning to an older version's content is an update.
 */
export function isRepeatedContent(work: AssetWork, sha256: string): boolean {
  const standing = work.asset.versions
    .filter((v) => v.number < work.version.number && (v.state === 'processed' || v.state === 'purged'))
    .at(-1);
  return standing?.sha256 === sha256;
}

export async function completeAssetJob(
  deps: AssetJobDeps,
  work: AssetWork,
  outcome: { sha256: string; callIds?: string[]; warnings?: Reason[]; rejectedRows?: Reason[] },
): Promise<void> {
  const target = processedPath(work.asset.name);
  if (work.location !== target) await work.area.move(work.location, target);
  await deps.state.assets.updateVersion(work.tenant.id, work.asset.name, work.version.versionId, {
    state: 'processed',
    sha256: outcome.sha256,
    location: target,
    ...(outcome.callIds ? { callIds: outcome.callIds } : {}),
    ...(outcome.warnings ? { warnings: outcome.warnings } : {}),
    ...(outcome.rejectedRows?.length ? { rejectedRows: countByCode(outcome.rejectedRows) } : {}),
  });
}

function countByCode(reasons: Reason[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of reasons) counts[reason.code] = (counts[reason.code] ?? 0) + 1;
  return counts;
}

export async function rejectAssetJob(deps: AssetJobDeps, work: AssetWork, reason: Reason): Promise<void> {
  await rejectFile(
    work.area,
    deps.state,
    {
      tenantId: work.tenant.id,
      name: work.asset.name,
      versionId: work.version.versionId,
      version: work.version.number,
      location: work.location,
    },
    reason,
  );
}
