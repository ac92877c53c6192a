// The `sweep-tenant` job (SPEC "Lifecycle and retention"). Files leave the upload area a set
// number of days after they were first seen, but only once nothing more is owed on them:
// captured (processed), or told to the customer (rejected, or in a folder they made). A file
// still pending is never purged. Recordings that waited too long for metadata expire, and so do
// calls left `ambiguous` that no recording or person decided.
import {
  DATA_DIR,
  ERROR_REPORT_SUFFIX,
  NESTED_SCAN_DEPTH,
  PROCESSED_DIR,
  REJECTED_DIR,
  RESERVED_DIRS,
  transitionVersion,
} from '@callintake/asset-lifecycle';
import { isTemporaryName } from '@callintake/naming';
import { PermanentJobError, type JobContext } from '@callintake/queues';
import type { Call, TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, StateStore } from '@callintake/state';
import type { StoredEntry, UploadArea } from '@callintake/storage';

export interface RetentionDeps {
  state: StateStore;
  tenant(tenantId: string): TenantConfig | undefined;
  uploadArea(tenant: TenantConfig): UploadArea;
}

export interface SweepSummary {
  purged: number;
  kept: number;
  expired: number;
}

const DAY_MS = 24 * 3600_000;

export async function handleSweepTenant(
  deps: RetentionDeps,
  payload: { tenantId: string },
  context: JobContext,
): Promise<SweepSummary> {
  const tenant = deps.tenant(payload.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${payload.tenantId}`);
  const area = deps.uploadArea(tenant);
  const summary: SweepSummary = { purged: 0, kept: 0, expired: 0 };
  const cutoff = deps.state.clock.now().getTime() - tenant.retention.purgeAfterDays * DAY_MS;

  for (const dir of [PROCESSED_DIR, REJECTED_DIR]) {
    for await (const entry of area.list(dir)) {
      if (entry.type !== 'file') continue;
      const isReport = entry.name.endsWith(ERROR_REPORT_SUFFIX);
      const assetName = isReport ? entry.name.slice(0, -ERROR_REPORT_SUFFIX.length) : entry.name;
      if (await purgeIfDue(deps, tenant, area, entry, assetName, cutoff)) summary.purged++;
      else summary.kept++;
    }
  }
  // SPEC: "any folder". Entries reported in place (customer sub-folders, symlinks) go too.
  for await (const { entry, assetName } of reportedInPlace(area)) {
    if (await purgeIfDue(deps, tenant, area, entry, assetName, cutoff)) summary.purged++;
    else summary.kept++;
  }
  summary.expired =
    (await expireWaitingRecordings(deps, tenant)) + (await expireAmbiguousCalls(deps, tenant));
  if (summary.purged || summary.expired)
    context.logger.info({ tenant: tenant.id, ...summary }, 'retention sweep');
  return summary;
}

/**
 * Symlinks directly in data/, and files or links in folders the customer made there; also
 * leftovers under temporary names (`x.wav.part`, dot-files of an upload that never finished),
 * which intake never takes: known to no asset, they go by their own age.
 */
async function* reportedInPlace(area: UploadArea): AsyncGenerator<{ entry: StoredEntry; assetName: string }> {
  const folders: Array<{ path: string; depth: number }> = [];
  for await (const entry of area.list(DATA_DIR)) {
    if (entry.type === 'symlink') yield { entry, assetName: entry.name };
    if (entry.type === 'file' && isTemporaryName(entry.name)) yield { entry, assetName: entry.name };
    if (entry.type === 'directory' && !RESERVED_DIRS.has(entry.name))
      folders.push({ path: entry.path, depth: 1 });
  }
  while (folders.length) {
    const folder = folders.shift() as { path: string; depth: number };
    for await (const entry of area.list(folder.path)) {
      if (entry.type === 'directory') {
        if (folder.depth < NESTED_SCAN_DEPTH) folders.push({ path: entry.path, depth: folder.depth + 1 });
      } else if (entry.type === 'file' || entry.type === 'symlink') {
        yield { entry, assetName: entry.path.slice(DATA_DIR.length + 1) };
      }
    }
  }
}

async function purgeIfDue(
  deps: RetentionDeps,
  tenant: TenantConfig,
  area: UploadArea,
  entry: StoredEntry,
  assetName: string,
  cutoff: number,
): Promise<boolean> {
  const isReport = entry.name.endsWith(ERROR_REPORT_SUFFIX) && entry.path.startsWith(REJECTED_DIR);
  const asset = await deps.state.assets.get(tenant.id, assetName);
  // Unknown to us (written by hand): judge by its own age.
  const firstSeen = asset ? Date.parse(asset.firstSeenAt) : entry.modifiedAt.getTime();
  if (firstSeen > cutoff) return false;
  const owed = asset?.versions.some((v) => v.state === 'pending' || v.state === 'processing');
  if (owed) return false;
  await area.remove(entry.path);
  if (asset && !isReport) {
    for (const version of asset.versions) {
      if (
        version.location === entry.path &&
        (version.state === 'processed' || version.state === 'rejected')
      ) {
        await transitionVersion(
          deps.state,
          { tenantId: tenant.id, fileName: asset.name, versionId: version.versionId },
          'purge',
          version.reason ? { reason: version.reason } : {},
        );
      }
    }
  }
  return true;
}

async function expireWaitingRecordings(deps: RetentionDeps, tenant: TenantConfig): Promise<number> {
  const cutoff = deps.state.clock.now().getTime() - tenant.retention.awaitingMetadataDays * DAY_MS;
  let expired = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.state.calls.list(tenant.id, {
      status: 'awaiting_metadata',
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    for (const call of page.items) {
      if (Date.parse(call.createdAt) > cutoff) continue;
      const { changed } = await deps.state.calls.mutate(tenant.id, call.id, (current) =>
        current && current.status === 'awaiting_metadata'
          ? {
              ...current,
              status: 'expired',
              statusReason: {
                code: 'expired',
                message: `no metadata arrived within ${tenant.retention.awaitingMetadataDays} days of the recording`,
              },
              version: current.version + 1,
              updatedAt: deps.state.clock.now().toISOString(),
            }
          : undefined,
      );
      if (changed) expired++;
      // An expired recording is no longer a fuzzy pairing candidate.
      if (changed && call.recording) await deps.state.fuzzy.takeUnpaired(tenant.id, call.recording.fileName);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return expired;
}

/**
 * Calls left `ambiguous` by fuzzy pairing wait for a recording or a person to decide, but not
 * forever: after `retention.ambiguousDays` they expire (`ambiguous-expired`) and their metadata
 * leaves the fuzzy waiting set, so new recordings are no longer offered to it. Each is expired
 * under its record's own lock (the one the matcher judges it under), and taken out of the set
 * before its status changes: a sweep stopped between the two finds it ambiguous again next hour.
 */
async function expireAmbiguousCalls(deps: RetentionDeps, tenant: TenantConfig): Promise<number> {
  const days = tenant.retention.ambiguousDays;
  const cutoff = deps.state.clock.now().getTime() - days * DAY_MS;
  const due = (call: Call | null): call is Call =>
    call !== null && call.status === 'ambiguous' && Date.parse(call.createdAt) <= cutoff;
  let expired = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.state.calls.list(tenant.id, {
      status: 'ambiguous',
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    for (const listed of page.items) {
      if (!due(listed)) continue;
      const record = await metadataRecordOf(deps, tenant.id, listed);
      const expire = async () => {
        if (!due(await deps.state.calls.get(tenant.id, listed.id))) return false;
        if (record) await deps.state.fuzzy.takeWaiting(tenant.id, record.recordId);
        const { changed } = await deps.state.calls.mutate(tenant.id, listed.id, (current) =>
          due(current)
            ? {
                ...current,
                status: 'expired',
                statusReason: {
                  code: 'ambiguous-expired',
                  message: `no recording was chosen for this metadata within ${days} days; its fuzzy candidates were too close to choose between`,
                },
                version: current.version + 1,
                updatedAt: deps.state.clock.now().toISOString(),
              }
            : undefined,
        );
        return changed;
      };
      const changed = record
        ? await deps.state.lock(tenant.id, `fuzzy-metadata:${record.recordId}`, expire)
        : await expire();
      if (changed) expired++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return expired;
}

/**
 * The metadata record an ambiguous call was built from: `<file>#<line>` for a batch row, the
 * file name for a single-record file (a per-call CSV has a line but is named by its file).
 */
async function metadataRecordOf(
  deps: RetentionDeps,
  tenantId: string,
  call: Call,
): Promise<MetadataRecord | null> {
  if (!call.metadata) return null;
  const { fileName, line } = call.metadata;
  const ids = line === undefined ? [fileName] : [`${fileName}#${line}`, fileName];
  for (const recordId of ids) {
    const record = await deps.state.metadata.get(tenantId, recordId);
    if (record?.callId === call.id) return record;
  }
  return null;
}
