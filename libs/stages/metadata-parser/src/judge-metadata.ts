// What the metadata parser decides about a file from its content, without state: the size
// limit, parsing and the tenant's mapping of a single-record file; the rows of a batch CSV, the
// one-row CSV rule, and the rejection of a batch with no good row. The parse handler and
// `ingest validate` both judge with this; the handler passes hooks that store what is accepted
// (and may refuse it after all: the update window needs the stored versions).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hashingStream } from '@callintake/asset-lifecycle';
import { splitExtension } from '@callintake/naming';
import {
  mapRecord,
  metadataRecord,
  METADATA_LIMITS,
  pairingStemOf,
  csvMayBePerCall,
  type BatchRecord,
  parseSingleRecord,
  readBatchRecords,
  recordingNameTime,
  type MetadataFile,
  type SingleRecordExtension,
} from '@callintake/records';
import { RejectionError, type MetadataRecord, type Reason } from '@callintake/schemas';

/** A record and the key it waits under for its recording. */
export type StoredRecord = { record: MetadataRecord; pairingStem: string | undefined };

/** The file's content: its stored size (checked before reading) and a way to stream it. */
export interface MetadataSource {
  sizeBytes: number;
  open(): Promise<Readable>;
}

export interface MetadataHooks {
  /**
   * True when content with this hash already stands (a re-upload): the judge stops there. Asked
   * of a single-record file before it is parsed, and of a one-row CSV before its row is stored.
   */
  isRepeated?(sha256: string): boolean;
  /** Stores a single-record file's record; throws RejectionError to reject the file after all. */
  storeRecord?(record: StoredRecord): Promise<void>;
  /**
   * Stores a batch's accepted rows, in chunks while it streams. Returns one reason (with its
   * line) for each record it refused after all; those count as rejected rows.
   */
  storeRows?(records: StoredRecord[]): Promise<Reason[]>;
}

export type MetadataJudgement =
  /** The content already stands; nothing was parsed or stored. */
  | { shape: 'repeated'; sha256: string }
  /** A JSON, XML or YAML file: one record. */
  | { shape: 'single'; sha256: string; record: StoredRecord }
  /**
   * A CSV: `perCall` when it has exactly one data row and no bad one (its record is named and
   * paired by the file's own name); otherwise a batch whose bad rows are refused by line.
   */
  | { shape: 'batch'; sha256: string; perCall: boolean; acceptedRows: number; rejectedRows: Reason[] };

/** Rows of a batch handed to `storeRows` at a time. */
export const METADATA_STORE_CHUNK = 500;

/**
 * Judges one version of a metadata file. Throws RejectionError for a file the service rejects
 * (too large, unreadable, unmappable, or a batch with no good row); anything else it throws is a
 * passing fault.
 */
export function judgeMetadataFile(
  source: MetadataSource,
  file: MetadataFile,
  hooks: MetadataHooks = {},
): Promise<MetadataJudgement> {
  const { extension } = splitExtension(file.fileName);
  return extension === 'csv'
    ? judgeBatch(source, file, hooks)
    : judgeSingle(source, file, extension as SingleRecordExtension, hooks);
}

async function judgeSingle(
  source: MetadataSource,
  file: MetadataFile,
  extension: SingleRecordExtension,
  hooks: MetadataHooks,
): Promise<MetadataJudgement> {
  const limit = METADATA_LIMITS.singleRecordBytes;
  if (source.sizeBytes > limit) {
    throw new RejectionError({
      code: 'too-large',
      message: `metadata files may be at most ${limit} bytes; this one is ${source.sizeBytes}`,
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await source.open()) chunks.push(chunk as Buffer);
  const content = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (hooks.isRepeated?.(sha256)) return { shape: 'repeated', sha256 };
  const raw = parseSingleRecord(content, extension);
  const fromName = recordingNameTime(file.fileName, file.tenant);
  const mapped = mapRecord(raw, file.tenant, fromName === undefined ? {} : { callTimeFromName: fromName });
  const record = metadataRecord(file, file.fileName, mapped, sha256, undefined, fromName);
  const stored = { record, pairingStem: pairingStemOf(record.canonical, file.fileName) };
  await hooks.storeRecord?.(stored);
  return { shape: 'single', sha256, record: stored };
}

/**
 * A batch's records go to `storeRows` in chunks while the file streams (a million rows cannot
 * wait for the end).
 */
async function judgeBatch(
  source: MetadataSource,
  file: MetadataFile,
  hooks: MetadataHooks,
): Promise<MetadataJudgement> {
  const hashed = hashingStream(await source.open());
  const rejectedRows: Reason[] = [];
  let accepted = 0;
  let pending: StoredRecord[] = [];
  // The first row waits until we know whether it is the only one: a one-row CSV is a per-call
  // file, named and paired by its own name (which may also give it its call time).
  let firstRow: BatchRecord | undefined;
  let rows = 0;

  const flush = async (records: StoredRecord[]) => {
    if (records.length === 0) return;
    const refused = (await hooks.storeRows?.(records)) ?? [];
    for (const reason of refused) rejectedRows.push(reason);
    accepted += records.length - refused.length;
  };
  const take = (row: BatchRecord) => {
    if ('reason' in row) rejectedRows.push(row.reason);
    else pending.push({ record: row.record, pairingStem: row.pairingStem });
  };

  for await (const batch of readBatchRecords(hashed.stream, file)) {
    for (const row of batch) {
      rows++;
      if (rows === 1) {
        firstRow = row;
        continue;
      }
      if (rows === 2 && firstRow) take(firstRow);
      take(row);
      if (pending.length >= METADATA_STORE_CHUNK) {
        await flush(pending);
        pending = [];
      }
    }
  }
  const sha256 = hashed.sha256();
  // A per-call CSV is a file of exactly one data row (not one named like a batch: see
  // csvMayBePerCall). A batch whose other rows were all rejected stays a batch: its one good
  // row must not take the file's name as its own.
  const only = rows === 1 && firstRow !== undefined ? firstRow : undefined;
  const perCall = only !== undefined && csvMayBePerCall(file.fileName, file.tenant);
  if (only && perCall) {
    const row = only.perCall ?? only;
    if ('reason' in row) throw new RejectionError(row.reason);
    if (hooks.isRepeated?.(sha256)) return { shape: 'repeated', sha256 };
    const record = { ...row.record, recordId: file.fileName };
    await flush([{ record, pairingStem: pairingStemOf(record.canonical, file.fileName) }]);
  } else {
    if (only) take(only);
    await flush(pending);
  }

  if (rejectedRows.length > 0 && accepted === 0) {
    throw new RejectionError(rejectedRows[0] as Reason);
  }
  return { shape: 'batch', sha256, perCall, acceptedRows: accepted, rejectedRows };
}
