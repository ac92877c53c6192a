// An upload area under a bucket prefix (a tenant's root; customers' files under `<prefix>data/`).
// S3 has keys, not folders: a "folder" is a key prefix ending in '/', listed with Delimiter '/'.
// There are no symlinks. Reads are ranged so a probe never downloads a whole recording, and a
// move is a server-side copy followed by a delete of exactly the version that was copied.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import {
  copySourceOf,
  createS3Client,
  describeLocation,
  errorName,
  httpStatusOf,
  isMissingObject,
  normalizePrefix,
  relativeSegments,
  stripQuotes,
  toS3StorageError,
} from './s3-client';
import type { S3Location } from './s3-client';
import { StorageError } from './types';
import type { StoredEntry, UploadArea } from './types';

export interface S3AdapterOptions {
  /** A client to use instead of one built from the location; the caller keeps ownership. */
  client?: S3Client;
  /** Objects larger than this are moved by multipart UploadPartCopy (CopyObject stops at 5 GiB). */
  singleCopyMaxBytes?: number;
}

const SINGLE_COPY_MAX_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 512 * 1024 ** 2;
/** Attempts at a move whose source is replaced between our HEAD and our copy. */
const MOVE_ATTEMPTS = 3;

export class S3UploadArea implements UploadArea {
  readonly description: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly singleCopyMaxBytes: number;
  /** Cleared when the endpoint rejects If-Match on DeleteObject (some S3-compatible servers). */
  private conditionalDeletes = true;

  constructor(location: S3Location, options: S3AdapterOptions = {}) {
    this.bucket = location.bucket;
    this.prefix = normalizePrefix(location.prefix);
    this.description = `S3 upload area ${describeLocation(location)}`;
    this.client = options.client ?? createS3Client(location);
    this.ownsClient = options.client === undefined;
    this.singleCopyMaxBytes = options.singleCopyMaxBytes ?? SINGLE_COPY_MAX_BYTES;
  }

