import type { Reason } from './reasons';

export const ASSET_KINDS = ['recording', 'call-metadata', 'crm-batch', 'unknown'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/**
 * `failed`: we could not process the version after all its attempts (or it stalled as often);
 * the customer did nothing wrong, so the file stays in data/ until someone retries it.
 */
export const ASSET_STATES = [
  'pending',
  'processing',
  'processed',
  'rejected',
  'ignored',
  'purged',
  'failed',
] as const;
export type AssetState = (typeof ASSET_STATES)[number];

/** One uploaded content of a file name. Same name with other content is a new version. */
export interface AssetVersion {
  /** Stable id of this content as listed: size + mtime (local, SFTP) or ETag (S3). */
  versionId: string;
  number: number;
  /** Order in which the tenant's files were first seen (per tenant, increasing; gaps allowed). */
  seq?: number;
  sizeBytes: number;
  modifiedAt: string;
  etag?: string;
  /** Content hash, known once captured; equal hashes mean a re-upload of the same content. */
  sha256?: string;
  seenAt: string;
  state: AssetState;
  reason?: Reason;
  /** Where the file sits in the upload area now, relative to the tenant root. */
  location: string;
  /** Failed processing attempts so far, while retrying and once failed. */
  attempts?: VersionAttempts;
  /** How often someone retried it after it failed or was rejected (its jobs' id suffix `r<n>`). */
  retries?: number;
}

export interface VersionAttempts {
  /** Attempts that failed (an attempt killed mid-job counts once its stall is detected). */
  count: number;
  /** How many attempts a job gets (JOB_ATTEMPTS when it was queued). */
  of: number;
  /** The last failure, without secrets or paths outside the tenant's upload area. */
  lastError: string;
  lastAttemptAt: string;
}

export interface Asset {
  tenantId: string;
  name: string;
  kind: AssetKind;
  state: AssetState;
  reason?: Reason;
  warnings: Reason[];
  callIds: string[];
  versions: AssetVersion[];
  firstSeenAt: string;
  updatedAt: string;
}
