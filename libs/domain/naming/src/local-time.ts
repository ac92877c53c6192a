// Reads a wall-clock time in an IANA zone as an instant. Recording names carry local time
// without an offset, so the zone's DST rules decide which instant was meant.
import { DateTime, Info } from 'luxon';

export interface WallClockTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Returns the instant as an ISO 8601 UTC string (`toISOString` form, like every other timestamp
 * we store), or undefined when the wall-clock time is not a real date and time (month 13,
 * hour 25) or does not exist in the zone (skipped by a DST gap).
 *
 * A time that happens twice (the hour repeated when DST ends) resolves to the earlier instant,
 * the one before the clocks went back, as `Temporal`'s default disambiguation does. Luxon alone
 * would pick the later one.
 *
 * Throws when `zone` is not a valid IANA zone: that is a configuration error, which tenant
 * config validation rejects at start, not a fault of the file being named.
 */
export function wallClockToUtc(time: WallClockTime, zone: string): string | undefined {
  if (!Info.normalizeZone(zone).isValid) throw new Error(`not a valid time zone: ${zone}`);
  const local = DateTime.fromObject(time, { zone });
  if (!local.isValid) return undefined;
  // Luxon moves times inside a gap forward and rolls hour 24 into the next day instead of
  // failing, so a time that exists reads back unchanged and one that does not, does not.
  if (
    local.year !== time.year ||
    local.month !== time.month ||
    local.day !== time.day ||
    local.hour !== time.hour ||
    local.minute !== time.minute ||
    local.second !== time.second
  ) {
    return undefined;
  }
  const earliest = Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
  return new Date(earliest).toISOString();
}
