// Reads what a recording's name says about its call: `yyyyMMdd-HHmmss_dir_uid.ext` (time,
// direction, user) or `<source>_<externalId>.ext` (an id another system knows the call by).
import type { Reason } from '@callintake/schemas';
import { splitExtension } from './extensions';
import { wallClockToUtc } from './local-time';

export type RecordingNamePattern = 'timestamp' | 'external-id' | 'unrecognized';

export interface ParsedRecordingName {
  fileName: string;
  stem: string;
  /** Lower-case, without the dot; '' when the name has none. */
  extension: string;
  pattern: RecordingNamePattern;
  /** ISO 8601 UTC; the name's local time read in the tenant's zone. Whether it marks the call's
   * start or end is a tenant setting the caller applies. */
  timestamp?: string;
  /** The canonical direction the tenant maps the name's `dir` segment to. */
  direction?: string;
  uid?: string;
  source?: string;
  externalId?: string;
}

export interface RecordingNameOptions {
  /** IANA zone the names' timestamps are written in (tenant setting). */
  timezone: string;
  /** Direction as written in names -> canonical direction; keys match case-insensitively. */
  directions: Record<string, string>;
}

const TIMESTAMP_NAME = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:_(.*))?$/s;
const EXTERNAL_ID_NAME = /^([A-Za-z0-9]+)_(.+)$/s;

export function parseRecordingName(fileName: string, opts: RecordingNameOptions): ParsedRecordingName {
  const { stem, extension } = splitExtension(fileName);
  const base = { fileName, stem, extension };

  const timestamped = TIMESTAMP_NAME.exec(stem);
  if (timestamped) {
    const [, year, month, day, hour, minute, second, rest] = timestamped;
    const timestamp = wallClockToUtc(
      {
        year: Number(year),
        month: Number(month),
        day: Number(day),
        hour: Number(hour),
        minute: Number(minute),
        second: Number(second),
      },
      opts.timezone,
    );
    // A name shaped like a timestamp that names no real local time would give the call a wrong
    // time; it pairs by name or reference like any other unrecognized name instead.
    if (timestamp === undefined) return { ...base, pattern: 'unrecognized' };
    return { ...base, pattern: 'timestamp', timestamp, ...splitDirection(rest ?? '', opts.directions) };
  }

  const external = EXTERNAL_ID_NAME.exec(stem);
  if (external) return { ...base, pattern: 'external-id', source: external[1], externalId: external[2] };

  return { ...base, pattern: 'unrecognized' };
}

/**
 * `dir` is optional in names: only a segment the tenant maps to a direction is one, so the
 * guide's own `20171012-140253_joe_baducci.wav` is user `joe_baducci` with no direction.
 */
function splitDirection(
  rest: string,
  directions: Record<string, string>,
): Pick<ParsedRecordingName, 'direction' | 'uid'> {
  const separator = rest.indexOf('_');
  const first = separator === -1 ? rest : rest.slice(0, separator);
  const direction = lookupDirection(first, directions);
  const uid = direction === undefined ? rest : separator === -1 ? '' : rest.slice(separator + 1);
  return {
    ...(direction === undefined ? {} : { direction }),
    ...(uid === '' ? {} : { uid }),
  };
}

function lookupDirection(segment: string, directions: Record<string, string>): string | undefined {
  if (segment === '') return undefined;
  const wanted = segment.toLowerCase();
  // Own keys only: a segment like `constructor` must not find Object.prototype members.
  for (const [key, canonical] of Object.entries(directions)) {
    if (key.toLowerCase() === wanted) return canonical;
  }
  return undefined;
}

/** The warning an accepted recording carries when its name gives no time, user or id. */
export function recordingNameWarning(parsed: ParsedRecordingName): Reason | undefined {
  if (parsed.pattern !== 'unrecognized') return undefined;
  return {
    code: 'unrecognized-name',
    field: 'fileName',
    message:
      'recording name does not follow yyyyMMdd-hhmmss_dir_uid.ext; it can still pair by name, reference or external id',
  };
}
