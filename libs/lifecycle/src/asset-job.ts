// The life of one asset version inside a worker, owned here for every file handler: find the
// file (still in data/, or already moved to processed/ by a run that stopped halfway), begin,
// let the stage capture its content, enqueue what carries that content on, move the file, and
// record the new state. A rejection goes to rejected/ with its report instead. Every step is
// safe to repeat, so BullMQ's at-least-once delivery and a crash at any point end in the same
// result; a handler only says how to capture.
import {
  jobOptions,
  PermanentJobError,
  type AddOptions,
  type AssetVersionJob,
  type JobContext,
  type JobName,
  type JobPayloads,
  type JobProducer,
} from '@callintake/queues';
import {
  RejectionError,
  type Asset,
  type AssetVersion,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';
import { TransitionRefusedError, type StateStore } from '@callintake/state';
import type { StoredEntry, UploadArea } from '@callintake/storage';
import { dataPath, errorReportPath, processedPath, rejectedPath } from './layout';
import { rejectFile } from './rejection';
import { transitionVersion, type VersionRef } from './transitions';
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

/** A job that carries captured content on to the next stage. */
export type FollowUpJob = {
  [J in JobName]: { name: J; payload: JobPayloads[J]; options: AddOptions };
}[JobName];

/** What a stage's capture produced; the template does the rest. */
export interface Captured {
  sha256: string;
  /** Added before the file leaves data/, so a crash never strands captured content. */
  next?: FollowUpJob[];
  callIds?: string[];
  warnings?: Reason[];
  /** Rows of a batch refused while the rest was taken: counted, and written once to the report. */
  rejectedRows?: Reason[];
  acceptedRows?: number;
}

export interface RunAssetJobDeps extends AssetJobDeps {
  /** Needed by stages whose capture hands work on (`next`); a CRM batch hands nothing on. */
  producer?: JobProducer;
}

/** How many refused rows a version lists; the error report file lists them all. */
const MAX_ROW_WARNINGS = 100;

/**
 * The template every file handler runs: begin → capture → enqueue → move → record, or reject.
 * `capture` throws RejectionError for input that can never succeed (the file is rejected with
 * that reason) and any other error to fail the attempt (the job retries).
 */
export async function runAssetJob(
  deps: RunAssetJobDeps,
  job: AssetVersionJob,
  context: JobContext,
  capture: (work: AssetWork) => Promise<Captured>,
): Promise<void> {
  const work = await startAssetJob(deps, job);
  if (!work) return;
  let captured: Captured;
  try {
    captured = await capture(work);
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    await noteRejection(deps, work, error.reason);
    await guarded(rejectAssetJob(deps, work, error.reason));
    context.logger.info(
      { tenant: work.tenant.id, file: work.asset.name, reason: error.reason.code },
      'file rejected',
    );
    return;
  }
  for (const next of captured.next ?? []) await addFollowUp(deps.producer, next);
  // Taken on a retry after a rejection: the old report no longer says anything true (a new one
  // for this run's refused rows is written next).
  if (work.location === rejectedPath(work.asset.name))
    await work.area.remove(errorReportPath(work.asset.name)).catch(() => undefined);
  if (captured.rejectedRows?.length) {
    await work.area.writeFile(
      errorReportPath(work.asset.name),
      JSON.stringify(
        {
          file: work.asset.name,
          version: work.version.number,
          acceptedRows: captured.acceptedRows ?? 0,
          rejectedRows: captured.rejectedRows,
        },
        null,
        2,
      ) + '\n',
    );
    context.logger.info(
      {
        tenant: work.tenant.id,
        file: work.asset.name,
        accepted: captured.acceptedRows ?? 0,
        rejected: captured.rejectedRows.length,
      },
      'batch had rejected rows',
    );
  }
  await guarded(
    completeAssetJob(deps, work, {
      sha256: captured.sha256,
      ...(captured.callIds ? { callIds: captured.callIds } : {}),
      ...(captured.warnings || captured.rejectedRows?.length
        ? {
            warnings: [
              ...(captured.warnings ?? []),
              ...(captured.rejectedRows ?? []).slice(0, MAX_ROW_WARNINGS),
            ],
          }
        : {}),
      ...(captured.rejectedRows?.length ? { rejectedRows: captured.rejectedRows } : {}),
    }),
  );
}

function addFollowUp(producer: JobProducer | undefined, next: FollowUpJob): Promise<void> {
  if (!producer)
    throw new Error(`a capture handed on ${next.name} but the stage gave runAssetJob no producer`);
  // The union pairs each name with its payload; add() is generic over one name at a time.
  return producer.add(next.name, next.payload as never, next.options);
}

/** A refused transition is a broken rule, not a passing fault: retrying cannot help. */
async function guarded(step: Promise<void>): Promise<void> {
  try {
    await step;
  } catch (error) {
    if (error instanceof TransitionRefusedError) throw new PermanentJobError(error.message);
    throw error;
  }
}

function refOf(work: AssetWork): VersionRef {
  return { tenantId: work.tenant.id, fileName: work.asset.name, versionId: work.version.versionId };
}

export async function startAssetJob(deps: AssetJobDeps, job: AssetVersionJob): Promise<AssetWork | null> {
  const tenant = deps.tenant(job.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${job.tenantId}`);
  const area = deps.uploadArea(tenant);
  // The file is nearly always still in data/: looked at while its state is read (a look only;
  // its outcome counts, error included, only where the state says to look there).
  const [asset, inData] = await Promise.all([
    deps.state.assets.get(tenant.id, job.fileName),
    area.stat(dataPath(job.fileName)).then(
      (entry) => ({ entry }),
      (error: unknown) => ({ error }),
    ),
  ]);
  const version = asset?.versions.find((v) => v.versionId === job.versionId);
  if (!asset || !version)
    throw new PermanentJobError(`no version ${job.versionId} of ${tenant.id}/${job.fileName}`);
  if (version.state !== 'pending' && version.state !== 'processing') return null;
  const ref = { tenantId: tenant.id, fileName: asset.name, versionId: version.versionId };

  // A retried rejection is still in rejected/, where we put it.
  const retriedRejection = (version.retries ?? 0) > 0 ? [rejectedPath(asset.name)] : [];
  for (const location of [dataPath(asset.name), processedPath(asset.name), ...retriedRejection]) {
    let entry: StoredEntry | null;
    if (location === dataPath(job.fileName)) {
      if ('error' in inData) throw inData.error;
      entry = inData.entry;
    } else entry = await area.stat(location);
    const movedByUs = location !== dataPath(asset.name);
    if (entry && entry.type === 'file' && isThisVersion(entry, version, movedByUs)) {
      if (version.state === 'pending') await transitionVersion(deps.state, ref, 'begin');
      return { tenant, area, asset, version, location, entry };
    }
  }

  const current = await area.stat(dataPath(asset.name));
  if (current) {
    await transitionVersion(deps.state, ref, 'supersede', {
      reason: {
        code: 'superseded',
        message: 'a newer upload under the same name replaced this version before it was captured',
      },
    });
  } else {
    await transitionVersion(deps.state, ref, 'vanish', {
      reason: {
        code: 'vanished',
        message: 'the file was removed from the upload area before it was captured',
      },
    });
  }
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
    (version.state === 'processing' || (version.retries ?? 0) > 0) &&
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

async function completeAssetJob(
  deps: AssetJobDeps,
  work: AssetWork,
  outcome: { sha256: string; callIds?: string[]; warnings?: Reason[]; rejectedRows?: Reason[] },
): Promise<void> {
  const target = processedPath(work.asset.name);
  if (work.location !== target) await work.area.move(work.location, target);
  await transitionVersion(deps.state, refOf(work), 'capture', {
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

/**
 * The call a rejected recording or metadata file would have completed says why it waits: the
 * matcher is told before the file is rejected, so a crash in between tells it again.
 */
async function noteRejection(deps: RunAssetJobDeps, work: AssetWork, reason: Reason): Promise<void> {
  const kind =
    work.asset.kind === 'recording'
      ? 'recording'
      : work.asset.kind === 'call-metadata'
        ? 'metadata'
        : undefined;
  if (!kind || !deps.producer) return;
  await deps.producer.add(
    'note-rejection',
    { tenantId: work.tenant.id, fileName: work.asset.name, kind, reason },
    jobOptions.noteRejection(work.tenant.id, work.asset.name, work.version.versionId),
  );
}

async function rejectAssetJob(deps: AssetJobDeps, work: AssetWork, reason: Reason): Promise<void> {
  await rejectFile(
    work.area,
    deps.state,
    { ...refOf(work), version: work.version.number, location: work.location },
    reason,
  );
}