  async *list(dir: string): AsyncIterable<StoredEntry> {
    const segments = relativeSegments(dir, 'folder');
    const relative = segments.join('/');
    const listPrefix = relative === '' ? this.prefix : `${this.prefix}${relative}/`;
    const childPath = (name: string) => (relative === '' ? name : `${relative}/${name}`);
    // S3 never repeats a common prefix across pages; some compatible servers do.
    const foldersSeen = new Set<string>();
    let continuationToken: string | undefined;
    do {
      const page = await this.attempt(`cannot list ${relative || '(root)'}`, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: listPrefix,
            Delimiter: '/',
            ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          }),
        ),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = common.Prefix?.slice(listPrefix.length, -1) ?? '';
        if (!isAddressableName(name) || foldersSeen.has(name)) continue;
        foldersSeen.add(name);
        yield { path: childPath(name), name, type: 'directory', sizeBytes: 0, modifiedAt: new Date(0) };
      }
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(listPrefix.length) ?? '';
        // '' is a console-made "folder" marker (the key is the prefix itself).
        if (!isAddressableName(name)) continue;
        const etag = stripQuotes(object.ETag);
        yield {
          path: childPath(name),
          name,
          type: 'file',
          sizeBytes: object.Size ?? 0,
          modifiedAt: object.LastModified ?? new Date(0),
          ...(etag ? { etag } : {}),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async stat(filePath: string): Promise<StoredEntry | null> {
    const segments = relativeSegments(filePath, 'folder');
    const relative = segments.join('/');
    const name = segments.at(-1) ?? '';
    if (segments.length > 0) {
      const head = await this.headOrNull(this.keyOf(segments), `cannot stat ${relative}`);
      if (head !== null) return fileEntry(relative, name, head);
    }
    // No object there: a "folder" when some key lives under it, as a local folder would stat.
    const folderPrefix = segments.length > 0 ? `${this.keyOf(segments)}/` : this.prefix;
    const children = await this.attempt(`cannot stat ${relative || '(root)'}`, () =>
      this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folderPrefix, MaxKeys: 1 })),
    );
    if ((children.Contents ?? []).length === 0) return null;
    return { path: relative, name, type: 'directory', sizeBytes: 0, modifiedAt: new Date(0) };
  }

  async readRange(filePath: string, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`invalid range offset=${offset} length=${length}`);
    }
    const segments = relativeSegments(filePath, 'file');
    const key = this.keyOf(segments);
    const what = `cannot read ${segments.join('/')}`;
    if (length === 0) {
      // Nothing to transfer, but a missing file is still an error, as it is locally.
      if ((await this.headOrNull(key, what)) === null)
        throw new StorageError(`${what}: not found`, 'not-found');
      return Buffer.alloc(0);
    }
    const lastByte = Math.min(offset + length - 1, Number.MAX_SAFE_INTEGER);
    let response;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-${lastByte}` }),
      );
    } catch (error) {
      // 416: the object exists but ends before `offset` (or is empty): nothing to read there.
      if (errorName(error) === 'InvalidRange' || httpStatusOf(error) === 416) return Buffer.alloc(0);
      throw toS3StorageError(error, what);
    }
    const body = response.Body;
    if (!(body instanceof Readable)) throw new StorageError(`${what}: response has no body stream`, 'io');
    const served = parseContentRange(response.ContentRange);
    if (served === undefined ? offset !== 0 : served.start !== offset) {
      // A server or proxy that ignores Range would hand us the object from byte 0 (all of it).
      body.destroy();
      throw new StorageError(`${what}: the server did not honour the byte range`, 'io');
    }
    // Trust the range the server says it sends over the length it declares (s3rver answers a
    // range of an empty object with "bytes 0-0/0" and a body that never comes).
    const wanted = served === undefined ? length : Math.min(length, Math.max(0, served.size - offset));
    if (wanted === 0) {
      body.destroy();
      return Buffer.alloc(0);
    }
    try {
      return await readAtMost(body, wanted);
    } catch (error) {
      throw toS3StorageError(error, what);
    }
  }

  async openRead(filePath: string): Promise<Readable> {
    const segments = relativeSegments(filePath, 'file');
    const response = await this.attempt(`cannot open ${segments.join('/')}`, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(segments) })),
    );
    if (!(response.Body instanceof Readable)) {
      throw new StorageError(`cannot open ${segments.join('/')}: response has no body stream`, 'io');
    }
    return response.Body;
  }

  async writeFile(filePath: string, content: Buffer | string): Promise<void> {
    const segments = relativeSegments(filePath, 'file');
    // A Buffer, never a stream: a known length means a plain PUT with no chunked encoding.
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    await this.attempt(`cannot write ${segments.join('/')}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(segments),
          Body: body,
          ContentType: filePath.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        }),
      ),
    );
  }

  /**
   * Copy first, then delete, so a crash in between leaves two copies and never none; a retry
   * copies again (the target is replaced) and finishes the delete. The delete is conditional
   * on the ETag we copied: a customer's re-upload landing in between is a new version and stays.
   */
  async move(from: string, to: string): Promise<void> {
    const sourceSegments = relativeSegments(from, 'file');
    const targetSegments = relativeSegments(to, 'file');
    const sourceKey = this.keyOf(sourceSegments);
    const targetKey = this.keyOf(targetSegments);
    const what = `cannot move ${sourceSegments.join('/')}`;
    for (let attempt = 1; ; attempt++) {
      const source = await this.headOrNull(sourceKey, what);
      if (source === null) throw new StorageError(`${sourceSegments.join('/')} not found`, 'not-found');
      if (sourceKey === targetKey) return;
      const etag = source.ETag;
      try {
        await this.copy(sourceKey, targetKey, source.ContentLength ?? 0, etag);
      } catch (error) {
        // Replaced between our HEAD and the copy: start over with the new version.
        if (isPreconditionFailed(error) && attempt < MOVE_ATTEMPTS) continue;
        throw toS3StorageError(error, what);
      }
      await this.deleteCopied(sourceKey, etag, `moved ${sourceSegments.join('/')} but cannot remove it`);
      return;
    }
  }

  async remove(filePath: string): Promise<void> {
    const segments = relativeSegments(filePath, 'file');
    // DeleteObject succeeds for a missing key, which is what remove means here too.
    await this.attempt(`cannot remove ${segments.join('/')}`, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(segments) })),
    );
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private keyOf(segments: string[]): string {
    return `${this.prefix}${segments.join('/')}`;
  }

  private async copy(sourceKey: string, targetKey: string, sizeBytes: number, etag?: string): Promise<void> {
    const copySource = copySourceOf(this.bucket, sourceKey);
    const ifMatch = etag ? { CopySourceIfMatch: etag } : {};
    if (sizeBytes <= this.singleCopyMaxBytes) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: targetKey,
          CopySource: copySource,
          MetadataDirective: 'COPY',
          ...ifMatch,
        }),
      );
      return;
    }
    // Still server-side: the parts are copied by S3, no byte passes through us.
    const { UploadId: uploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: targetKey }),
    );
    if (!uploadId) throw new StorageError(`no upload id for ${targetKey}`, 'io');
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, partNumber = 1; start < sizeBytes; start += COPY_PART_BYTES, partNumber++) {
        const end = Math.min(start + COPY_PART_BYTES, sizeBytes) - 1;
        const part = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: targetKey,
            UploadId: uploadId,
            PartNumber: partNumber,
            CopySource: copySource,
            CopySourceRange: `bytes=${start}-${end}`,
            ...ifMatch,
          }),
        );
        parts.push({ PartNumber: partNumber, ETag: part.CopyPartResult?.ETag });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: targetKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: targetKey, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  private async deleteCopied(key: string, etag: string | undefined, what: string): Promise<void> {
    const conditional = this.conditionalDeletes && etag !== undefined;
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, ...(conditional ? { IfMatch: etag } : {}) }),
      );
    } catch (error) {
      // A newer upload replaced the source after our copy: it is not ours to delete.
      if (conditional && isPreconditionFailed(error)) return;
      if (conditional && (errorName(error) === 'NotImplemented' || httpStatusOf(error) === 501)) {
        this.conditionalDeletes = false;
        await this.attempt(what, () =>
          this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
        );
        return;
      }
      throw toS3StorageError(error, what);
    }
  }

  private async headOrNull(key: string, what: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw toS3StorageError(error, what);
    }
  }

  /** Runs one request, turning its failure into a StorageError that says what we were doing. */
  private async attempt<Output>(what: string, request: () => Promise<Output>): Promise<Output> {
    try {
      return await request();
    } catch (error) {
      throw toS3StorageError(error, what);
    }
  }
}

