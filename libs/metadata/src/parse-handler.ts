// The `parse-metadata` job: read a metadata file (one record, or one per CSV row), map it with
// the tenant's field mapping, store the records, and hand each to the matcher. A bad row of a
// batch rejects that row (reported by line), not the batch.
import { createHash } from 'node:crypto';
import {
  completeAssetJob,
  errorReportPath,
  hashingStream,
  isRepeatedContent,
  rejectAssetJob,
  startAssetJob,
  type AssetJobDeps,
  type AssetWork,
} from '@callintake/intake';
import { pairingKey, parseRecordingName, referenceBaseName, splitExtension } from '@callintake/naming';
import { jobId, type AssetVersionJob, type JobContext, type JobProducer } from '@callintake/queues';
import { RejectionError, type Reason, type TenantConfig } from '@callintake/schemas';
import type { MetadataRecord } from '@callintake/state';
import { METADATA_LIMITS } from './limits';
import { mapRecord, type MappedRecord } from './map-record';
import { parseSingleRecord } from './parse-single-record';
import type { RawRecord } from './raw-record';
import { readCsvRows } from './csv-rows';

export interface ParseDeps extends AssetJobDeps {
  producer: JobProducer;
}

/** How many rejected rows an asset lists; the error report file lists them all. */
const MAX_ROW_WARNINGS = 100;
const BATCH_SIZE = 500;

