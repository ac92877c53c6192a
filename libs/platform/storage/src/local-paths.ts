// Shared by the local adapters: turns a caller's relative POSIX path into an absolute path that
// is provably under the root, and walks existing components so that no symlink is ever
// followed. Customers control what sits in an upload area, so a symlink there is hostile input.
//
// Metadata calls (lstat, open, fstat, close, mkdir, rename, unlink) are synchronous on purpose.
// On a local disk each takes a few microseconds, and the promise API spends far more than that
// handing every call to libuv's thread pool and back: 32 µs of CPU against 4 µs for an lstat
// here, and a file's capture makes dozens of them (`npm run bench -- e2e`, README "Where the e2e
// time goes"). What waits on the disk itself (reading and writing content, fsync) stays
// asynchronous. An upload area on a network file system would block the event loop for each
// call's round trip; SFTP and S3 tenants do not come through here.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  read,
  statSync,
  unlinkSync,
  write,
} from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { boundedFileName } from '@callintake/naming';
import { StorageError } from './types';

const readAsync = promisify(read);
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

export interface ResolvedPath {
  /** Normalized relative POSIX path ('' for the root itself). */
  relative: string;
  /** Components under the root, never '', '.' or '..'. */
  segments: string[];
  absolute: string;
}

/**
 * Any `..` segment is refused, even one that would stay inside the root (`data/../data/x`):
 * callers have no reason to send one, and refusing is simpler to reason about than resolving.
 */
export function resolveUnderRoot(root: string, relativePath: string): ResolvedPath {
  const outside = (why: string) =>
    new StorageError(`path ${JSON.stringify(relativePath)} ${why}`, 'outside-root');
  if (typeof relativePath !== 'string') throw outside('is not a string');
  if (relativePath.includes('\0')) throw outside('contains NUL');
  if (relativePath.startsWith('/')) throw outside('is absolute');
  // On Windows `\` and drive letters would also escape; on POSIX a `\` is an ordinary name
  // character that customers' SFTP clients do produce, so it must stay usable there.
  if (path.sep === '\\' && (relativePath.includes('\\') || /^[a-zA-Z]:/.test(relativePath))) {
    throw outside('is not a POSIX relative path');
  }
  const segments = relativePath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw outside('contains ..');
  const absolute = path.join(root, ...segments);
  const back = path.relative(root, absolute);
  if (back === '..' || back.startsWith(`..${path.sep}`) || path.isAbsolute(back))
    throw outside('escapes the root');
  return { relative: segments.join('/'), segments, absolute };
}

export function requireFilePath(resolved: ResolvedPath, original: string): void {
  if (resolved.segments.length === 0) {
    throw new StorageError(`path ${JSON.stringify(original)} names the root, not a file`, 'io');
  }
}

/**
 * lstat()s every component from the first under the root to the last (or the first `upTo`),
 * refusing a symlink anywhere, and returns the last one's stats, or null when something on the
 * way is missing or not a folder. The root itself may be a symlink: operators put it there.
 *
 * Accepted race: a component checked here can be swapped for a symlink before the caller's
 * syscall runs. Whoever can do that can already write the tenant's tree; where we open files,
 * the last component is also opened with O_NOFOLLOW, which closes the race for it.
 */
export function walkWithoutSymlinks(
  root: string,
  resolved: ResolvedPath,
  upTo = resolved.segments.length,
): Stats | null {
  if (upTo === 0) return inspect(() => statSync(root), resolved);
  let current = root;
  let info: Stats | null = null;
  for (let index = 0; index < upTo; index++) {
    if (info !== null && !info.isDirectory()) return null;
    current = path.join(current, resolved.segments[index] as string);
    const at = current;
    info = inspect(() => lstatSync(at), resolved);
    if (info === null) return null;
    if (info.isSymbolicLink()) {
      const shown = resolved.segments.slice(0, index + 1).join('/');
      throw new StorageError(`refusing to follow symlink ${shown}`, 'outside-root');
    }
  }
  return info;
}

/** A stat that answers null for a missing path and a StorageError for any other failure. */
function inspect(look: () => Stats, resolved: ResolvedPath): Stats | null {
  try {
    return look();
  } catch (error) {
    return missingAsNull(error, resolved);
  }
}

function missingAsNull(error: unknown, resolved: ResolvedPath): null {
  if (isMissing(error)) return null;
  throw toStorageError(error, `cannot inspect ${resolved.relative}`);
}

/** A file opened by descriptor; whoever opened it closes it (`closeFile`). */
export interface OpenedFile {
  fd: number;
  sizeBytes: number;
}

