// The archive (system of record for media) in an S3 bucket under a prefix. Uploads stream
// through a hashing Transform into lib-storage's Upload: one PUT for small objects, multipart
// for big ones, and a failure aborts the multipart upload, so a key holds a complete object or
// what it held before, never part of one.
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  createS3Client,
  describeLocation,
  isMissingObject,
  normalizePrefix,
  relativeSegments,
  toS3StorageError,
} from './s3-client';
import type { S3Location } from './s3-client';
import { StorageError } from './types';
import type { ArchivedObject, ArchiveStore } from './types';

export interface S3ArchiveOptions {
  /** A client to use instead of one built from the location; the caller keeps ownership. */
  client?: S3Client;
  /** Multipart part size (S3's minimum is 5 MiB). Memory per put is about partSize * queueSize. */
  partSizeBytes?: number;
  queueSize?: number;
}

const PART_SIZE_BYTES = 8 * 1024 ** 2;
const QUEUE_SIZE = 4;

export class S3ArchiveStore implements ArchiveStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSizeBytes: number;
  private readonly queueSize: number;

  constructor(location: S3Location, options: S3ArchiveOptions = {}) {
    this.bucket = location.bucket;
    this.prefix = normalizePrefix(location.prefix);
    this.description = `S3 archive ${describeLocation(location)}`;
    this.client = options.client ?? createS3Client(location);
    this.ownsClient = options.client === undefined;
    this.partSizeBytes = options.partSizeBytes ?? PART_SIZE_BYTES;
    this.queueSize = options.queueSize ?? QUEUE_SIZE;
  }

  async put(key: string, content: Readable): Promise<ArchivedObject> {
    const objectKey = this.keyOf(key);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    // A failing source must fail the upload (which then aborts), not end it early and short.
    let sourceError: unknown;
    content.once('error', (error) => {
      sourceError = error;
      hashing.destroy(error);
    });
    content.pipe(hashing);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: hashing },
      partSize: this.partSizeBytes,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      content.destroy();
      hashing.destroy();
      // The source's fault is the one to report, even if aborting the upload then failed too
      // (lib-storage throws the abort's error; a bucket lifecycle rule clears what is left).
      if (sourceError !== undefined) {
        const detail = sourceError instanceof Error ? sourceError.message : String(sourceError);
        throw new StorageError(`cannot archive ${objectKey}: the source failed: ${detail}`, 'io', {
          cause: sourceError,
        });
      }
      throw toS3StorageError(error, `cannot archive ${objectKey}`);
    }
    // What S3 stored must be what we hashed: a client or server that frames the body (e.g.
    // aws-chunked stored verbatim) would otherwise corrupt the system of record silently.
    const stored = await this.head(key);
    if (stored?.sizeBytes !== sizeBytes) {
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }))
        .catch(() => undefined);
      throw new StorageError(
        `cannot archive ${objectKey}: stored ${stored?.sizeBytes ?? 'nothing'} bytes, sent ${sizeBytes}`,
        'io',
      );
    }
    return { uri: this.uriOf(objectKey), sizeBytes, sha256: hash.digest('hex') };
  }

  async head(key: string): Promise<{ uri: string; sizeBytes: number } | null> {
    const objectKey = this.keyOf(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { uri: this.uriOf(objectKey), sizeBytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw toS3StorageError(error, `cannot inspect ${objectKey}`);
    }
  }

  async openRead(key: string): Promise<Readable> {
    const objectKey = this.keyOf(key);
    let body: unknown;
    try {
      body = (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }))).Body;
    } catch (error) {
      throw toS3StorageError(error, `cannot open ${objectKey}`);
    }
    if (!(body instanceof Readable)) throw new StorageError(`cannot open ${objectKey}: no body stream`, 'io');
    return body;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private keyOf(key: string): string {
    return `${this.prefix}${relativeSegments(key, 'file').join('/')}`;
  }

  private uriOf(objectKey: string): string {
    return `s3://${this.bucket}/${objectKey}`;
  }
}
