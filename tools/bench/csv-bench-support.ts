// Shared by the metadata and CRM CSV benchmarks: writing big CSVs (setup, not measured) and the
// raw papaparse baseline every CSV figure is compared with.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import Papa from 'papaparse';

export async function writeCsv(
  path: string,
  header: string,
  rows: number,
  row: (i: number) => string,
): Promise<number> {
  const out = createWriteStream(path);
  let chunk = header + '\n';
  for (let i = 0; i < rows; i++) {
    chunk += row(i) + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return out.bytesWritten;
}

/** What any CSV reader must at least do: papaparse over a utf8 file stream, rows counted. */
export async function rawPapaparse(path: string): Promise<number> {
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    Papa.parse(createReadStream(path, { encoding: 'utf8' }), {
      step: () => {
        rows++;
      },
      complete: () => resolve(),
      error: (error) => reject(error),
    });
  });
  return rows - 1; // the header
}