export async function handleParseMetadata(
  deps: ParseDeps,
  job: AssetVersionJob,
  context: JobContext,
): Promise<void> {
  const work = await startAssetJob(deps, job);
  if (!work) return;
  const { extension } = splitExtension(work.asset.name);
  try {
    if (extension === 'csv') await parseBatch(deps, work, context);
    else await parseSingle(deps, work, extension as 'json' | 'xml' | 'yml' | 'yaml');
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    await rejectAssetJob(deps, work, error.reason);
    context.logger.info(
      { tenant: work.tenant.id, file: work.asset.name, reason: error.reason.code },
      'metadata rejected',
    );
  }
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

/** The recording name's timestamp, when the metadata is named like its recording. */
function callTimeFromName(fileName: string, tenant: TenantConfig): string | undefined {
  const parsed = parseRecordingName(fileName, { timezone: tenant.timezone, directions: tenant.directions });
  return parsed.pattern === 'timestamp' ? parsed.timestamp : undefined;
}

function mapWithName(raw: RawRecord, tenant: TenantConfig, fileName: string, line?: number): MappedRecord {
  const fromName = callTimeFromName(fileName, tenant);
  return mapRecord(raw, tenant, {
    ...(line !== undefined ? { line } : {}),
    ...(fromName ? { callTimeFromName: fromName } : {}),
  });
}

function toRecord(
  work: AssetWork,
  recordId: string,
  mapped: MappedRecord,
  sha256: string,
  line?: number,
): MetadataRecord {
  const callTime = mapped.canonical.callTime ?? callTimeFromName(work.asset.name, work.tenant);
  return {
    tenantId: work.tenant.id,
    recordId,
    fileName: work.asset.name,
    version: work.version.number,
    ...(line !== undefined ? { line } : {}),
    fields: mapped.fields,
    canonical: { ...mapped.canonical, ...(callTime ? { callTime } : {}) },
    sha256,
    receivedAt: work.version.seenAt,
    ...(work.version.seq !== undefined ? { seenSeq: work.version.seq } : {}),
  };
}

/**
 * SPEC "Updates": a new version replaces its call's fields only within the tenant's window
 * after the call time; later, the earlier version stands.
 */
async function checkUpdateWindow(
  deps: ParseDeps,
  work: AssetWork,
  record: MetadataRecord,
  known?: MetadataRecord | null,
): Promise<void> {
  const previous =
    known !== undefined ? known : await deps.state.metadata.get(work.tenant.id, record.recordId);
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
 * Where the record waits for its recording; the same key the matcher pairs it by (matching's
 * `meetingStem`), so pairing works whichever side arrives first. A record meets the recording
 * it references; a single-record file without a reference meets the recording of its own name;
 * a batch row without one pairs by nothing (yet).
 */
function stemsFor(work: AssetWork, record: MetadataRecord, singleRecord: boolean): string | undefined {
  const reference = record.canonical.recordingFile
    ? referenceBaseName(record.canonical.recordingFile)
    : undefined;
  if (reference?.ok) return pairingKey(reference.baseName);
  return singleRecord ? pairingKey(work.asset.name) : undefined;
}

async function parseSingle(
  deps: ParseDeps,
  work: AssetWork,
  extension: 'json' | 'xml' | 'yml' | 'yaml',
): Promise<void> {
  const content = await readWhole(work, METADATA_LIMITS.singleRecordBytes);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (isRepeatedContent(work, sha256)) return completeAssetJob(deps, work, { sha256 });
  const raw = parseSingleRecord(content, extension);
  const record = toRecord(work, work.asset.name, mapWithName(raw, work.tenant, work.asset.name), sha256);
  await checkUpdateWindow(deps, work, record);
  record.capturedAt = deps.state.clock.now().toISOString();
  await deps.state.metadata.putMany([{ record, pairingStem: stemsFor(work, record, true) }]);
  await deps.producer.add(
    'match-metadata',
    { tenantId: work.tenant.id, recordId: record.recordId },
    { jobId: jobId(work.tenant.id, record.recordId, `v${record.version}`) },
  );
  await completeAssetJob(deps, work, { sha256 });
}

async function parseBatch(deps: ParseDeps, work: AssetWork, context: JobContext): Promise<void> {
  const hashed = hashingStream(await work.area.openRead(work.location));
  const stream = hashed.stream;
  const rejectedRows: Reason[] = [];
  let accepted = 0;
  let pending: MetadataRecord[] = [];
  // The first row waits until we know whether it is the only one: a one-row CSV is a
  // per-call file and pairs by its own name.
  let firstRow: MetadataRecord | undefined;
  let rows = 0;

  const flush = async (records: MetadataRecord[], single: boolean) => {
    if (records.length === 0) return;
    // One read for the whole batch: a round trip per row made 100k rows take minutes.
    const previous = await deps.state.metadata.getMany(
      work.tenant.id,
      records.map((record) => record.recordId),
    );
    const kept: MetadataRecord[] = [];
    for (const [index, record] of records.entries())
      if (await withinUpdateWindow(deps, work, record, rejectedRows, previous[index] ?? null))
        kept.push(record);
    const capturedAt = deps.state.clock.now().toISOString();
    for (const record of kept) record.capturedAt = capturedAt;
    await deps.state.metadata.putMany(
      kept.map((record) => ({ record, pairingStem: stemsFor(work, record, single) })),
    );
    await deps.producer.addMany(
      'match-metadata',
      kept.map((record) => ({
        payload: { tenantId: work.tenant.id, recordId: record.recordId },
        options: { jobId: jobId(work.tenant.id, record.recordId, `v${record.version}`) },
      })),
    );
    accepted += kept.length;
  };

  for await (const row of readCsvRows(stream)) {
    if ('reason' in row) {
      rejectedRows.push(row.reason);
      continue;
    }
    let record: MetadataRecord;
    try {
      // Content hash is not known until the end; rows carry the version instead.
      record = toRecord(
        work,
        `${work.asset.name}#${row.line}`,
        mapWithName(row.record, work.tenant, work.asset.name, row.line),
        '',
        row.line,
      );
    } catch (error) {
      if (!(error instanceof RejectionError)) throw error;
      rejectedRows.push({ ...error.reason, line: row.line });
      continue;
    }
    rows++;
    if (rows === 1) {
      firstRow = record;
      continue;
    }
    if (rows === 2 && firstRow) pending.push(firstRow);
    pending.push(record);
    if (pending.length >= BATCH_SIZE) {
      await flush(pending, false);
      pending = [];
    }
  }
  const sha256 = hashed.sha256();
  // A per-call CSV is a file of exactly one data row. A batch whose other rows were all rejected
  // stays a batch: its one good row must not take the file's name as its own.
  if (rows === 1 && firstRow && rejectedRows.length === 0) {
    if (isRepeatedContent(work, sha256)) return completeAssetJob(deps, work, { sha256 });
    await flush([{ ...firstRow, recordId: work.asset.name }], true);
  } else await flush(rows === 1 && firstRow ? [firstRow] : pending, false);

  if (rejectedRows.length > 0 && accepted === 0) {
    throw new RejectionError(rejectedRows[0] as Reason);
  }
  if (rejectedRows.length > 0) {
    await work.area.writeFile(
      errorReportPath(work.asset.name),
      JSON.stringify(
        { file: work.asset.name, version: work.version.number, acceptedRows: accepted, rejectedRows },
        null,
        2,
      ) + '\n',
    );
    context.logger.info(
      { tenant: work.tenant.id, file: work.asset.name, accepted, rejected: rejectedRows.length },
      'batch had rejected rows',
    );
  }
  await completeAssetJob(deps, work, {
    sha256,
    warnings: rejectedRows.slice(0, MAX_ROW_WARNINGS),
    rejectedRows,
  });
}

async function withinUpdateWindow(
  deps: ParseDeps,
  work: AssetWork,
  record: MetadataRecord,
  rejectedRows: Reason[],
  previous: MetadataRecord | null,
): Promise<boolean> {
  try {
    await checkUpdateWindow(deps, work, record, previous);
    return true;
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    rejectedRows.push({ ...error.reason, ...(record.line !== undefined ? { line: record.line } : {}) });
    return false;
  }
}
