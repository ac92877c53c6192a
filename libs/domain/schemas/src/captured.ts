// What the pipeline stores between stages. Calls and assets are public shapes (schemas);
// these are our internal records of captured recordings and metadata.
import type { AgentChannel, FieldValue, MediaFacts } from './call';
import type { Reason } from './reasons';

export interface ParsedNameFacts {
  pattern: 'timestamp' | 'external-id' | 'unrecognized';
  timestamp?: string;
  direction?: string;
  uid?: string;
  source?: string;
  externalId?: string;
}

export interface RecordingRecord {
  tenantId: string;
  fileName: string;
  versionId: string;
  version: number;
  facts: MediaFacts;
  archiveUri: string;
  sha256: string;
  name: ParsedNameFacts;
  warnings: Reason[];
  capturedAt: string;
  /** When this version was first seen in the upload area (absent for registered recordings). */
  seenAt?: string;
  callId?: string;
  /** Registered through the status API by another connector: `fileName` is its external id. */
  origin?: 'registered';
}

/** Canonical fields after mapping; everything else stays in `fields` under its mapped name. */
export interface CanonicalValues {
  /** ISO 8601 UTC, `toISOString` form. */
  callTime?: string;
  userId?: string;
  direction?: string;
  /** A base name only; never a path. */
  recordingFile?: string;
  externalCallId?: string;
  durationSec?: number;
  contactId?: string;
  leadId?: string;
  opportunityId?: string;
  caseId?: string;
  accountId?: string;
  /** Lower-cased; `none` says the channel is not known for this call, whatever the tenant says. */
  agentChannel?: AgentChannel;
}

export interface MetadataRecord {
  tenantId: string;
  /** The file name for single-record files; `<file>#<line>` for rows of a batch CSV. */
  recordId: string;
  fileName: string;
  version: number;
  line?: number;
  fields: Record<string, FieldValue>;
  canonical: CanonicalValues;
  sha256: string;
  /** When its file version was first seen in the upload area. */
  receivedAt: string;
  /** When the record was parsed and stored. */
  capturedAt?: string;
  /** When its file was first seen, in the tenant's order (see AssetVersion.seq). */
  seenSeq?: number;
  callId?: string;
  /**
   * Set when `canonical.callTime` came from the file's name, not its content: which moment of the
   * call the name gave (tenant `filenameTime`). The recording's own time is preferred then.
   */
  callTimeFromName?: 'start' | 'end';
  /** The record of another file this one replaced as its call's metadata (a second source). */
  replaces?: string;
  /** Set on the replaced record: it no longer pairs (the replacing record's id). */
  replacedBy?: string;
}
