// Reads a call time as an instant. Values without an offset are wall-clock times in the
// mapping's or tenant's zone, resolved the way recording names are (@callintake/naming): a time
// repeated when DST ends is the earlier instant, and one skipped when DST starts is refused.
import { DateTime, FixedOffsetZone, Info } from 'luxon';
import type { FieldMapping } from '@callintake/schemas';
import { trimmed } from './convert-value';
import type { RawValue } from './raw-record';
import { ValueProblem } from './value-problem';

// Parsing in this zone, which no real input names (UTC+14:59), shows whether the value carried
// its own offset: if the parsed time is still in it, none was given. One parse serves both cases.
const NO_OFFSET_GIVEN = FixedOffsetZone.instance(14 * 60 + 59);
const EPOCH_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1) - 1;

export type DatetimeRule = Pick<FieldMapping, 'format' | 'epoch'>;

/** The instant as `toISOString` (UTC, milliseconds). `zone` must be a valid IANA zone. */
export function toUtcIso(value: Exclude<RawValue, null>, rule: DatetimeRule, zone: string): string {
  if (rule.epoch === undefined && rule.format === undefined && typeof value === 'string') {
    const fast = fastIsoWithOffset(trimmed(value));
    if (fast !== undefined) return fast;
  }
  const millis = rule.epoch !== undefined ? fromEpoch(value, rule.epoch) : fromText(value, rule.format, zone);
  if (millis < EARLIEST || millis > LATEST) throw outOfRange(rule);
  return new Date(millis).toISOString();
}

function outOfRange(rule: DatetimeRule): ValueProblem {
  return new ValueProblem(`is out of range (expected a time between 1970 and 9999; ${expectedForm(rule)})`);
}

function fromEpoch(value: Exclude<RawValue, null>, unit: 's' | 'ms'): number {
  const text = typeof value === 'string' ? value.trim() : value;
  const number =
    typeof text === 'number'
      ? text
      : typeof text === 'string' && EPOCH_NUMBER.test(text)
        ? Number(text)
        : NaN;
  if (!Number.isFinite(number))
    throw new ValueProblem(`is not a date and time (expected ${expectedForm({ epoch: unit })})`);
  return Math.round(unit === 's' ? number * 1000 : number);
}

