// Reads a call time as an instant. Values without an offset are wall-clock times in the
// mapping's or tenant's zone, resolved the way recording names are (@callintake/naming): a time
// repeated when DST ends is the earlier instant, and one skipped when DST starts is refused.
import { DateTime, FixedOffsetZone, Info } from 'luxon';
import type { FieldMapping } from '@callintake/schemas';
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
  const millis = rule.epoch !== undefined ? fromEpoch(value, rule.epoch) : fromText(value, rule.format, zone);
  if (millis < EARLIEST || millis > LATEST) {
    throw new ValueProblem(`is out of range (expected a time between 1970 and 9999; ${expectedForm(rule)})`);
  }
  return new Date(millis).toISOString();
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
// rules: checked field by field here and read natively, it is several times faster than Luxon
// (which a 1M-row batch otherwise spends most of its time in). Everything else goes to Luxon.
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):?(\d{2}))$/;

function fastIsoWithOffset(text: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[9]);
    const offsetMins = Number(m[10]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[8]?.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

function fromText(value: Exclude<RawValue, null>, format: string | undefined, zone: string): number {
  const expected = expectedForm(format === undefined ? {} : { format });
  if (typeof value !== 'string') throw new ValueProblem(`is not a date and time (expected ${expected})`);
  const text = value.trim();
  if (format === undefined) {
    const fast = fastIsoWithOffset(text);
    if (fast !== undefined) return fast;
  }
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
