// A version's identity as the upload area shows it: size and modification time, or the ETag on
// S3. The same id twice is the same upload; anything else is a new version of the file.
import type { StoredEntry } from '@callintake/storage';

export function fingerprintOf(entry: StoredEntry): string {
  return entry.etag ? `etag-${entry.etag}` : `${entry.sizeBytes}-${Math.trunc(entry.modifiedAt.getTime())}`;
}