// The common case in batch files, an ISO 8601 time with its own offset, needs no time zone
// rules: checked field by field here and read natively, it is many times faster than Luxon
// (which a 1M-row batch otherwise spends most of its time in). Everything else goes to Luxon.
// The accepted form is exactly
// /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):?(\d{2}))$/,
// read character by character (no match arrays or substrings per row).
const ZERO = 48;
// The commonest form of all, UTC to the second from 1970 on (`2024-03-12T08:00:00Z`), which
// needs only milliseconds added; one regular expression reads it faster than the loop below
// (it reads a cell's characters where they lie). Days 29-31 are left to the loop's calendar check.
const UTC_TO_THE_SECOND =
  /^(?:19[7-9]\d|[2-9]\d{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/** The two-digit number at `at`, or -1 when those are not two ASCII digits. */
function twoDigits(text: string, at: number): number {
  const high = text.charCodeAt(at) - ZERO;
  const low = text.charCodeAt(at + 1) - ZERO;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9;
}

/**
 * The instant of an ISO 8601 time with its own offset, as `toISOString` gives it; undefined
 * when the text is not of that form (or not a real date), for Luxon to read.
 */
function fastIsoWithOffset(text: string): string | undefined {
  const length = text.length;
  if (length === 20 && UTC_TO_THE_SECOND.test(text)) return `${text.slice(0, 19)}.000Z`;
  if (length < 17) return undefined;
  const century = twoDigits(text, 0);
  const yearInCentury = twoDigits(text, 2);
  if (century < 0 || yearInCentury < 0 || text.charCodeAt(4) !== 45 /* - */) return undefined;
  const month = twoDigits(text, 5);
  if (month < 0 || text.charCodeAt(7) !== 45) return undefined;
  const day = twoDigits(text, 8);
  const separator = text.charCodeAt(10);
  if (day < 0 || (separator !== 84 /* T */ && separator !== 32)) return undefined;
  const hour = twoDigits(text, 11);
  if (hour < 0 || text.charCodeAt(13) !== 58 /* : */) return undefined;
  const minute = twoDigits(text, 14);
  if (minute < 0) return undefined;
  let at = 16;
  let second = 0;
  let fractionStart = -1;
  let fractionEnd = -1;
  if (text.charCodeAt(at) === 58) {
    second = twoDigits(text, at + 1);
    if (second < 0) return undefined;
    at += 3;
    if (text.charCodeAt(at) === 46 /* . */) {
      fractionStart = at + 1;
      let end = fractionStart;
      while (end < length && isDigit(text.charCodeAt(end))) end++;
      if (end === fractionStart || end - fractionStart > 9) return undefined;
      fractionEnd = end;
      at = end;
    }
  }
  let offsetMinutes = 0;
  const sign = text.charCodeAt(at);
  if (sign === 90 /* Z */) {
    if (at + 1 !== length) return undefined;
  } else if (sign === 43 /* + */ || sign === 45 /* - */) {
    const offsetHours = twoDigits(text, at + 1);
    if (offsetHours < 0) return undefined;
    let minutesAt = at + 3;
    if (text.charCodeAt(minutesAt) === 58) minutesAt++;
    const offsetMins = twoDigits(text, minutesAt);
    if (offsetMins < 0 || minutesAt + 2 !== length) return undefined;
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (sign === 45 ? -1 : 1) * (offsetHours * 60 + offsetMins);
  } else {
    return undefined;
  }
  const year = century * 100 + yearInCentury;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC reads years 0-99 as 1900-1999; its own month lengths keep that reading.
  if (day > 28 && day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  // Already in toISOString's form: a UTC time with seconds and no or millisecond digits.
  if (offsetMinutes === 0 && sign === 90 && separator === 84 && at >= 19 && year >= 1970) {
    if (fractionStart === -1) return `${text.slice(0, 19)}.000Z`;
    if (fractionEnd - fractionStart === 3) return text;
  }
  const millis =
    fractionStart === -1 ? 0 : Math.floor(Number(`0.${text.slice(fractionStart, fractionEnd)}`) * 1000);
  const instant = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  if (instant < EARLIEST || instant > LATEST) throw outOfRange({});
  return new Date(instant).toISOString();
}

function fromText(value: Exclude<RawValue, null>, format: string | undefined, zone: string): number {
  const expected = expectedForm(format === undefined ? {} : { format });
  if (typeof value !== 'string') throw new ValueProblem(`is not a date and time (expected ${expected})`);
  const text = value.trim();
  const options = { zone: NO_OFFSET_GIVEN, setZone: true };
  let parsed =
    format === undefined ? DateTime.fromISO(text, options) : DateTime.fromFormat(text, format, options);
  // "2021-05-11 21:59:59" is what databases and spreadsheets write; it is ISO 8601 but for the T.
  if (format === undefined && !parsed.isValid) parsed = DateTime.fromSQL(text, options);
  if (!parsed.isValid) throw new ValueProblem(`is not a valid date and time (expected ${expected})`);
  return parsed.zone.equals(NO_OFFSET_GIVEN) ? wallClockMillis(parsed, zone) : parsed.toMillis();
}

function wallClockMillis(wallClock: DateTime, zone: string): number {
  if (!Info.normalizeZone(zone).isValid) throw new Error(`not a valid time zone: ${zone}`);
  const { year, month, day, hour, minute, second, millisecond } = wallClock;
  const local = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone });
  // Luxon moves a time inside a DST gap forward instead of failing: it no longer reads back.
  if (
    local.year !== year ||
    local.month !== month ||
    local.day !== day ||
    local.hour !== hour ||
    local.minute !== minute
  ) {
    throw new ValueProblem(`does not exist in ${zone} (the clocks skipped it for daylight saving time)`);
  }
  return Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
}

function expectedForm(rule: DatetimeRule): string {
  if (rule.epoch === 's') return 'a Unix time in seconds, e.g. 1620770399';
  if (rule.epoch === 'ms') return 'a Unix time in milliseconds, e.g. 1620770399000';
  if (rule.format !== undefined) return `the format "${rule.format}"`;
  return 'ISO 8601, e.g. 2021-05-11T21:59:59Z';
}
