// The one table of how a file version's state may change, and the only code that changes it.
// Every worker and the scanner move versions through these named transitions; the state lib
// checks `from` inside the same compare-and-set that writes `to`, and refuses anything else with
// TransitionRefusedError naming the rule. Each transition but `retry` also allows its own target
// state, so a repeated delivery of the same job (BullMQ is at-least-once) repeats harmlessly; a
// repeated retry queues the same job again instead (retry.ts).
import type { Asset, AssetKind, AssetState, AssetVersion } from '@callintake/schemas';
import type { SeenVersion, StateStore, VersionUpdate } from '@callintake/state';

export const TRANSITIONS = {
  /** A worker took the version: it is no longer only waiting in a queue. */
  begin: { from: ['pending', 'processing'], to: 'processing' },
  /** Its content is captured (archived, parsed, upserted) and the file is in processed/. */
  capture: { from: ['pending', 'processing', 'processed'], to: 'processed' },
  /**
   * The customer's input is wrong: the file is in rejected/ beside its error report (or, for
   * their own folders and links, where it is). From `ignored` too: an upload that vanished and
   * came back unchanged is judged again at intake.
   */
  reject: { from: ['pending', 'processing', 'rejected', 'ignored'], to: 'rejected' },
  /** A newer upload under the same name replaced it before it was captured. */
  supersede: { from: ['pending', 'processing', 'ignored'], to: 'ignored' },
  /** The customer removed it before it was captured. */
  vanish: { from: ['pending', 'processing', 'ignored'], to: 'ignored' },
  /**
   * We could not process it after all attempts, or its job stalled as often: `processing-failed`
   * with the last error. The file stays in data/ (the customer did nothing wrong).
   */
  fail: { from: ['pending', 'processing', 'failed'], to: 'failed' },
  /**
   * Someone asked for another go after a fix (API or `ingest retry`): back to pending, with
   * jobs under new ids (suffix `r<n>`) that BullMQ's kept failed jobs cannot block.
   */
  retry: { from: ['failed', 'rejected'], to: 'pending' },
  /** Retention removed the handled file from the upload area; what was captured stays. */
  purge: { from: ['processed', 'rejected', 'purged'], to: 'purged' },
} as const satisfies Record<string, { from: readonly AssetState[]; to: AssetState }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Identifies one version of one file of one tenant. */
export interface VersionRef {
  tenantId: string;
  fileName: string;
  versionId: string;
}

export function transitionVersion(
  state: StateStore,
  ref: VersionRef,
  name: TransitionName,
  update: VersionUpdate = {},
): Promise<Asset> {
  const { from, to } = TRANSITIONS[name];
  return state.assets.applyTransition(ref.tenantId, ref.fileName, ref.versionId, { name, from, to }, update);
}

/**
 * `seen`: the scanner found a settled version. Idempotent by version id: the same upload seen
 * again returns the version it already is, in whatever state it has reached.
 */
export function recordSeenVersion(
  state: StateStore,
  tenantId: string,
  fileName: string,
  kind: AssetKind,
  seen: SeenVersion,
): Promise<{ asset: Asset; version: AssetVersion; created: boolean }> {
  return state.assets.recordVersion(tenantId, fileName, kind, seen);
}
