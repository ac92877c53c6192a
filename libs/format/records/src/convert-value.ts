// Converts one sent value to the type the tenant's mapping names. Text in CSV, XML and YAML
// and JSON's own numbers and booleans are accepted alike.
import type { RawValue } from './raw-record';
import { ValueProblem } from './value-problem';

type Scalar = Exclude<RawValue, null>;

const INTEGER = /^[+-]?\d+$/;
// Plain decimals only: "1,234.5" and "1,5" are refused rather than guessed, since a comma is a
// thousands separator in one locale and the decimal mark in another.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['yes', true],
  ['no', false],
  ['y', true],
  ['n', false],
  ['1', true],
  ['0', false],
]);

/** null and blank text count as "not sent" for mapped fields. */
export function isAbsent(value: RawValue): value is null | string {
  if (value === null) return true;
  if (typeof value !== 'string') return false;
  // A printable ASCII first character is not white space: no need to trim.
  const first = value.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return value.trim() === '';
}

export function toText(value: Scalar): string {
  return typeof value === 'string' ? trimmed(value) : String(value);
}

/**
 * `text.trim()`, skipped when both ends are printable ASCII other than space (never white
 * space), as nearly every cell's are: trim is not free even when it removes nothing.
 */
export function trimmed(text: string): string {
  const last = text.length - 1;
  if (last < 0) return text;
  const first = text.charCodeAt(0);
  const end = text.charCodeAt(last);
  return first > 0x20 && first < 0x7f && end > 0x20 && end < 0x7f ? text : text.trim();
}

/**
 * `text.toLowerCase()`, without the copy toLowerCase makes even of text it leaves alone when the
 * text is ASCII with no upper-case letter (the usual enum or direction value, once per row).
 */
export function lowerCased(text: string): string {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code > 0x7f || (code >= 0x41 /* A */ && code <= 0x5a) /* Z */) return text.toLowerCase();
  }
  return text;
}

/** Up to 15 ASCII digits (always a safe integer) read directly; undefined for anything else. */
function plainDigits(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 15) return undefined;
  let number = 0;
  for (let at = 0; at < length; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return undefined;
    number = number * 10 + digit;
  }
  return number;
}

export function toInteger(value: Scalar): number {
  if (typeof value === 'string') {
    const plain = plainDigits(value);
    if (plain !== undefined) return plain;
  }
  const text = typeof value === 'number' ? '' : toText(value);
  const number = typeof value === 'number' ? value : INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(number)) throw new ValueProblem('is not an integer (expected digits, e.g. 42)');
  return number;
}

export function toDecimal(value: Scalar): number {
  const text = typeof value === 'number' ? '' : toText(value);
  const number = typeof value === 'number' ? value : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number)) {
    throw new ValueProblem(
      'is not a decimal number (expected digits with an optional "." and no thousands separators, e.g. 1234.5)',
    );
  }
  return number;
}

export function toBoolean(value: Scalar): boolean {
  if (typeof value === 'boolean') return value;
  const known = BOOLEANS.get(toText(value).toLowerCase());
  if (known === undefined)
    throw new ValueProblem('is not a boolean (expected true/false, yes/no, y/n or 1/0)');
  return known;
}

/** `values` is keyed by lower-cased source value. */
export function toEnumValue(
  value: Scalar,
  values: ReadonlyMap<string, string>,
  allowed: readonly string[],
): string {
  const mapped = values.get(lowerCased(toText(value)));
  if (mapped === undefined) {
    const shown = allowed.length > 20 ? [...allowed.slice(0, 20), '...'] : allowed;
    throw new ValueProblem(`is not one of the allowed values (${shown.join(', ')})`);
  }
  return mapped;
}
