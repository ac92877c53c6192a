// The per-row work of a batch call-metadata CSV, as the parse handler runs it: rows read and
// mapped with the tenant's mapping into the records to store, each with the key it pairs by.
// Storing them is the handler's part. Kept apart so the benchmark measures exactly this path.
import { metadataPairingKey, parseRecordingName } from '@callintake/naming';
import {
  RejectionError,
  type CanonicalValues,
  type MetadataRecord,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';
import { readCsvBodyBatches, rowProblem } from './csv-rows';
import type { TextSource } from './csv-text';
import { csvRowMapper, type MappedRecord, type MappedRow } from './map-record';

/** The metadata file (one version of it) whose rows become records. */
export interface MetadataFile {
  tenant: TenantConfig;
  fileName: string;
  version: number;
  /** When this version was first seen. */
  receivedAt: string;
  seenSeq?: number;
}

export type BatchRecord =
  | { line: number; record: MetadataRecord; pairingStem: string | undefined; perCall?: PerCallRow }
  | { line: number; reason: Reason; perCall?: PerCallRow };

/**
 * The first row of a CSV read as a per-call file's record (the file's name gives it a call time
 * when it has none): what counts when the CSV turns out to hold that one row only.
 */
export type PerCallRow = { record: MetadataRecord } | { reason: Reason };

/**
 * The records of a batch CSV's rows, batch by batch, streamed like readCsvRows (and throwing
 * as it does for a file that cannot be read as a whole). A row that cannot be read or mapped
 * is a reason carrying its line. Records have recordId `<file>#<line>`, no content hash (not
 * known until the end) and the pairing stem of a row of a larger batch.
 */
export async function* readBatchRecords(
  input: TextSource,
  file: MetadataFile,
): AsyncGenerator<BatchRecord[]> {
  // A batch's name gives its rows no call time (the guide suggests naming batches by the time
  // they were generated); only a CSV that turns out to be a per-call file takes one from it.
  const perCallTime = csvMayBePerCall(file.fileName, file.tenant)
    ? recordingNameTime(file.fileName, file.tenant)
    : undefined;
  let mapper: ReturnType<typeof csvRowMapper> | undefined;
  let perCallMapper: ReturnType<typeof csvRowMapper> | undefined;
  let first = true;
  for await (const batch of readCsvBodyBatches(input)) {
    mapper ??= csvRowMapper(batch.header, batch.build, file.tenant, undefined);
    const out: BatchRecord[] = [];
    for (let index = 0; index < batch.rows.length; index++) {
      const cells = batch.rows[index]!;
      const line = batch.lines[index]!;
      const problem = rowProblem(batch.header, cells, batch.faults?.get(index));
      const row: BatchRecord =
        problem !== undefined
          ? { line, reason: { ...problem, line } }
          : mapRow(file, mapper, cells, line, `${file.fileName}#${line}`, undefined);
      if (first) {
        first = false;
        if (problem === undefined && perCallTime !== undefined) {
          perCallMapper ??= csvRowMapper(batch.header, batch.build, file.tenant, perCallTime);
          row.perCall = mapRow(file, perCallMapper, cells, line, file.fileName, perCallTime);
        }
      }
      out.push(row);
    }
    yield out;
  }
}

function mapRow(
  file: MetadataFile,
  mapper: ReturnType<typeof csvRowMapper>,
  cells: string[],
  line: number,
  recordId: string,
  callTimeFromName: NameTime | undefined,
): BatchRecord {
  let mapped: MappedRow;
  try {
    mapped = mapper(cells, line);
  } catch (error) {
    if (!(error instanceof RejectionError)) throw error;
    return { line, reason: { ...error.reason, line } };
  }
  const record = metadataRecord(file, recordId, mapped, '', line, callTimeFromName);
  // The mapper reads a plain reference's pairing key with its base name; others are read here.
  const pairingStem = mapped.pairingKey ?? pairingStemOf(record.canonical, undefined);
  return { line, record, pairingStem };
}

/** A time a metadata file's name gives: the timestamp of a recording-shaped name, as written. */
export type NameTime = string;

/** The recording name's timestamp, when the metadata file is named like its recording. */
export function recordingNameTime(fileName: string, tenant: TenantConfig): NameTime | undefined {
  const parsed = parseRecordingName(fileName, { timezone: tenant.timezone, directions: tenant.directions });
  return parsed.pattern === 'timestamp' ? parsed.timestamp : undefined;
}

/**
 * Whether a CSV of one row is a per-call file (paired by its own name). A CSV named by a bare
 * timestamp, `20240311-143000.csv`, is how the guide tells customers to name batches: it stays
 * a batch whatever its size, so its one row pairs by its own fields, fuzzily included.
 */
export function csvMayBePerCall(fileName: string, tenant: TenantConfig): boolean {
  const parsed = parseRecordingName(fileName, { timezone: tenant.timezone, directions: tenant.directions });
  return parsed.pattern !== 'timestamp' || parsed.uid !== undefined;
}

/**
 * The record to store. With no `callTime` of its own, a record takes its file name's timestamp:
 * the call's start, or its end (tenant `filenameTime`) less the record's `durationSec` when it
 * has one. `callTimeFromName` says so, because a recording's probed duration gives a better
 * start for an end-of-call name than the metadata can (the matcher prefers it).
 */
export function metadataRecord(
  file: MetadataFile,
  recordId: string,
  mapped: MappedRecord,
  sha256: string,
  line: number | undefined,
  nameTime: NameTime | undefined,
): MetadataRecord {
  const fromName = mapped.canonical.callTime === undefined && nameTime !== undefined;
  const canonical: CanonicalValues = fromName
    ? { ...mapped.canonical, callTime: startFromName(nameTime, file.tenant, mapped.canonical.durationSec) }
    : mapped.canonical;
  const { tenant, fileName, version, receivedAt, seenSeq } = file;
  const { fields } = mapped;
  if (fromName) {
    return {
      tenantId: tenant.id,
      recordId,
      fileName,
      version,
      ...(line !== undefined ? { line } : {}),
      fields,
      canonical,
      sha256,
      receivedAt,
      ...(seenSeq !== undefined ? { seenSeq } : {}),
      callTimeFromName: tenant.filenameTime,
    };
  }
  // Spelled out rather than spread: this runs once per row of a batch.
  if (line === undefined) {
    return seenSeq === undefined
      ? { tenantId: tenant.id, recordId, fileName, version, fields, canonical, sha256, receivedAt }
      : { tenantId: tenant.id, recordId, fileName, version, fields, canonical, sha256, receivedAt, seenSeq };
  }
  return seenSeq === undefined
    ? { tenantId: tenant.id, recordId, fileName, version, line, fields, canonical, sha256, receivedAt }
    : {
        tenantId: tenant.id,
        recordId,
        fileName,
        version,
        line,
        fields,
        canonical,
        sha256,
        receivedAt,
        seenSeq,
      };
}

function startFromName(stamp: string, tenant: TenantConfig, durationSec: unknown): string {
  if (tenant.filenameTime === 'start' || typeof durationSec !== 'number') return stamp;
  return new Date(Date.parse(stamp) - Math.round(durationSec * 1000)).toISOString();
}

/** Where a record waits for its recording: naming's metadataPairingKey, the matcher's key too. */
export function pairingStemOf(canonical: CanonicalValues, ownName: string | undefined): string | undefined {
  return metadataPairingKey(canonical.recordingFile, ownName);
}
