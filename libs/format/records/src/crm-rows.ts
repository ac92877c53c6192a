// Rows of a CRM batch CSV (contacts, leads...): each row upserts one object by its id.
import type { Readable } from 'node:stream';
import { reject, type Reason } from '@callintake/schemas';
import { readCsvBatches } from './csv-batches';
import { raggedMessage, readHeader } from './csv-header';
import { FlatAsyncIterator } from './flat-async-iterator';
import { setOwn } from './raw-record';

export type CrmRow =
  { line: number; id: string; record: Record<string, string> } | { line: number; reason: Reason };

/**
 * CRM objects of a batch CSV, streamed. The id column is matched exactly, then
 * case-insensitively; a header without it rejects the file (missing-id). A row with an empty id
 * or the wrong number of fields is reported by line. Values are kept as sent; the id is trimmed.
 */
export function readCrmRows(
  input: NodeJS.ReadableStream | Readable,
  idColumn = 'id',
): AsyncIterableIterator<CrmRow> {
  return new FlatAsyncIterator(crmRowBatches(input, idColumn));
}

async function* crmRowBatches(
  input: NodeJS.ReadableStream | Readable,
  idColumn: string,
): AsyncGenerator<CrmRow[]> {
  let header: string[] | undefined;
  let idIndex = -1;
  for await (const { rows, lines, faults } of readCsvBatches(input)) {
    const out: CrmRow[] = [];
    for (let index = 0; index < rows.length; index++) {
      const cells = rows[index]!;
      const line = lines[index]!;
      const fault = faults?.get(index);
      if (header === undefined) {
        header = readHeader(cells, line, fault);
        idIndex = findIdColumn(header, idColumn, line);
      } else if (fault !== undefined) {
        out.push({ line, reason: { code: 'parse-error', message: fault, line } });
      } else if (cells.length !== header.length) {
        out.push({
          line,
          reason: { code: 'parse-error', message: raggedMessage(cells.length, header.length), line },
        });
      } else {
        out.push(crmRow(header, cells, idIndex, line));
      }
    }
    yield out;
  }
}

function crmRow(header: string[], cells: string[], idIndex: number, line: number): CrmRow {
  const id = cells[idIndex]!.trim();
  if (id === '') {
    const column = header[idIndex]!;
    return {
      line,
      reason: { code: 'missing-id', message: `the "${column}" column is empty`, field: column, line },
    };
  }
  const record: Record<string, string> = {};
  for (let column = 0; column < header.length; column++) setOwn(record, header[column]!, cells[column]!);
  return { line, id, record };
}

function findIdColumn(header: string[], idColumn: string, line: number): number {
  const exact = header.indexOf(idColumn);
  if (exact !== -1) return exact;
  const wanted = idColumn.toLowerCase();
  const loose = header.findIndex((name) => name.toLowerCase() === wanted);
  if (loose === -1) reject('missing-id', `no "${idColumn}" column in header`, { line });
  return loose;
}