/**
 * Opens a regular file for reading without following a symlink anywhere under the root.
 * O_NONBLOCK keeps a FIFO swapped in after the check from blocking the open forever; it has no
 * effect on regular files.
 */
export function openFileWithoutSymlinks(root: string, resolved: ResolvedPath): OpenedFile {
  const checked = walkWithoutSymlinks(root, resolved);
  if (checked === null) throw new StorageError(`${resolved.relative} not found`, 'not-found');
  if (!checked.isFile()) throw new StorageError(`${resolved.relative} is not a regular file`, 'io');
  let fd: number;
  try {
    fd = openSync(resolved.absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw toStorageError(error, `cannot open ${resolved.relative}`);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new StorageError(`${resolved.relative} is not a regular file`, 'io');
    return { fd, sizeBytes: opened.size };
  } catch (error) {
    closeFile(fd);
    throw toStorageError(error, `cannot inspect ${resolved.relative}`);
  }
}

/** Streams an opened file from its descriptor (closed at the end, or when destroyed). */
export function streamOpenedFile(file: OpenedFile): Readable {
  return createReadStream('', { fd: file.fd, autoClose: true });
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
export async function readAt(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return (await readAsync(fd, buffer, offset, length, position)).bytesRead;
}

/** Writes all of `bytes` at the descriptor's position: a short write is carried on, never kept. */
export async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += (await writeAsync(fd, bytes, written, bytes.length - written)).bytesWritten;
  }
}

/** Flushes a descriptor to the disk: waits on the device, so it runs off the event loop. */
export function syncFile(fd: number): Promise<void> {
  return fsyncAsync(fd);
}

export function closeFile(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed, or the device is gone: nothing a caller could do about it.
  }
}

/**
 * Creates the parent folders of `resolved` one component at a time, checking each existing one,
 * instead of `mkdir -p` which would happily descend through a planted symlink. Each is looked at
 * first (nearly always it exists: one call, no error), created only when missing.
 */
export function ensureParentsWithoutSymlinks(root: string, resolved: ResolvedPath): void {
  let current = root;
  const parents = resolved.segments.slice(0, -1);
  for (const [index, segment] of parents.entries()) {
    current = path.join(current, segment);
    let info = lstatOrNull(current);
    if (info === null) {
      try {
        mkdirSync(current);
        continue;
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw toStorageError(error, `cannot create ${current}`);
      }
      // Made by someone else meanwhile: checked like any existing one.
      info = lstatOrNull(current);
      if (info === null) throw new StorageError(`cannot inspect ${current}: not found`, 'not-found');
    }
    const shown = parents.slice(0, index + 1).join('/');
    if (info.isSymbolicLink()) {
      throw new StorageError(`refusing to follow symlink ${shown}`, 'outside-root');
    }
    if (!info.isDirectory()) throw new StorageError(`${shown} is not a folder`, 'io');
  }
}

function lstatOrNull(absolute: string): Stats | null {
  try {
    return lstatSync(absolute);
  } catch (error) {
    if (isMissing(error)) return null;
    throw toStorageError(error, `cannot inspect ${absolute}`);
  }
}

/**
 * A sibling name the intake scanner ignores (leading dot and `.tmp`), unique per call, within
 * the 255-byte name limit however long the file's own name is.
 */
export function siblingTempPath(absolute: string): string {
  const name = boundedFileName('.', path.basename(absolute), `.${randomBytes(6).toString('hex')}.tmp`);
  return path.join(path.dirname(absolute), name);
}

/** Makes a rename or create inside `folder` survive a crash, not only the file's own bytes. */
export async function syncFolder(folder: string): Promise<void> {
  const fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await syncFile(fd);
  } finally {
    closeFile(fd);
  }
}

export function unlinkQuietly(absolute: string): void {
  try {
    unlinkSync(absolute);
  } catch {
    // Gone already, or never made: either way there is nothing left to remove.
  }
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    codes.includes(error.code)
  );
}

export function isMissing(error: unknown): boolean {
  return hasCode(error, 'ENOENT', 'ENOTDIR');
}

/** Keeps StorageErrors as they are; maps the fs errors callers can act on, the rest is 'io'. */
export function toStorageError(error: unknown, message: string): StorageError {
  if (error instanceof StorageError) return error;
  if (isMissing(error)) return new StorageError(`${message}: not found`, 'not-found', { cause: error });
  // O_NOFOLLOW reports a symlink at the last component as ELOOP.
  if (hasCode(error, 'ELOOP')) {
    return new StorageError(`${message}: refusing to follow symlink`, 'outside-root', { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(`${message}: ${detail}`, 'io', { cause: error });
}
