// The `parse-metadata` job: read a metadata file (one record, or one per CSV row), map it with
// the tenant's field mapping, store the records, and hand each to the matcher. A bad row of a
// batch rejects that row (reported by line), not the batch.
import { createHash } from 'node:crypto';
import {
  hashingStream,
  isRepeatedContent,
  runAssetJob,
  type AssetWork,
  type Captured,
  type RunAssetJobDeps,
} from '@callintake/asset-lifecycle';
import { splitExtension } from '@callintake/naming';
import { jobOptions, type AssetVersionJob, type JobContext, type JobProducer } from '@callintake/queues';
import { RejectionError, type Reason } from '@callintake/schemas';
import type { MetadataRecord } from '@callintake/state';
import {
  mapRecord,
  metadataRecord,
  METADATA_LIMITS,
  pairingStemOf,
  parseSingleRecord,
  readBatchRecords,
  recordingNameTime,
  type MetadataFile,
} from '@callintake/records';

/** A record and the key it waits under for its recording. */
type StoredRecord = { record: MetadataRecord; pairingStem: string | undefined };

export interface ParseDeps extends RunAssetJobDeps {
  producer: JobProducer;
}

const BATCH_SIZE = 500;

export function handleParseMetadata(
  deps: ParseDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  return runAssetJob(deps, job, context, (work) => {
    const { extension } = splitExtension(work.asset.name);
    return extension === 'csv'
      ? parseBatch(deps, work)
      : parseSingle(deps, work, extension as 'json' | 'xml' | 'yml' | 'yaml');
  });
}

async function readWhole(work: AssetWork, limit: number): Promise<Buffer> {
  if (work.entry.sizeBytes > limit) {
    throw new RejectionError({
      code: 'too-large',
      message: `metadata files may be at most ${limit} bytes; this one is ${work.entry.sizeBytes}`,
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await work.area.openRead(work.location)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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

async function parseSingle(
  deps: ParseDeps,
  work: AssetWork,
  extension: 'json' | 'xml' | 'yml' | 'yaml',
): Promise<Captured> {
  const content = await readWhole(work, METADATA_LIMITS.singleRecordBytes);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (isRepeatedContent(work, sha256)) return { sha256 };
  const raw = parseSingleRecord(content, extension);
  const fromName = recordingNameTime(work.asset.name, work.tenant);
  const mapped = mapRecord(raw, work.tenant, fromName === undefined ? {} : { callTimeFromName: fromName });
  const record = metadataRecord(metadataFile(work), work.asset.name, mapped, sha256, undefined, fromName);
  const previous = await deps.state.metadata.get(work.tenant.id, record.recordId);
  checkUpdateWindow(deps, work, record, previous);
  keepCallLink(record, previous);
  record.capturedAt = deps.state.clock.now().toISOString();
  await deps.state.metadata.putMany([
    { record, pairingStem: pairingStemOf(record.canonical, work.asset.name) },
  ]);
  return {
    sha256,
    next: [
      {
        name: 'match-metadata',
        payload: { tenantId: work.tenant.id, recordId: record.recordId },
        options: jobOptions.matchMetadata(work.tenant.id, record.recordId, record.version),
      },
    ],
  };
}

/**
 * A batch's records are stored and handed to the matcher in chunks while the file streams (a
 * million rows cannot wait for the end); all of it still happens before the template moves the
 * file, so a crash leaves the file in data/ and a retry repeats the chunks idempotently.
 */
async function parseBatch(deps: ParseDeps, work: AssetWork): Promise<Captured> {
  const hashed = hashingStream(await work.area.openRead(work.location));
  const rejectedRows: Reason[] = [];
  let accepted = 0;
  let pending: StoredRecord[] = [];
  // The first row waits until we know whether it is the only one: a one-row CSV is a
  // per-call file and pairs by its own name.
  let firstRow: StoredRecord | undefined;
  let rows = 0;

  const flush = async (records: StoredRecord[]) => {
    if (records.length === 0) return;
    // One read for the whole batch: a round trip per row made 100k rows take minutes.
    const previous = await deps.state.metadata.getMany(
      work.tenant.id,
      records.map(({ record }) => record.recordId),
    );
    const kept: StoredRecord[] = [];
    for (const [index, stored] of records.entries()) {
      const earlier = previous[index] ?? null;
      if (!withinUpdateWindow(deps, work, stored.record, rejectedRows, earlier)) continue;
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
    accepted += kept.length;
  };

  for await (const batch of readBatchRecords(hashed.stream, metadataFile(work))) {
    for (const row of batch) {
      if ('reason' in row) {
        rejectedRows.push(row.reason);
        continue;
      }
      rows++;
      if (rows === 1) {
        firstRow = row;
        continue;
      }
      if (rows === 2 && firstRow) pending.push(firstRow);
      pending.push(row);
      if (pending.length >= BATCH_SIZE) {
        await flush(pending);
        pending = [];
      }
    }
  }
  const sha256 = hashed.sha256();
  // A per-call CSV is a file of exactly one data row. A batch whose other rows were all rejected
  // stays a batch: its one good row must not take the file's name as its own.
  if (rows === 1 && firstRow && rejectedRows.length === 0) {
    if (isRepeatedContent(work, sha256)) return { sha256 };
    const record = { ...firstRow.record, recordId: work.asset.name };
    await flush([{ record, pairingStem: pairingStemOf(record.canonical, work.asset.name) }]);
  } else await flush(rows === 1 && firstRow ? [firstRow] : pending);

  if (rejectedRows.length > 0 && accepted === 0) {
    throw new RejectionError(rejectedRows[0] as Reason);
  }
  return { sha256, rejectedRows, acceptedRows: accepted };
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
