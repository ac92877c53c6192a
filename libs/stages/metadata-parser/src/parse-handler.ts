// The `parse-metadata` job: read a metadata file (one record, or one per CSV row), map it with
// the tenant's field mapping, store the records, and hand each to the matcher. A bad row of a
// batch rejects that row (reported by line), not the batch. What is accepted or rejected from
// the content is judgeMetadataFile's; this handler stores, and applies the update window.
import {
  isRepeatedContent,
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import { jobOptions, type AssetVersionJob, type JobContext, type JobProducer } from '@callintake/queues';
import { RejectionError, type Reason } from '@callintake/schemas';
import type { MetadataRecord } from '@callintake/state';
import type { MetadataFile } from '@callintake/records';
import { judgeMetadataFile, type StoredRecord } from './judge-metadata';

export interface ParseDeps extends RunAssetJobDeps {
  producer: JobProducer;
}

export function handleParseMetadata(
  deps: ParseDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  return runAssetJob(deps, job, context, (work) => captureMetadata(deps, work));
}

/**
 * A batch's records are stored and handed to the matcher in chunks while the file streams (a
 * million rows cannot wait for the end); all of it still happens before the template moves the
 * file, so a crash leaves the file in data/ and a retry repeats the chunks idempotently.
 */
async function captureMetadata(deps: ParseDeps, work: AssetWork): Promise<Captured> {
  // Throws RejectionError for a file we cannot take: the template rejects it.
  const judged = await judgeMetadataFile(
    { sizeBytes: work.entry.sizeBytes, open: () => work.area.openRead(work.location) },
    metadataFile(work),
    {
      isRepeated: (sha256) => isRepeatedContent(work, sha256),
      storeRecord: (stored) => storeRecord(deps, work, stored),
      storeRows: (records) => storeRows(deps, work, records),
    },
  );
  switch (judged.shape) {
    case 'repeated':
      return { sha256: judged.sha256 };
    case 'single': {
      const { record } = judged.record;
      return {
        sha256: judged.sha256,
        next: [
          {
            name: 'match-metadata',
            payload: { tenantId: work.tenant.id, recordId: record.recordId },
            options: jobOptions.matchMetadata(work.tenant.id, record.recordId, record.version),
          },
        ],
      };
    }
    case 'batch':
      return { sha256: judged.sha256, rejectedRows: judged.rejectedRows, acceptedRows: judged.acceptedRows };
  }
}

/** This version of the work's file, as its records name it. */
function metadataFile(work: AssetWork): MetadataFile {
  return {
    tenant: work.tenant,
    fileName: work.asset.name,
    version: work.version.number,
    receivedAt: work.version.seenAt,
    ...(work.version.seq !== undefined ? { seenSeq: work.version.seq } : {}),
  };
}

/**
 * SPEC "Updates": a new version replaces its call's fields only within the tenant's window
 * after the call time; later, the earlier version stands.
 */
function checkUpdateWindow(
  deps: ParseDeps,
  work: AssetWork,
  record: MetadataRecord,
  previous: MetadataRecord | null,
): void {
  if (!previous || previous.version >= record.version) return;
  const callTime = previous.canonical.callTime ?? record.canonical.callTime;
  if (!callTime) return;
  const windowMs = work.tenant.metadata.updateWindowHours * 3600_000;
  const ageMs = deps.state.clock.now().getTime() - Date.parse(callTime);
  if (ageMs > windowMs) {
    throw new RejectionError({
      code: 'update-window-closed',
      message: `updates are accepted up to ${work.tenant.metadata.updateWindowHours} hours after the call time (${callTime}); version ${previous.version} stands`,
    });
  }
}

/**
 * A new version stays linked to the call the earlier one is in (the matcher sets the link): the
 * matcher then updates that call (a fuzzy pair is kept), or, when the new version pairs
 * elsewhere, removes the call the earlier version waited in.
 */
function keepCallLink(record: MetadataRecord, previous: MetadataRecord | null): void {
  if (previous?.callId !== undefined) record.callId = previous.callId;
}

/** A single-record file's record: stored unless its update window has closed (rejects the file). */
async function storeRecord(deps: ParseDeps, work: AssetWork, stored: StoredRecord): Promise<void> {
  const { record } = stored;
  const previous = await deps.state.metadata.get(work.tenant.id, record.recordId);
  checkUpdateWindow(deps, work, record, previous);
  keepCallLink(record, previous);
  record.capturedAt = deps.state.clock.now().toISOString();
  await deps.state.metadata.putMany([stored]);
}

/** A chunk of a batch's records: those past their update window are refused (by line). */
async function storeRows(deps: ParseDeps, work: AssetWork, records: StoredRecord[]): Promise<Reason[]> {
  // One read for the whole batch: a round trip per row made 100k rows take minutes.
  const previous = await deps.state.metadata.getMany(
    work.tenant.id,
    records.map(({ record }) => record.recordId),
  );
  const refused: Reason[] = [];
  const kept: StoredRecord[] = [];
  for (const [index, stored] of records.entries()) {
    const earlier = previous[index] ?? null;
    if (!withinUpdateWindow(deps, work, stored.record, refused, earlier)) continue;
    keepCallLink(stored.record, earlier);
    kept.push(stored);
  }
  const capturedAt = deps.state.clock.now().toISOString();
  for (const { record } of kept) record.capturedAt = capturedAt;
  await deps.state.metadata.putMany(kept);
  await deps.producer.addMany(
    'match-metadata',
    kept.map(({ record }) => ({
      payload: { tenantId: work.tenant.id, recordId: record.recordId },
      options: jobOptions.matchMetadata(work.tenant.id, record.recordId, record.version),
    })),
  );
  return refused;
}

function withinUpdateWindow(
  deps: ParseDeps,
  work: AssetWork,
  record: MetadataRecord,
  rejectedRows: Reason[],
  previous: MetadataRecord | null,
): boolean {
  try {
    checkUpdateWindow(deps, work, record, previous);
    return true;
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    rejectedRows.push({ ...error.reason, ...(record.line !== undefined ? { line: record.line } : {}) });
    return false;
  }
}
