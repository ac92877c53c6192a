import type { Reason } from './reasons';

export const ASSET_KINDS = ['recording', 'call-metadata', 'crm-batch', 'unknown'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const ASSET_STATES = ['pending', 'processing', 'processed', 'rejected', 'ignored', 'purged'] as const;
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
