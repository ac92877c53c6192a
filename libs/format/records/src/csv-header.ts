// The header row of a batch CSV names the fields of every row, so a bad header rejects the file.
import { reject } from '@callintake/schemas';

/** Column names, trimmed; throws parse-error (with the header's line) for unnamed or repeated columns. */
export function readHeader(cells: string[], line: number, fault: string | undefined): string[] {
  if (fault !== undefined) reject('parse-error', `header: ${fault}`, { line });
  const names = cells.map((cell) => cell.trim());
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === '') reject('parse-error', `column ${index + 1} of the header has no name`, { line });
    if (seen.has(name)) reject('parse-error', `duplicate column "${name}"`, { line });
    seen.add(name);
  });
  return names;
}

export function raggedMessage(found: number, expected: number): string {
  return `the row has ${found} field${found === 1 ? '' : 's'}, the header has ${expected}`;
}
