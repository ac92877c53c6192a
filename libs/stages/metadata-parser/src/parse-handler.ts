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
import type { Reason } from '@callintake/schemas';
import type { MetadataFile } from '@callintake/records';
import { judgeCallUpdates, throwIfRefused } from './call-updates';
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
  // Flags on what was stored (a second source replacing a call's metadata), by line for a batch.
  const warnings: Reason[] = [];
  // Throws RejectionError for a file we cannot take: the template rejects it.
  const judged = await judgeMetadataFile(
    { sizeBytes: work.entry.sizeBytes, open: () => work.area.openRead(work.location) },
    metadataFile(work),
    {
      isRepeated: (sha256) => isRepeatedContent(work, sha256),
      storeRecord: (stored) => storeRecord(deps, work, stored, warnings),
      storeRows: (records) => storeRows(deps, work, records, warnings),
    },
  );
  switch (judged.shape) {
    case 'repeated':
      return { sha256: judged.sha256 };
    case 'single': {
      const { record } = judged.record;
      return {
        sha256: judged.sha256,
        ...warningsOf(warnings),
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
      return {
        sha256: judged.sha256,
        ...warningsOf(warnings),
        rejectedRows: judged.rejectedRows,
        acceptedRows: judged.acceptedRows,
      };
  }
}

/** Flags a file carries, at most this many (a batch may replace thousands of rows). */
const MAX_FILE_WARNINGS = 100;

function warningsOf(warnings: Reason[]): { warnings?: Reason[] } {
  return warnings.length > 0 ? { warnings: warnings.slice(0, MAX_FILE_WARNINGS) } : {};
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

/** A single-record file's record: stored unless it may not update its call (rejects the file). */
async function storeRecord(
  deps: ParseDeps,
  work: AssetWork,
  stored: StoredRecord,
  warnings: Reason[],
): Promise<void> {
  const [verdict] = await judgeCallUpdates(deps.state, work, [stored], warnings);
  throwIfRefused(verdict);
  stored.record.capturedAt = deps.state.clock.now().toISOString();
  await deps.state.metadata.putMany([stored]);
  await markReplaced(deps, work, [stored]);
}

/** After the replacing records are stored (a crash between repeats both: idempotent). */
async function markReplaced(deps: ParseDeps, work: AssetWork, stored: StoredRecord[]): Promise<void> {
  for (const { record } of stored)
    if (record.replaces)
      await deps.state.metadata.setReplacedBy(work.tenant.id, record.replaces, record.recordId);
}

/** A chunk of a batch's records: those that may not update their call are refused (by line). */
async function storeRows(
  deps: ParseDeps,
  work: AssetWork,
  records: StoredRecord[],
  warnings: Reason[],
): Promise<Reason[]> {
  const verdicts = await judgeCallUpdates(deps.state, work, records, warnings);
  const refused: Reason[] = [];
  const kept: StoredRecord[] = [];
  records.forEach((stored, index) => {
    const reason = verdicts[index]?.refused;
    if (reason) refused.push(reason);
    else kept.push(stored);
  });
  const capturedAt = deps.state.clock.now().toISOString();
  for (const { record } of kept) record.capturedAt = capturedAt;
  await deps.state.metadata.putMany(kept);
  await markReplaced(deps, work, kept);
  await deps.producer.addMany(
    'match-metadata',
    kept.map(({ record }) => ({
      payload: { tenantId: work.tenant.id, recordId: record.recordId },
      options: jobOptions.matchMetadata(work.tenant.id, record.recordId, record.version),
    })),
  );
  return refused;
}
