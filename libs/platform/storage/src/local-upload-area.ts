// An upload area in a local folder (a tenant's root, customers' files under `<root>/data/`).
// Everything in it was put there by a customer, so no symlink is ever followed: listing and
// stat describe links as links, and every other operation refuses a path that crosses one.
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { copyFile, lstat, open, opendir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  ensureParentsWithoutSymlinks,
  hasCode,
  isMissing,
  openFileWithoutSymlinks,
  requireFilePath,
  resolveUnderRoot,
  siblingTempPath,
  syncFolder,
  toStorageError,
  unlinkQuietly,
  walkWithoutSymlinks,
} from './local-paths';
import type { ResolvedPath } from './local-paths';
import { StorageError } from './types';
import type { EntryType, StoredEntry, UploadArea } from './types';

/** Names described at once while listing: enough to hide lstat latency, small enough for flat memory. */
const LIST_BATCH = 64;

export class LocalUploadArea implements UploadArea {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `local folder ${this.root}`;
  }

  async *list(dir: string): AsyncIterable<StoredEntry> {
    const resolved = resolveUnderRoot(this.root, dir);
    const folder = await walkWithoutSymlinks(this.root, resolved);
    if (folder === null) return;
    if (!folder.isDirectory()) throw new StorageError(`${resolved.relative} is not a folder`, 'io');
    try {
      // Dir reads in small batches, so memory stays flat however many files a customer drops.
      const handle = await opendir(resolved.absolute, { bufferSize: 256 });
      // Dirent types can be DT_UNKNOWN on some file systems, and we need size and mtime anyway:
      // lstat a batch of names at once (one at a time made listing 3x slower than readdir+lstat).
      const describe = async (name: string) => {
        const info = await lstat(path.join(resolved.absolute, name)).catch((error: unknown) => {
          if (isMissing(error)) return null; // removed since readdir: no longer a child
          throw error;
        });
        const relative = resolved.relative === '' ? name : `${resolved.relative}/${name}`;
        return info === null ? null : toEntry(relative, name, info);
      };
      let batch: string[] = [];
      for await (const dirent of handle) {
        batch.push(dirent.name);
        if (batch.length < LIST_BATCH) continue;
        for (const entry of await Promise.all(batch.map(describe))) if (entry) yield entry;
        batch = [];
      }
      for (const entry of await Promise.all(batch.map(describe))) if (entry) yield entry;
    } catch (error) {
      if (isMissing(error)) return;
      throw toStorageError(error, `cannot list ${resolved.relative}`);
    }
  }

  async stat(filePath: string): Promise<StoredEntry | null> {
    const resolved = resolveUnderRoot(this.root, filePath);
    const parents = resolved.segments.length - 1;
    if (parents > 0 && (await walkWithoutSymlinks(this.root, resolved, parents)) === null) return null;
    try {
      const info = await lstat(resolved.absolute);
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
    const { handle, sizeBytes } = await openFileWithoutSymlinks(this.root, resolved);
    try {
      // Sized from the file, not the request, so a generous length never allocates gigabytes.
      const wanted = Math.max(0, Math.min(length, sizeBytes - offset));
      const buffer = Buffer.alloc(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break; // truncated since fstat
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      throw toStorageError(error, `cannot read ${resolved.relative}`);
    } finally {
      await handle.close();
    }
  }

  async openRead(filePath: string): Promise<Readable> {
    const resolved = this.resolveFile(filePath);
    // Streaming from the handle we vetted, not by path, so nothing can be swapped in between.
    const { handle } = await openFileWithoutSymlinks(this.root, resolved);
    return handle.createReadStream({ autoClose: true });
  }

  async writeFile(filePath: string, content: Buffer | string): Promise<void> {
    const resolved = this.resolveFile(filePath);
    await ensureParentsWithoutSymlinks(this.root, resolved);
    const tempPath = siblingTempPath(resolved.absolute);
    try {
      // 'wx' creates a new inode and fails on anything already there, links included.
      const handle = await open(tempPath, 'wx');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // A symlink at the target is replaced, never written through: rename acts on the link.
      await rename(tempPath, resolved.absolute);
    } catch (error) {
      await unlinkQuietly(tempPath);
      throw toStorageError(error, `cannot write ${resolved.relative}`);
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.resolveFile(from);
    const target = this.resolveFile(to);
    const sourceInfo = await walkWithoutSymlinks(this.root, source);
    if (sourceInfo === null) throw new StorageError(`${source.relative} not found`, 'not-found');
    if (!sourceInfo.isFile()) throw new StorageError(`${source.relative} is not a regular file`, 'io');
    await ensureParentsWithoutSymlinks(this.root, target);
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
    const parent = await walkWithoutSymlinks(this.root, resolved, resolved.segments.length - 1);
    if (parent === null && resolved.segments.length > 1) return;
    const info = await lstat(resolved.absolute).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw toStorageError(error, `cannot inspect ${resolved.relative}`);
    });
    if (info === null) return;
    if (info.isDirectory()) throw new StorageError(`${resolved.relative} is a folder`, 'io');
    try {
      await unlink(resolved.absolute);
    } catch (error) {
      if (!isMissing(error)) throw toStorageError(error, `cannot remove ${resolved.relative}`);
    }
  }

  async close(): Promise<void> {
    // Holds no handles between calls.
  }

  /** The single rename the move path depends on; a seam for tests to simulate EXDEV. */
  protected async renameEntry(fromAbsolute: string, toAbsolute: string): Promise<void> {
    await rename(fromAbsolute, toAbsolute);
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
    const copied = await open(tempPath, 'r+');
    try {
      await copied.sync();
    } finally {
      await copied.close();
    }
    await rename(tempPath, target.absolute);
    await syncFolder(path.dirname(target.absolute));
  } catch (error) {
    await unlinkQuietly(tempPath);
    throw toStorageError(error, `cannot move ${source.relative} across devices`);
  }
  try {
    await unlink(source.absolute);
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
