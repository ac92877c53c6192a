// Rows of a call-metadata batch CSV: one record per row, keyed by the header's column names.
// A malformed row is reported by line and the rest of the file still counts.
import type { Reason } from '@callintake/schemas';
import { readCsvBatches } from './csv-batches';
import { raggedMessage, readHeader } from './csv-header';
import type { TextSource } from './csv-text';
import { FlatAsyncIterator } from './flat-async-iterator';
import { setOwn, type RawRecord } from './raw-record';

export type CsvRow = { line: number; record: RawRecord } | { line: number; reason: Reason };

/**
 * Rows of a batch CSV, streamed: the source is read only as fast as rows are consumed.
 * `line` is the physical line a row starts on (the header is line 1). Iterating throws
 * RejectionError for a file that cannot be read as a whole (bad header, not UTF-8, runaway
 * quoted field); leaving the loop early closes the source.
 */
export function readCsvRows(input: TextSource): AsyncIterableIterator<CsvRow> {
  return new FlatAsyncIterator(csvRowBatches(input));
}

async function* csvRowBatches(input: TextSource): AsyncGenerator<CsvRow[]> {
  let header: string[] | undefined;
  let build = buildRecord;
  for await (const { rows, lines, faults } of readCsvBatches(input)) {
    const out: CsvRow[] = [];
    for (let index = 0; index < rows.length; index++) {
      const cells = rows[index]!;
      const line = lines[index]!;
      const fault = faults?.get(index);
      if (header === undefined) {
        header = readHeader(cells, line, fault);
        if (header.includes('__proto__')) build = buildRecordSafely;
      } else if (fault !== undefined) {
        out.push({ line, reason: { code: 'parse-error', message: fault, line } });
      } else if (cells.length !== header.length) {
        out.push({
          line,
          reason: { code: 'parse-error', message: raggedMessage(cells.length, header.length), line },
        });
      } else {
        out.push({ line, record: build(header, cells) });
      }
    }
    yield out;
  }
}

function buildRecord(header: string[], cells: string[]): RawRecord {
  const record: RawRecord = {};
  for (let column = 0; column < header.length; column++) record[header[column]!] = cells[column]!;
  return record;
}

function buildRecordSafely(header: string[], cells: string[]): RawRecord {
  const record: RawRecord = {};
  for (let column = 0; column < header.length; column++) setOwn(record, header[column]!, cells[column]!);
  return record;
}
