// An upload area in a local folder (a tenant's root, customers' files under `<root>/data/`).
// Everything in it was put there by a customer, so no symlink is ever followed: listing and
// stat describe links as links, and every other operation refuses a path that crosses one.
import { constants, lstatSync, opendirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  closeFile,
  ensureParentsWithoutSymlinks,
  hasCode,
  isMissing,
  openFileWithoutSymlinks,
  readAt,
  requireFilePath,
  resolveUnderRoot,
  siblingTempPath,
  streamOpenedFile,
  syncFile,
  syncFolder,
  toStorageError,
  unlinkQuietly,
  walkWithoutSymlinks,
  writeAll,
} from './local-paths';
import type { ResolvedPath } from './local-paths';
import { StorageError } from './types';
import type { EntryType, StoredEntry, UploadArea } from './types';

/**
 * Names described between turns of the event loop while listing: a folder of 100,000 files is
 * listed without holding up the process's other work (lock renewals, health checks) for long.
 */
const LIST_BATCH = 256;

export class LocalUploadArea implements UploadArea {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `local folder ${this.root}`;
  }

  async *list(dir: string): AsyncIterable<StoredEntry> {
    const resolved = resolveUnderRoot(this.root, dir);
    const folder = walkWithoutSymlinks(this.root, resolved);
    if (folder === null) return;
    if (!folder.isDirectory()) throw new StorageError(`${resolved.relative} is not a folder`, 'io');
    // Dir reads in small batches, so memory stays flat however many files a customer drops.
    let handle;
    try {
      handle = opendirSync(resolved.absolute, { bufferSize: LIST_BATCH });
    } catch (error) {
      if (isMissing(error)) return;
      throw toStorageError(error, `cannot list ${resolved.relative}`);
    }
    try {
      let done = false;
      while (!done) {
        // Dirent types can be DT_UNKNOWN on some file systems, and we need size and mtime anyway.
        const entries: StoredEntry[] = [];
        for (let count = 0; count < LIST_BATCH; count++) {
          const dirent = handle.readSync();
          if (dirent === null) {
            done = true;
            break;
          }
          const entry = this.describe(resolved, dirent.name);
          if (entry) entries.push(entry);
        }
        yield* entries;
        if (!done) await nextTurn();
      }
    } catch (error) {
      if (isMissing(error)) return;
      throw toStorageError(error, `cannot list ${resolved.relative}`);
    } finally {
      handle.closeSync();
    }
  }

  async stat(filePath: string): Promise<StoredEntry | null> {
    const resolved = resolveUnderRoot(this.root, filePath);
    const parents = resolved.segments.length - 1;
    if (parents > 0 && walkWithoutSymlinks(this.root, resolved, parents) === null) return null;
    try {
      const info = lstatSync(resolved.absolute);
      return toEntry(resolved.relative, resolved.segments.at(-1) ?? '', info);
    } catch (error) {
      if (isMissing(error)) return null;
      throw toStorageError(error, `cannot stat ${resolved.relative}`);
    }
  }

  async readRange(filePath: string, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`invalid range offset=${offset} length=${length}`);
    }
    const resolved = this.resolveFile(filePath);
    const { fd, sizeBytes } = openFileWithoutSymlinks(this.root, resolved);
    try {
      // Sized from the file, not the request, so a generous length never allocates gigabytes.
      const wanted = Math.max(0, Math.min(length, sizeBytes - offset));
      const buffer = Buffer.alloc(wanted);
      let filled = 0;
      while (filled < wanted) {
        const bytesRead = await readAt(fd, buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break; // truncated since fstat
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      throw toStorageError(error, `cannot read ${resolved.relative}`);
    } finally {
      closeFile(fd);
    }
  }

  async openRead(filePath: string): Promise<Readable> {
    const resolved = this.resolveFile(filePath);
    // Streaming from the descriptor we vetted, not by path, so nothing can be swapped in between.
    return streamOpenedFile(openFileWithoutSymlinks(this.root, resolved));
  }

  async writeFile(filePath: string, content: Buffer | string): Promise<void> {
    const resolved = this.resolveFile(filePath);
    ensureParentsWithoutSymlinks(this.root, resolved);
    const tempPath = siblingTempPath(resolved.absolute);
    try {
      // 'wx' creates a new inode and fails on anything already there, links included.
      const fd = openSync(tempPath, 'wx');
      try {
        await writeAll(fd, typeof content === 'string' ? Buffer.from(content) : content);
        await syncFile(fd);
      } finally {
        closeFile(fd);
      }
      // A symlink at the target is replaced, never written through: rename acts on the link.
      renameSync(tempPath, resolved.absolute);
    } catch (error) {
      unlinkQuietly(tempPath);
      throw toStorageError(error, `cannot write ${resolved.relative}`);
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.resolveFile(from);
    const target = this.resolveFile(to);
    const sourceInfo = walkWithoutSymlinks(this.root, source);
    if (sourceInfo === null) throw new StorageError(`${source.relative} not found`, 'not-found');
    if (!sourceInfo.isFile()) throw new StorageError(`${source.relative} is not a regular file`, 'io');
    ensureParentsWithoutSymlinks(this.root, target);
    // The target's own last component may be a symlink a customer planted: rename replaces the
    // link itself, so refusing would only leave the file stuck in data/ forever.
    try {
      await this.renameEntry(source.absolute, target.absolute);
    } catch (error) {
      if (!hasCode(error, 'EXDEV')) throw toStorageError(error, `cannot move ${source.relative}`);
      await moveAcrossDevices(source, target);
    }
  }

  async remove(filePath: string): Promise<void> {
    const resolved = this.resolveFile(filePath);
    // Parents must not be links; the entry itself may be one (a customer-planted symlink that
    // retention purges): unlink removes the link and never touches what it points to.
    const parent = walkWithoutSymlinks(this.root, resolved, resolved.segments.length - 1);
    if (parent === null && resolved.segments.length > 1) return;
    let info: Stats;
    try {
      info = lstatSync(resolved.absolute);
    } catch (error) {
      if (isMissing(error)) return;
      throw toStorageError(error, `cannot inspect ${resolved.relative}`);
    }
    if (info.isDirectory()) throw new StorageError(`${resolved.relative} is a folder`, 'io');
    try {
      unlinkSync(resolved.absolute);
    } catch (error) {
      if (!isMissing(error)) throw toStorageError(error, `cannot remove ${resolved.relative}`);
    }
  }

  async close(): Promise<void> {
    // Holds no handles between calls.
  }

  /** The single rename the move path depends on; a seam for tests to simulate EXDEV. */
  protected async renameEntry(fromAbsolute: string, toAbsolute: string): Promise<void> {
    renameSync(fromAbsolute, toAbsolute);
  }

  /** An entry of a folder being listed, or null when it went since the folder was read. */
  private describe(folder: ResolvedPath, name: string): StoredEntry | null {
    let info: Stats;
    try {
      info = lstatSync(path.join(folder.absolute, name));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return toEntry(folder.relative === '' ? name : `${folder.relative}/${name}`, name, info);
  }

  private resolveFile(filePath: string): ResolvedPath {
    const resolved = resolveUnderRoot(this.root, filePath);
    requireFilePath(resolved, filePath);
    return resolved;
  }
}

/**
 * data/ and data/processed/ can be different mounts. The copy lands under a temporary name and
 * is renamed into place, so a reader never sees half a file and an existing target symlink is
 * replaced rather than written through; the source goes only once the copy is durable.
 */
async function moveAcrossDevices(source: ResolvedPath, target: ResolvedPath): Promise<void> {
  const tempPath = siblingTempPath(target.absolute);
  try {
    await copyFile(source.absolute, tempPath, constants.COPYFILE_EXCL);
    const copied = openSync(tempPath, 'r+');
    try {
      await syncFile(copied);
    } finally {
      closeFile(copied);
    }
    renameSync(tempPath, target.absolute);
    await syncFolder(path.dirname(target.absolute));
  } catch (error) {
    unlinkQuietly(tempPath);
    throw toStorageError(error, `cannot move ${source.relative} across devices`);
  }
  try {
    unlinkSync(source.absolute);
  } catch (error) {
    // The copy is complete; a source that vanished meanwhile is what we wanted anyway.
    if (!isMissing(error)) throw toStorageError(error, `moved ${source.relative} but cannot remove it`);
  }
}

function toEntry(relative: string, name: string, info: Stats): StoredEntry {
  return { path: relative, name, type: entryType(info), sizeBytes: info.size, modifiedAt: info.mtime };
}

function entryType(info: Stats): EntryType {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  return 'other';
}
