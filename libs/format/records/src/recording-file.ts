// A metadata file's `recordingFile` may be a path on the customer's side
// (`sftp/path/to/recording.mp3`). Only its base name is used, and a value that tries to leave
// the tenant's area, or hides something in encoding, is refused rather than cleaned up.
import { ValueProblem } from './value-problem';

const CONTROL = /[\u0000-\u001f\u007f]/;
const URL_SCHEME = /^(?:[a-z][a-z0-9+.-]*:\/\/|file:)/i;
const SEPARATOR = /[\\/]/;
const SEPARATORS = /[\\/]/g;
const PERCENT_ESCAPE = /%([0-9a-f]{2})/gi;
const MAX_BASE_NAME = 255;
// Folders and a last segment of printable ASCII but '%' and ':'; the last segment captured.
const PLAIN_PATH =
  /^(?:[\x20-\x24\x26-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]*[\\/])*([\x20-\x24\x26-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]*)$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** The base name to pair by; throws ValueProblem (unsafe-reference) for unsafe values. */
export function recordingBaseName(value: string): string {
  const plain = plainBaseName(value);
  if (plain !== undefined) return plain;
  const baseName = scannedBaseName(value) ?? checkedBaseName(value);
  checkLookAlikes(value);
  return baseName;
}

// What each ASCII character is to PlainReference: refused (0: controls, DEL, '%', ':'), a name
// character (1), a separator (2: '/' and backslash), a dot (3) or an upper-case letter (4).
const PLAIN_KIND = new Uint8Array(128);
for (let code = 0x20; code < 0x7f; code++) PLAIN_KIND[code] = 1;
PLAIN_KIND[0x25 /* % */] = 0;
PLAIN_KIND[0x3a /* : */] = 0;
PLAIN_KIND[0x2f /* / */] = 2;
PLAIN_KIND[0x5c /* backslash */] = 2;
PLAIN_KIND[0x2e /* . */] = 3;
for (let code = 0x41 /* A */; code <= 0x5a /* Z */; code++) PLAIN_KIND[code] = 4;

/**
 * The base name of a `recordingFile` sent as text with the `string` type (which trims it),
 * together with the key it pairs by (@callintake/naming's `referencePairingKey` of that base
 * name), in one pass over the usual value: printable ASCII with no '%', ':' or "..", no space at
 * either end, naming a file within MAX_BASE_NAME characters. `read` answers false for anything
 * else, which then takes the long way (`recordingBaseName`, then `referencePairingKey`); for
 * what it accepts it gives exactly what they give. One reader serves every row of a batch: its
 * answer is read before the next row.
 */
export class PlainReference {
  baseName = '';
  pairingKey = '';

  read(value: string): boolean {
    const length = value.length;
    if (length === 0 || value.charCodeAt(0) === 0x20 || value.charCodeAt(length - 1) === 0x20) return false;
    let start = 0;
    let dot = -1;
    let upper = -1;
    for (let at = 0; at < length; at++) {
      const code = value.charCodeAt(at);
      const kind = code < 0x80 ? PLAIN_KIND[code]! : 0;
      if (kind === 1) continue;
      if (kind === 0) return false;
      if (kind === 4) {
        upper = at;
      } else if (kind === 2) {
        start = at + 1;
      } else {
        if (dot !== -1 && dot === at - 1) return false; // ".." anywhere: the long way decides
        dot = at;
      }
    }
    const baseLength = length - start;
    // '' and '.' name a folder: recordingBaseName refuses them.
    if (baseLength === 0 || baseLength > MAX_BASE_NAME || (baseLength === 1 && dot === start)) return false;
    const baseName = start === 0 ? value : value.slice(start);
    this.baseName = baseName;
    // splitExtension's stem: up to the last dot, unless that dot leads or ends the base name.
    const stem = dot > start && dot < length - 1 ? value.slice(start, dot) : baseName;
    // toLowerCase copies even a string it leaves alone: skipped when the base name has no A-Z.
    this.pairingKey = upper >= start ? stem.toLowerCase() : stem;
    return true;
  }
}

/**
 * The checks for the usual value: printable ASCII with no '%' (so nothing to decode), ':' or
 * ".."; undefined for anything else, which `scannedBaseName` or `checkedBaseName` then reads.
 */
