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
  | { line: number; record: MetadataRecord; pairingStem: string | undefined }
  | { line: number; reason: Reason };

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
  const callTimeFromName = recordingNameTime(file.fileName, file.tenant);
  let mapper: ReturnType<typeof csvRowMapper> | undefined;
  for await (const batch of readCsvBodyBatches(input)) {
    mapper ??= csvRowMapper(batch.header, batch.build, file.tenant, callTimeFromName);
    const out: BatchRecord[] = [];
    for (let index = 0; index < batch.rows.length; index++) {
      const cells = batch.rows[index]!;
      const line = batch.lines[index]!;
      const problem = rowProblem(batch.header, cells, batch.faults?.get(index));
      if (problem !== undefined) {
        out.push({ line, reason: { ...problem, line } });
        continue;
      }
      let mapped: MappedRow;
      try {
        mapped = mapper(cells, line);
      } catch (error) {
        if (!(error instanceof RejectionError)) throw error;
        out.push({ line, reason: { ...error.reason, line } });
        continue;
      }
      const record = metadataRecord(file, `${file.fileName}#${line}`, mapped, '', line, callTimeFromName);
      // The mapper reads a plain reference's pairing key with its base name; others are read here.
      const pairingStem = mapped.pairingKey ?? pairingStemOf(record.canonical, undefined);
      out.push({ line, record, pairingStem });
    }
    yield out;
  }
}

/** The recording name's timestamp, when the metadata file is named like its recording. */
export function recordingNameTime(fileName: string, tenant: TenantConfig): string | undefined {
  const parsed = parseRecordingName(fileName, { timezone: tenant.timezone, directions: tenant.directions });
  return parsed.pattern === 'timestamp' ? parsed.timestamp : undefined;
}

/** The record to store; `callTime` falls back to the file name's timestamp. */
export function metadataRecord(
  file: MetadataFile,
  recordId: string,
  mapped: MappedRecord,
  sha256: string,
  line: number | undefined,
  callTimeFromName: string | undefined,
): MetadataRecord {
  const canonical: CanonicalValues =
    mapped.canonical.callTime !== undefined || callTimeFromName === undefined
      ? mapped.canonical
      : { ...mapped.canonical, callTime: callTimeFromName };
  const { tenant, fileName, version, receivedAt, seenSeq } = file;
  const { fields } = mapped;
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

/** Where a record waits for its recording: naming's metadataPairingKey, the matcher's key too. */
export function pairingStemOf(canonical: CanonicalValues, ownName: string | undefined): string | undefined {
  return metadataPairingKey(canonical.recordingFile, ownName);
}
