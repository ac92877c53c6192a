// One rule for a field given twice in a single-record file, whatever its format: the file is
// refused as a parse-error naming the field (and the line where the second one stands, when
// known). JSON.parse would keep the last value silently, YAML and XML used to refuse in words
// of their own; a customer reading the report should see one answer.
import { reject } from '@callintake/schemas';
import { lineAt } from './decode-text';

export function duplicateField(field: string, line?: number): never {
  return reject('parse-error', `field "${field}" is given more than once; each field may appear once`, {
    field,
    ...(line === undefined ? {} : { line }),
  });
}

/**
 * The first key of the top-level object of valid JSON `text` that repeats an earlier one, with
 * its offset. Keys of nested values do not count (a nested value is refused anyway).
 */
export function repeatedJsonKey(text: string): { key: string; line: number } | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let at = 0; at < text.length; at++) {
    const character = text[at];
    if (character === '"') {
      const start = at;
      for (at++; text[at] !== '"'; at++) if (text[at] === '\\') at++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(start, at + 1)) as string;
        if (seen.has(key)) return { key, line: lineAt(text, start) };
        seen.add(key);
        expectKey = false;
      }
    } else if (character === '{' || character === '[') {
      depth++;
      expectKey = depth === 1 && character === '{';
    } else if (character === '}' || character === ']') {
      depth--;
    } else if (character === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}