function plainBaseName(value: string): string | undefined {
  // Most values are printable ASCII with no ':' (so no URL) and no ".." (so nothing climbs): one
  // regular expression finds their base name, reading a substring's characters where they lie,
  // which for a batch's cells (substrings of the file's text) is much faster than a loop.
  const path = value.includes('..') ? null : PLAIN_PATH.exec(value);
  if (path !== null) {
    const baseName = path[1]!;
    if (baseName === '' || baseName === '.') throw unsafe('names a folder, not a file');
    if (baseName.length > MAX_BASE_NAME)
      throw unsafe(`has a file name longer than ${MAX_BASE_NAME} characters`);
    return baseName;
  }
  return undefined;
}

/**
 * The same checks in one pass for a value with no '%' and no control characters; undefined for
 * anything else, which `checkedBaseName` then reads.
 */
function scannedBaseName(value: string): string | undefined {
  let segmentStart = 0;
  let climbs = false;
  let colon = false;
  for (let at = 0; at < value.length; at++) {
    const code = value.charCodeAt(at);
    if (code < 0x20 || code === 0x7f || code === 0x25 /* % */) return undefined;
    if (code === 0x3a /* : */) colon = true;
    if (code === 0x2f /* / */ || code === 0x5c /* \ */) {
      if (at - segmentStart === 2 && value.charCodeAt(at - 1) === 0x2e && value.charCodeAt(at - 2) === 0x2e)
        climbs = true;
      segmentStart = at + 1;
    }
  }
  // Both forms of URL_SCHEME hold a ':'.
  if (colon && URL_SCHEME.test(value))
    throw unsafe('is a URL; send the file name or a path in your upload area');
  const baseName = segmentStart === 0 ? value : value.slice(segmentStart);
  if (climbs || baseName === '..') throw unsafe('climbs out of its folder ("..")');
  if (baseName === '' || baseName === '.') throw unsafe('names a folder, not a file');
  if (baseName.length > MAX_BASE_NAME)
    throw unsafe(`has a file name longer than ${MAX_BASE_NAME} characters`);
  return baseName;
}

function checkedBaseName(value: string): string {
  if (CONTROL.test(value)) throw unsafe('contains control characters');
  if (URL_SCHEME.test(value)) throw unsafe('is a URL; send the file name or a path in your upload area');
  const decoded = percentDecoded(value);
  if (decoded !== value) {
    if (CONTROL.test(decoded)) throw unsafe('hides control characters in percent-encoding');
    if (countSeparators(decoded) > countSeparators(value))
      throw unsafe('hides a path separator in percent-encoding');
  }
  if (value.split(SEPARATOR).includes('..') || decoded.split(SEPARATOR).includes('..')) {
    throw unsafe('climbs out of its folder ("..")');
  }
  const baseName = value.split(SEPARATOR).pop() ?? '';
  if (baseName === '' || baseName === '.') throw unsafe('names a folder, not a file');
  if (baseName.length > MAX_BASE_NAME)
    throw unsafe(`has a file name longer than ${MAX_BASE_NAME} characters`);
  return baseName;
}

/**
 * NFKC folds look-alikes such as fullwidth `．．／` into `../`, and so may a server or the
 * matcher's own reference check (@callintake/naming): a value that reads as a URL, a path or a
 * climb once folded is refused here too, not passed on as a base name that never pairs.
 */
function checkLookAlikes(value: string): void {
  if (!NON_ASCII.test(value)) return;
  const folded = value.normalize('NFKC');
  if (folded === value) return;
  if (CONTROL.test(folded)) throw unsafe('contains control characters in look-alike form');
  if (URL_SCHEME.test(folded)) throw unsafe('is a URL written in look-alike characters');
  if (countSeparators(folded) > countSeparators(value))
    throw unsafe('hides a path separator in look-alike characters');
}

/** Decoded until stable (a few rounds), so `%252e%252e` is seen as `..` too. */
function percentDecoded(value: string): string {
  let current = value;
  for (let round = 0; round < 3; round++) {
    const next = current.replace(PERCENT_ESCAPE, decodeEscape);
    if (next === current) break;
    current = next;
  }
  return current;
}

function decodeEscape(_: string, hex: string): string {
  return String.fromCharCode(parseInt(hex, 16));
}

function countSeparators(text: string): number {
  return text.match(SEPARATORS)?.length ?? 0;
}

function unsafe(problem: string): ValueProblem {
  return new ValueProblem(problem, 'unsafe-reference');
}
