// The archive (system of record for media) in a local folder. An object is either absent or
// complete and durable: it is written under a temporary name, fsynced, renamed into place, and
// the folder fsynced, so a crash or a failing source never leaves a partial object under a key.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, openSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { boundedFileName } from '@callintake/naming';
import { pathToFileURL } from 'node:url';
import {
  closeFile,
  ensureParentsWithoutSymlinks,
  isMissing,
  openFileWithoutSymlinks,
  requireFilePath,
  resolveUnderRoot,
  streamOpenedFile,
  syncFile,
  syncFolder,
  toStorageError,
  unlinkQuietly,
  walkWithoutSymlinks,
  writeAll,
} from './local-paths';
import type { ResolvedPath } from './local-paths';
import type { ArchivedObject, ArchiveStore } from './types';

export class LocalArchiveStore implements ArchiveStore {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `local archive ${this.root}`;
  }

  async put(key: string, content: Readable): Promise<ArchivedObject> {
    const resolved = this.resolveKey(key);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    // Same folder as the final object so the rename is atomic. A crash can strand one of these;
    // the `.tmp-` infix makes them easy to find and sweep. Within the 255-byte name limit.
    const tempPath = path.join(
      path.dirname(resolved.absolute),
      boundedFileName('', path.basename(resolved.absolute), `.tmp-${randomBytes(8).toString('hex')}`),
    );
    let fd: number | undefined;
    try {
      // The archive root is ours (configuration), so it is created on first use.
      mkdirSync(this.root, { recursive: true });
      ensureParentsWithoutSymlinks(this.root, resolved);
      fd = openSync(tempPath, 'wx');
      // for-await pulls one chunk at a time (backpressure for free) and destroys the source if
      // writing fails.
      for await (const chunk of content) {
        const bytes = toBytes(chunk);
        hash.update(bytes);
        sizeBytes += bytes.length;
        await writeAll(fd, bytes);
      }
      await syncFile(fd);
      closeFile(fd);
      fd = undefined;
      renameSync(tempPath, resolved.absolute);
      await syncFolder(path.dirname(resolved.absolute));
    } catch (error) {
      // A source we never read from would otherwise hold its file open until GC.
      content.destroy();
      if (fd !== undefined) closeFile(fd);
      unlinkQuietly(tempPath);
      throw toStorageError(error, `cannot archive ${resolved.relative}`);
    }
    return { uri: this.uriOf(resolved), sizeBytes, sha256: hash.digest('hex') };
  }

  async head(key: string): Promise<{ uri: string; sizeBytes: number } | null> {
    const resolved = this.resolveKey(key);
    const parents = resolved.segments.length - 1;
    if (parents > 0 && walkWithoutSymlinks(this.root, resolved, parents) === null) return null;
    try {
      const info = lstatSync(resolved.absolute);
      if (!info.isFile()) return null;
      return { uri: this.uriOf(resolved), sizeBytes: info.size };
    } catch (error) {
      if (isMissing(error)) return null;
      throw toStorageError(error, `cannot inspect ${resolved.relative}`);
    }
  }

  async openRead(key: string): Promise<Readable> {
    return streamOpenedFile(openFileWithoutSymlinks(this.root, this.resolveKey(key)));
  }

  async close(): Promise<void> {
    // Holds no handles between calls.
  }

  private resolveKey(key: string): ResolvedPath {
    const resolved = resolveUnderRoot(this.root, key);
    requireFilePath(resolved, key);
    return resolved;
  }

  private uriOf(resolved: ResolvedPath): string {
    return pathToFileURL(resolved.absolute).href;
  }
}

function toBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('archive content must be a byte stream');
}
