// Splits normalized CSV text into rows with papaparse, one batch per piece of text, and numbers
// each row by the physical line it starts on. Blank lines are dropped here.
//
// papaparse's stream modes are not used: they decode Buffer chunks one at a time (garbling
// characters split across chunks) and guess one newline style for the whole file; its Duplex
// mode drops per-row quote errors, and pausing it for backpressure re-parses text. Its core
// Parser, fed piece by piece with the unfinished last row carried over, is what those modes run
// on; driving it here leaves decoding, memory bounds and backpressure to us: the next piece is
// read only when the consumer asks for more rows.
import Papa from 'papaparse';
import { RejectionError, reject } from '@callintake/schemas';
import { CSV_MAX_ROW_CHARS } from './limits';
import { normalizedCsvText, type TextSource } from './csv-text';

export interface CsvBatch {
  /** Cells of each non-blank row, as sent (quotes removed, doubled quotes undone). */
  rows: string[][];
  /** Physical line each row starts on, parallel to rows (the first line is 1). */
  lines: number[];
  /** Why a row is malformed (a quote problem), by index into rows; undefined when none are. */
  faults: Map<number, string> | undefined;
}

interface PapaQuoteError {
  code: string;
  row: number;
}

interface PapaResult {
  data: string[][];
  errors: PapaQuoteError[];
  meta: { cursor: number };
}

const QUOTE_FAULTS: Record<string, string> = {
  MissingQuotes: 'a quoted field is never closed',
  InvalidQuotes: 'a closing quote is followed by other text; double quotes inside a quoted field ("")',
};

export async function* readCsvBatches(input: TextSource): AsyncGenerator<CsvBatch> {
  const text = normalizedCsvText(input)[Symbol.asyncIterator]();
  try {
    yield* batchesOf(text);
  } finally {
    // Stopping early (or failing) closes the text source, which destroys the input stream.
    await text.return(undefined);
  }
}

async function* batchesOf(text: AsyncIterator<string>): AsyncGenerator<CsvBatch> {
  let carried = '';
  let nextLine = 1;
  for (;;) {
    let piece: IteratorResult<string>;
    try {
      piece = await text.next();
    } catch (error) {
      throw withLine(error, nextLine);
    }
    const final = piece.done === true;
    const chunk = final ? carried : carried + piece.value;
    // The Parser keeps state per instance; a fresh one per piece is what papaparse itself does.
    const parser = new Papa.Parser({ delimiter: ',', newline: '\n', quoteChar: '"' });
    const result = parser.parse(chunk, 0, !final) as PapaResult;
    const cursor = result.meta.cursor;
    carried = final ? '' : chunk.slice(cursor);
    // Rows start one line apart unless a quoted field holds newlines. When the piece's complete
    // rows hold exactly one newline each (their ends), none does and no cell needs scanning.
    const mayHoldNewlines =
      chunk.includes('"') &&
      (final || result.errors.length > 0 || newlinesBefore(chunk, cursor) !== result.data.length);

    const batch: CsvBatch = { rows: [], lines: [], faults: undefined };
    const faultsByRow = quoteFaults(result);
    const data = result.data;
    for (let index = 0; index < data.length; index++) {
      const cells = data[index]!;
      const line = nextLine;
      nextLine += mayHoldNewlines ? 1 + newlinesIn(cells) : 1;
      if (isBlank(cells)) continue;
      const fault = faultsByRow?.get(index);
      if (fault !== undefined) (batch.faults ??= new Map()).set(batch.rows.length, fault);
      batch.rows.push(cells);
      batch.lines.push(line);
    }
    if (batch.rows.length > 0) yield batch;
    if (final) return;
    if (carried.length > CSV_MAX_ROW_CHARS) {
      reject('parse-error', `the row is longer than ${CSV_MAX_ROW_CHARS} characters; is a quote left open?`, {
        line: nextLine,
      });
    }
  }
}

function quoteFaults(result: PapaResult): Map<number, string> | undefined {
  let faults: Map<number, string> | undefined;
  for (const error of result.errors) {
    // Errors on the unfinished last row are dropped: it is parsed again with the next piece.
    if (error.row >= result.data.length) continue;
    if (faults?.has(error.row)) continue;
    (faults ??= new Map()).set(error.row, QUOTE_FAULTS[error.code] ?? 'the row is malformed');
  }
  return faults;
}

function newlinesBefore(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

function newlinesIn(cells: string[]): number {
  let count = 0;
  for (const cell of cells) {
    for (let at = cell.indexOf('\n'); at !== -1; at = cell.indexOf('\n', at + 1)) count++;
  }
  return count;
}

/** Empty and whitespace-only lines, and Excel's rows of bare delimiters (`,,,`). */
function isBlank(cells: string[]): boolean {
  for (const cell of cells) {
    if (cell.length > 0 && cell.trim().length > 0) return false;
  }
  return true;
}

function withLine(error: unknown, line: number): unknown {
  if (
    error instanceof RejectionError &&
    error.reason.code === 'parse-error' &&
    error.reason.line === undefined
  ) {
    return new RejectionError({
      ...error.reason,
      message: `${error.reason.message} (at or after line ${line})`,
      line,
    });
  }
  return error;
}
