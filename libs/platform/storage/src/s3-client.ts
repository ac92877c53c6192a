// Builds the S3 client for a tenant's `kind: s3` location, and the helpers both S3 adapters
// share: key prefixes, the path rules (the same as the local adapters'), and error mapping.
import { S3Client } from '@aws-sdk/client-s3';
import type { ArchiveLocation, SourceLocation } from '@callintake/schemas';
import { requireFilePath, resolveUnderRoot } from './local-paths';
import { StorageError } from './types';

export type S3Location = Extract<SourceLocation | ArchiveLocation, { kind: 's3' }>;

/** The location is unusable as configured (e.g. a named credentials variable is not set). */
export class S3ConfigError extends Error {
  override readonly name = 'S3ConfigError';
}

export interface S3ClientOverrides {
  /** Environment to read the named credential variables from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Credentials come from the env variables the location names, or else the SDK's default chain
 * (instance/pod role, profile, AWS_* variables). Only variable names ever reach messages.
 */
export function createS3Client(location: S3Location, overrides: S3ClientOverrides = {}): S3Client {
  const env = overrides.env ?? process.env;
  return new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle,
    ...credentialsFrom(location, env),
    // Checksums only where S3 requires them: the default (WHEN_SUPPORTED) sends streamed bodies
    // with aws-chunked framing and trailing checksums, which S3-compatible servers that do not
    // speak it (s3rver, older MinIO/Ceph) store verbatim inside the object. Harmless on AWS.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Standard mode retries throttling, 5xx and network faults with jittered backoff.
    maxAttempts: 5,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: 10_000,
      // Until the response headers arrive; the socket timeout also covers a stalled body.
      requestTimeout: 300_000,
      throwOnRequestTimeout: true,
      socketTimeout: 120_000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  });
}

function credentialsFrom(
  location: S3Location,
  env: NodeJS.ProcessEnv,
): { credentials?: { accessKeyId: string; secretAccessKey: string } } {
  const { accessKeyIdEnv, secretAccessKeyEnv } = location;
  if (!accessKeyIdEnv && !secretAccessKeyEnv) return {};
  if (!accessKeyIdEnv || !secretAccessKeyEnv) {
    throw new S3ConfigError(
      `s3://${location.bucket}: give both accessKeyIdEnv and secretAccessKeyEnv, or neither to use the default credential chain`,
    );
  }
  const accessKeyId = env[accessKeyIdEnv];
  const secretAccessKey = env[secretAccessKeyEnv];
  if (!accessKeyId || !secretAccessKey) {
    const missing = [accessKeyId ? '' : accessKeyIdEnv, secretAccessKey ? '' : secretAccessKeyEnv];
    throw new S3ConfigError(
      `s3://${location.bucket}: credential variable(s) ${missing.filter(Boolean).join(', ')} not set in the environment`,
    );
  }
  return { credentials: { accessKeyId, secretAccessKey } };
}

/** '' stays '' (the bucket root); anything else ends with exactly one '/'. */
export function normalizePrefix(prefix: string): string {
  if (prefix === '') return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export function describeLocation(location: S3Location): string {
  const where = location.endpoint ? ` via ${location.endpoint}` : '';
  return `s3://${location.bucket}/${normalizePrefix(location.prefix)} (${location.region}${where})`;
}

/**
 * Relative path -> its components, under the same rules as the local adapters (no `..`, not
 * absolute, no NUL). The root '/' only lends path.join something to resolve against; S3 keys
 * have no symlinks, so nothing else of the local checks applies.
 */
export function relativeSegments(relativePath: string, kind: 'file' | 'folder'): string[] {
  const resolved = resolveUnderRoot('/', relativePath);
  if (kind === 'file') requireFilePath(resolved, relativePath);
  return resolved.segments;
}

/** RFC 3986 path encoding per segment, for x-amz-copy-source. */
export function copySourceOf(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export function stripQuotes(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^(W\/)?"/, '').replace(/"$/, '');
}

export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}

export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/**
 * A missing object (NoSuchKey, or a bare 404 from HEAD) is 'not-found'; everything else is 'io',
 * a missing bucket included: that is a configuration fault, never "nothing there".
 */
export function isMissingObject(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return httpStatusOf(error) === 404 && name !== 'NoSuchBucket';
}

export function toS3StorageError(error: unknown, message: string): StorageError {
  if (error instanceof StorageError) return error;
  if (isMissingObject(error)) return new StorageError(`${message}: not found`, 'not-found', { cause: error });
  const name = errorName(error) ?? 'Error';
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(`${message}: ${name}: ${detail}`, 'io', { cause: error });
}
