// The canonical fields after mapping. Kept identical to `CanonicalValues` in @callintake/state,
// which this lib must not import (state stores what this lib produces).
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
}
