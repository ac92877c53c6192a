// One scan of a tenant's upload area: find files in data/ that finished uploading, record
// each as a version of its asset, and hand it to the queue for its kind. Idempotent: scanning
// twice, or two watcher replicas scanning at once, adds nothing twice (deterministic job ids,
// versions keyed by size+mtime or ETag).
import { classifyFileName, recordingPairingKey } from '@callintake/naming';
import { jobOptions, type JobProducer } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import type { Observation, StateStore } from '@callintake/state';
import type { StoredEntry, UploadArea } from '@callintake/storage';
import { withSpan, type Logger } from '@callintake/telemetry';
import {
  fingerprintOf,
  JOB_FOR_KIND,
  moveUnlessGone,
  processedPath,
  rejectedPath,
  recordSeenVersion,
  rejectFile,
  rejectInPlace,
} from '@callintake/asset-lifecycle';
import { intakeCandidates, isIgnoredAtIntake, judgeAtIntake, type IntakeCandidate } from './intake-rules';

export interface ScanDeps {
  tenant: TenantConfig;
  area: UploadArea;
  state: StateStore;
  producer: JobProducer;
  logger: Logger;
}

export interface ScanSummary {
  listed: number;
  settling: number;
  temporary: number;
  enqueued: number;
  rejected: number;
  unchanged: number;
  /** Files that could not be taken this time (logged; the next scan tries again). */
  errors: number;
}

interface Candidate extends IntakeCandidate {
  entry: StoredEntry;
}

export async function scanSource(deps: ScanDeps): Promise<ScanSummary> {
  const { tenant, area, state } = deps;
  const now = state.clock.now().getTime();
  const settleMs = tenant.settleSeconds * 1000;
  const summary: ScanSummary = {
    listed: 0,
    settling: 0,
    temporary: 0,
    enqueued: 0,
    rejected: 0,
    unchanged: 0,
    errors: 0,
  };
  const previous = await state.observations.getAll(tenant.id);
  const seenNow = new Set<string>();
  const observe: Array<[string, Observation]> = [];
  const settled: Candidate[] = [];
  const recentlyTaken = new Map<string, Observation>();

  for await (const candidate of intakeCandidates(area)) {
    summary.listed++;
    if (isIgnoredAtIntake(candidate)) {
      summary.temporary++;
      continue;
    }
    seenNow.add(candidate.name);
    const fingerprint = fingerprintOf(candidate.entry);
    const before = previous.get(candidate.name);
    if (!before || before.fingerprint !== fingerprint) {
      observe.push([candidate.name, { fingerprint, since: now }]);
      if (settleMs > 0) {
        summary.settling++;
        continue;
      }
    } else if (now - before.since < settleMs) {
      summary.settling++;
      continue;
    }
    settled.push(candidate);
    if (
      before?.fingerprint === fingerprint &&
      before.takenAt !== undefined &&
      now - before.takenAt < RETAKE_AFTER_MS
    ) {
      recentlyTaken.set(candidate.name, before);
    }
  }

  await state.observations.set(tenant.id, observe);
  const gone = [...previous.keys()].filter((name) => !seenNow.has(name));
  await state.observations.remove(tenant.id, gone);

  // A backlog of settled files waiting for workers would otherwise cost three round trips per
  // file on every scan. Files this scanner handed on recently and whose version is still
  // pending are skipped after one batched read; anything else (done, gone, changed, or taken
  // long ago) goes through takeFile, which is what finishes the work after a crash.
  const stillPending = await pendingVersions(state, tenant.id, [...recentlyTaken.keys()]);
  const toTake = settled.filter((candidate) => {
    if (stillPending.has(`${candidate.name}\n${fingerprintOf(candidate.entry)}`)) {
      summary.unchanged++;
      return false;
    }
    return true;
  });

  // CRM batches found in this scan count as seen before its call metadata (the guide tells
  // customers to upload them first), so they are recorded first: the priority lane's order.
  const isCrm = (candidate: Candidate) =>
    !candidate.nested && classifyFileName(candidate.entry.name).kind === 'crm-batch';
  await markRecordingsSeen(deps, toTake);
  const taken: Array<[string, Observation]> = [];
  for (const batch of [toTake.filter(isCrm), toTake.filter((candidate) => !isCrm(candidate))]) {
    await forEachLimited(batch, 16, async (candidate) => {
      let outcome: Awaited<ReturnType<typeof takeFile>>;
      try {
        // Each file starts its own trace, carried in its jobs' payloads to calls-ready.
        outcome = await withSpan(
          'intake take-file',
          { 'callintake.tenant': tenant.id, 'callintake.file': candidate.name },
          () => takeFile(deps, candidate),
          undefined,
          { newTrace: true },
        );
      } catch (error) {
        // One file's trouble is its own: every other file of the scan is still taken, and this
        // one is tried again on the next scan (it is not marked taken).
        summary.errors++;
        deps.logger.warn(
          { tenant: tenant.id, file: candidate.name, err: error },
          'could not take a file; next scan tries again',
        );
        return;
      }
      summary[outcome]++;
      const fingerprint = fingerprintOf(candidate.entry);
      const earlier = previous.get(candidate.name);
      const since = earlier?.fingerprint === fingerprint ? earlier.since : now;
      taken.push([candidate.name, { fingerprint, since, takenAt: now }]);
    });
  }
  await state.observations.set(tenant.id, taken);
  return summary;
}

