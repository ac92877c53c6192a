// The storage seam. Upload areas (where customers drop files) and archives (our system of
// record for media) are reached only through these interfaces; local, SFTP and S3 adapters
// implement them. Paths are POSIX, relative to the tenant root, and never escape it.
import type { Readable } from 'node:stream';

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface StoredEntry {
  /** Path relative to the tenant root, e.g. `data/call.wav`. */
  path: string;
  name: string;
  type: EntryType;
  sizeBytes: number;
  modifiedAt: Date;
  /** S3 only: the object's ETag, quotes removed. */
  etag?: string;
}

export interface UploadArea {
  /** Describes where this area lives, for logs (no secrets). */
  readonly description: string;
  /** Lists one folder's direct children. A missing folder lists as empty. */
  list(dir: string): AsyncIterable<StoredEntry>;
  /** Describes one path without following symlinks; null when absent. */
  stat(path: string): Promise<StoredEntry | null>;
  /** Reads up to `length` bytes from `offset`; fewer at the end of the file. */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  /** Streams the whole file. */
  openRead(path: string): Promise<Readable>;
  /** Writes a whole small file (error reports), creating parent folders. */
  writeFile(path: string, content: Buffer | string): Promise<void>;
  /** Moves a file, creating parent folders and replacing an existing target. */
  move(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface ArchivedObject {
  uri: string;
  sizeBytes: number;
  sha256: string;
}

export interface ArchiveStore {
  readonly description: string;
  /** Stores a stream under `key`, replacing any object there; resolves once durable. */
  put(key: string, content: Readable): Promise<ArchivedObject>;
  /** Null when no object is stored under `key`. */
  head(key: string): Promise<{ uri: string; sizeBytes: number } | null>;
  openRead(key: string): Promise<Readable>;
  close(): Promise<void>;
}

export class StorageError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'outside-root' | 'io',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}
