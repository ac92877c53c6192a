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
  for await (const { header, build, rows, lines, faults } of readCsvBodyBatches(input)) {
    const out: CsvRow[] = [];
    for (let index = 0; index < rows.length; index++) {
      const line = lines[index]!;
      const problem = rowProblem(header, rows[index]!, faults?.get(index));
      out.push(
        problem === undefined
          ? { line, record: build(rows[index]!) }
          : { line, reason: { ...problem, line } },
      );
    }
    yield out;
  }
}

/** The rows after the header, batch by batch, as cells; what `readCsvRows` makes its rows from. */
export interface CsvBodyBatch {
  /** Column names, trimmed, from the header row. */
  header: readonly string[];
  /** The record of a row whose cells match the header (see rowProblem). */
  build: (cells: readonly string[]) => RawRecord;
  rows: readonly string[][];
  lines: readonly number[];
  faults: ReadonlyMap<number, string> | undefined;
}

export async function* readCsvBodyBatches(input: TextSource): AsyncGenerator<CsvBodyBatch> {
  let header: string[] | undefined;
  let build: CsvBodyBatch['build'] = () => ({});
  for await (const { rows, lines, faults } of readCsvBatches(input)) {
    let first = 0;
    if (header === undefined) {
      header = readHeader(rows[0]!, lines[0]!, faults?.get(0));
      build = recordBuilder(header);
      first = 1;
    }
    if (first === 0) {
      yield { header, build, rows, lines, faults };
    } else if (rows.length > 1) {
      yield {
        header,
        build,
        rows: rows.slice(1),
        lines: lines.slice(1),
        faults: shifted(faults),
      };
    }
  }
}

/** Why a row is not a record: a malformed quote, or a count of cells unlike the header's. */
export function rowProblem(
  header: readonly string[],
  cells: readonly string[],
  fault: string | undefined,
): { code: 'parse-error'; message: string } | undefined {
  if (fault !== undefined) return { code: 'parse-error', message: fault };
  if (cells.length !== header.length)
    return { code: 'parse-error', message: raggedMessage(cells.length, header.length) };
  return undefined;
}

function shifted(faults: ReadonlyMap<number, string> | undefined): Map<number, string> | undefined {
  if (faults === undefined) return undefined;
  let moved: Map<number, string> | undefined;
  for (const [index, fault] of faults) if (index > 0) (moved ??= new Map()).set(index - 1, fault);
  return moved;
}

function recordBuilder(header: readonly string[]): (cells: readonly string[]) => RawRecord {
  if (header.includes('__proto__')) {
    return (cells) => {
      const record: RawRecord = {};
      for (let column = 0; column < header.length; column++) setOwn(record, header[column]!, cells[column]!);
      return record;
    };
  }
  return (cells) => {
    const record: RawRecord = {};
    for (let column = 0; column < header.length; column++) record[header[column]!] = cells[column]!;
    return record;
  };
}