/**
 * Look-alike recordings (one pairing key: `X.wav` and `X.mp3`) are decided in the order they were
 * seen, which files taken in parallel would not keep: the order is recorded here, a scan's files
 * in name order, before any is handed on (the prober's claim waits for the first seen).
 */
async function markRecordingsSeen(deps: ScanDeps, candidates: Candidate[]): Promise<void> {
  const recordings = candidates
    .filter((candidate) => !candidate.nested && classifyFileName(candidate.entry.name).kind === 'recording')
    .map((candidate) => candidate.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await deps.state.recordings.markSeen(
    deps.tenant.id,
    recordings.map((fileName) => ({ fileName, pairingStem: recordingPairingKey({ fileName }) })),
  );
}

async function takeFile(
  deps: ScanDeps,
  candidate: Candidate,
): Promise<'enqueued' | 'rejected' | 'unchanged'> {
  const { tenant, area, state, producer } = deps;
  const { name, entry } = candidate;
  const judged = judgeAtIntake(candidate);
  // Listing skips ignored entries; one renamed since then is taken by the next scan.
  if (judged.verdict === 'ignored') return 'unchanged';
  const { version, created } = await recordSeenVersion(state, tenant.id, name, judged.kind, {
    versionId: fingerprintOf(entry),
    sizeBytes: entry.sizeBytes,
    modifiedAt: entry.modifiedAt.toISOString(),
    ...(entry.etag ? { etag: entry.etag } : {}),
    location: entry.path,
  });

  if (judged.verdict === 'rejected') {
    const rejection = judged.reason;
    if (judged.leaveInPlace) {
      // Customers' own folders are theirs, and links are never followed or moved: report,
      // but leave the entry where it is.
      await rejectInPlace(
        state,
        { tenantId: tenant.id, fileName: name, versionId: version.versionId },
        rejection,
      );
      return created ? 'rejected' : 'unchanged';
    }
    await rejectFile(
      area,
      state,
      {
        tenantId: tenant.id,
        fileName: name,
        versionId: version.versionId,
        version: version.number,
        location: entry.path,
      },
      rejection,
    );
    deps.logger.info({ tenant: tenant.id, file: name, reason: rejection.code }, 'file rejected at intake');
    return 'rejected';
  }

  // The same version again after it was handled: an identical re-upload (same size and
  // mtime, or ETag), or a worker that stopped between capture and move. Its content is
  // captured, so finishing the move is all that is left.
  // A purged version re-uploaded unchanged was captured too: it goes back to processed/.
  if (
    !created &&
    (version.state === 'processed' || version.state === 'rejected' || version.state === 'purged')
  ) {
    const target = version.state === 'rejected' ? rejectedPath(name) : processedPath(name);
    await moveUnlessGone(area, entry.path, target);
    return 'unchanged';
  }
  // Failed: it waits in data/ for someone to retry it after a fix (POST …/retry, ingest retry);
  // re-adding its job would only meet BullMQ's kept failed job.
  if (!created && version.state === 'failed') return 'unchanged';
  const job = JOB_FOR_KIND[judged.kind];
  const payload = { tenantId: tenant.id, fileName: name, versionId: version.versionId };
  // A retried version's job carries its retry count (r<n>), as the retry queued it.
  await producer.add(job, payload, jobOptions.assetVersion(job, payload, version.retries));
  return created ? 'enqueued' : 'unchanged';
}

/** Retake a still-pending file after this long anyway: a lost job must not strand it. */
const RETAKE_AFTER_MS = 10 * 60_000;

/** `name\nversionId` of the given assets' versions that are still pending or processing. */
async function pendingVersions(state: StateStore, tenantId: string, names: string[]): Promise<Set<string>> {
  const pending = new Set<string>();
  for (const asset of await state.assets.getMany(tenantId, names)) {
    for (const version of asset?.versions ?? []) {
      if (version.state === 'pending' || version.state === 'processing')
        pending.add(`${asset?.name}\n${version.versionId}`);
    }
  }
  return pending;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(runners);
}