/**
 * Names our relative paths cannot address ('' from `data//x` or a folder marker, '.', '..')
 * are skipped: yielding them would make every later operation on the entry fail the path rules.
 */
function isAddressableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..';
}

function fileEntry(relative: string, name: string, head: HeadObjectCommandOutput): StoredEntry {
  const etag = stripQuotes(head.ETag);
  return {
    path: relative,
    name,
    type: 'file',
    sizeBytes: head.ContentLength ?? 0,
    modifiedAt: head.LastModified ?? new Date(0),
    ...(etag ? { etag } : {}),
  };
}

/** `bytes 100-199/1000` -> start 100, size 1000 (size Infinity when the server sends `*`). */
function parseContentRange(contentRange: string | undefined): { start: number; size: number } | undefined {
  const match = contentRange?.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  if (!match) return undefined;
  return { start: Number(match[1]), size: match[2] === '*' ? Infinity : Number(match[2]) };
}

function isPreconditionFailed(error: unknown): boolean {
  return errorName(error) === 'PreconditionFailed' || httpStatusOf(error) === 412;
}

/**
 * Collects at most `limit` bytes and then drops the connection: a server that sends more than
 * the range asked for (s3rver answers `bytes=0-0` with the whole object) costs us nothing more.
 */
async function readAtMost(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let collected = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    const wanted = Math.min(bytes.length, limit - collected);
    chunks.push(bytes.subarray(0, wanted));
    collected += wanted;
    if (collected >= limit) break; // leaving for-await destroys the body stream
  }
  return Buffer.concat(chunks, collected);
}
