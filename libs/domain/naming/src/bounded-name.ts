// Names we derive from a customer's file name (temp files, error reports, archive temp objects)
// must stay within what file systems allow for one name: 255 bytes on ext4, XFS, APFS and the
// SFTP servers in front of them. A customer's name may already use all 255, so whatever we add
// would overflow (ENAMETOOLONG, retried forever). Such a name keeps as much of its start as fits,
// cut on a character boundary, plus `~` and 8 hex of its SHA-256: still recognisable, still unique.
import { createHash } from 'node:crypto';

export const MAX_NAME_BYTES = 255;
const HASH_MARK_BYTES = 9; // '~' + 8 hex

/** `prefix + base + suffix`, with `base` shortened (and hash-marked) only when the whole would not fit. */
export function boundedFileName(
  prefix: string,
  base: string,
  suffix: string,
  maxBytes = MAX_NAME_BYTES,
): string {
  const whole = `${prefix}${base}${suffix}`;
  if (Buffer.byteLength(whole) <= maxBytes) return whole;
  const room = maxBytes - Buffer.byteLength(prefix) - Buffer.byteLength(suffix) - HASH_MARK_BYTES;
  if (room < 1) throw new Error(`no room for a name with prefix "${prefix}" and suffix "${suffix}"`);
  const mark = `~${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
  return `${prefix}${truncateUtf8(base, room)}${mark}${suffix}`;
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}
