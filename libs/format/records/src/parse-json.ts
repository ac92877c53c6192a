// A call-metadata JSON file: exactly one flat object.
import { reject } from '@callintake/schemas';
import { decodeText, lineAt } from './decode-text';
import { duplicateField, repeatedJsonKey } from './duplicate-field';
import type { RawRecord } from './raw-record';

/** Parser versions that expose a number's source text (Node 21+) keep big integers exactly. */
interface ReviverContext {
  source?: string;
}

export function parseJsonRecord(content: Buffer): RawRecord {
  const text = decodeText(content);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, keepBigIntegers);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const line = position === null ? undefined : lineAt(text, Number(position[1]));
    return reject('parse-error', `invalid JSON: ${message}`, line === undefined ? {} : { line });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const found = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    return reject('parse-error', `expected one JSON object, found ${found}`);
  }
  const repeated = repeatedJsonKey(text);
  if (repeated) duplicateField(repeated.key, repeated.line);
  // JSON.parse makes every key an own property, `__proto__` included, so the object is kept as is.
  const record = parsed as Record<string, unknown>;
  for (const [field, value] of Object.entries(record)) {
    if (value !== null && typeof value === 'object') {
      reject(
        'nested-field',
        `field "${field}" holds ${Array.isArray(value) ? 'a list' : 'an object'}; only plain values are allowed`,
        { field },
      );
    }
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      reject(
        'parse-error',
        `field "${field}": the number ${value} is too large to keep exactly; send it as a string`,
        { field },
      );
    }
  }
  return record as RawRecord;
}

function keepBigIntegers(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    Number.isInteger(value) &&
    context?.source !== undefined
  ) {
    return context.source;
  }
  return value;
}
