// Every reason a file or row can be rejected or flagged. Codes are public (CONTRACT.md):
// add new ones freely, never reuse one for another meaning.
export const REASON_CODES = [
  'unsupported-type',
  'nested-directory',
  'too-large',
  'empty-file',
  'corrupt-media',
  'format-mismatch',
  'parse-error',
  'nested-field',
  'missing-field',
  'invalid-value',
  'unsafe-reference',
  'update-window-closed',
  'unknown-object-type',
  'missing-id',
  // Our additions.
  /** The file could not be read from the upload area (I/O error after retries). */
  'unreadable-file',
  /** A recording waited for metadata longer than the tenant allows. */
  'expired',
  /**
   * A call left `ambiguous` (metadata whose fuzzy candidates were too close to choose between)
   * waited longer than the tenant allows (`retention.ambiguousDays`) for a recording or a person
   * to decide; its metadata is no longer offered new recordings.
   */
  'ambiguous-expired',
  /** A newer upload under the same name replaced this version before it was captured. */
  'superseded',
  /** The file was deleted from the upload area before it was captured. */
  'vanished',
  /**
   * A warning, never a rejection: a recording's name does not follow yyyyMMdd-hhmmss_dir_uid, so
   * it gives no call time or user (it still pairs by name, reference or external id).
   */
  'unrecognized-name',
  /**
   * Not the customer's doing: we could not process the file after all attempts (or its job
   * stalled as often). The message is the last error; `POST …/files/{file}/retry` tries again.
   */
  'processing-failed',
  /**
   * A warning on a metadata file (or row), never a rejection: a second metadata source for a
   * call within its update window replaced the first (`file` names the one replaced).
   */
  'metadata-replaced',
  /**
   * A recording whose pairing key (its name without extension, case and Unicode normalisation
   * folded) is already held by another recording: `X.wav` after `X.mp3`, `A_Case.wav` after
   * `a_case.wav`. `file` names the first; one call has one recording.
   */
  'duplicate-recording',
  /** The same bytes as a recording already captured under another name (`file` names it). */
  'duplicate-content',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  code: ReasonCode;
  message: string;
  field?: string;
  line?: number;
  /**
   * Another file the reason is about: the first of two duplicates, the metadata a newer source
   * replaced, or (in a call's `statusReason`) the call's file that was rejected.
   */
  file?: string;
}

/** Thrown by parsers and probes for input that will never be accepted; carries the public reason. */
export class RejectionError extends Error {
  readonly reason: Reason;
  constructor(reason: Reason) {
    super(`${reason.code}: ${reason.message}`);
    this.name = 'RejectionError';
    this.reason = reason;
  }
}

export function reject(
  code: ReasonCode,
  message: string,
  where: { field?: string; line?: number } = {},
): never {
  throw new RejectionError({ code, message, ...where });
}
