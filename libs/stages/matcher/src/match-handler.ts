// The `match-recording` and `match-metadata` jobs. Both sides meet at one pairing key (the
// recording's lower-cased stem, else the external id they share) under a short lock, so the
// order of arrival, redelivery and concurrent matcher replicas all end in one call per recording.
import {
  metadataPairingKey,
  pairingKey,
  recordingPairingKey,
  splitExtension,
  stemKey,
} from '@callintake/naming';
import {
  jobOptions,
  PermanentJobError,
  RetryLaterError,
  type JobContext,
  type JobProducer,
} from '@callintake/queues';
import {
  CRM_REFERENCE_FIELDS,
  type Call,
  type CrmReferenceField,
  type MatchMethod,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';
import {
  metadataExternalId,
  recordingExternalId,
  type CallTiming,
  type MetadataRecord,
  type NameEntry,
  type RecordingRecord,
  type StateStore,
} from '@callintake/state';
import { buildCall, callTimeFromRecording, isRecordOf } from './build-call';
import {
  fuzzyEligible,
  metadataTimeMs,
  metadataToReconsider,
  recordingTimeMs,
  scoreCandidate,
  type FuzzyCandidateSource,
  type StandingPair,
} from './fuzzy';
import { decideMetadata, metadataAfterPair, metadataAfterUndo, recordsToMove } from './fuzzy-settle';
import { keepResolvedCrm, resolveCrmLinks, settleCrmLinks } from './crm-links';

export interface MatchDeps {
  state: StateStore;
  producer: JobProducer;
  tenant(tenantId: string): TenantConfig | undefined;
}

function tenantOf(deps: MatchDeps, tenantId: string): TenantConfig {
  const tenant = deps.tenant(tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${tenantId}`);
  return tenant;
}

/** Where a metadata record meets its recording: what it references, else its own name. */
export function meetingStem(record: MetadataRecord): { stem: string; method: MatchMethod } | undefined {
  // A single-record file, or a batch of one row (which takes the file's name as its own).
  const ownName =
    record.line === undefined || record.recordId === record.fileName ? record.fileName : undefined;
  const stem = metadataPairingKey(record.canonical.recordingFile, ownName);
  if (stem === undefined) return undefined;
  const referenced = metadataPairingKey(record.canonical.recordingFile, undefined) !== undefined;
  // A reference to the record's own name is pairing by name.
  const ownStem = record.line === undefined ? pairingKey(record.fileName) : undefined;
  return { stem, method: !referenced || stem === ownStem ? 'name' : 'reference' };
}

/** Call id (CONTRACT): the recording's name without extension; metadata-only: its external id. */
export function callIdFor(
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
  ownsExternalId = true,
): string {
  if (recording)
    return recording.origin === 'registered' ? recording.fileName : splitExtension(recording.fileName).stem;
  const record = metadata as MetadataRecord;
  // A second record claiming an id already owned keeps out of the owner's call: it waits by its name.
  if (record.canonical.externalCallId && ownsExternalId) return record.canonical.externalCallId;
  const stem = splitExtension(record.fileName).stem;
  return record.recordId === record.fileName ? stem : `${stem}-${record.line}`;
}

/** Runs `work` holding the pairing lock of `scope`, or without a lock when there is no key. */
function underLock<T>(deps: MatchDeps, tenantId: string, scope: string | undefined, work: () => Promise<T>) {
  return scope ? deps.state.lock(tenantId, scope, work) : work();
}

/**
 * Locks are always taken name first, external id second, so two matchers never wait on each
 * other in a cycle.
 */
function externalIdScope(externalId: string | undefined): string | undefined {
  return externalId ? `pair-external-id:${stemKey(externalId)}` : undefined;
}

export async function handleMatchRecording(
  deps: MatchDeps,
  payload: { tenantId: string; fileName: string },
  context: JobContext,
): Promise<void> {
  const tenant = tenantOf(deps, payload.tenantId);
  const captured = await deps.state.recordings.get(tenant.id, payload.fileName);
  if (!captured) throw new PermanentJobError(`no captured recording ${payload.fileName}`);
  const stem = recordingPairingKey(captured);
  const externalId = recordingExternalId(captured);
  const unpaired = await deps.state.lock(tenant.id, `pair:${stem}`, async () => {
    const recording = (await deps.state.recordings.get(tenant.id, payload.fileName)) ?? captured;
    const nameEntry = await deps.state.names.lookup(tenant.id, stem);
    const { metadata: recordId } = nameEntry;
    const held = recordId ? await deps.state.metadata.get(tenant.id, recordId) : null;
    // The index can lag behind the record (a new version names another recording now): only a
    // record whose current key is this one joins, so a record is never in two calls.
    const metadata = held && !held.replacedBy && meetingStem(held)?.stem === stem ? held : null;
    if (metadata) {
      await assemble(deps, tenant, recording, metadata, context, { method: meetingStem(metadata)?.method });
      return undefined;
    }
    return underLock(deps, tenant.id, externalIdScope(externalId), async () => {
      const byId = await externalIdPartner(deps, tenant.id, externalId, 'recording', recording.fileName);
      const partner = byId ? await deps.state.metadata.get(tenant.id, byId) : null;
      if (partner && !(await pairedElsewhere(deps, tenant.id, partner, callIdFor(recording, partner)))) {
        await assemble(deps, tenant, recording, partner, context, { method: 'external-id' });
        return undefined;
      }
      // Paired fuzzily before (a new version, a redelivery): it stays with that metadata.
      const fuzzy = await deps.state.fuzzy.pairOf(tenant.id, recording.fileName);
      const fuzzyPartner = fuzzy ? await deps.state.metadata.get(tenant.id, fuzzy.recordId) : null;
      if (fuzzy && fuzzyPartner) {
        await assemble(deps, tenant, recording, fuzzyPartner, context, {
          method: claimedMethod(fuzzy),
          match: { score: fuzzy.score, ...detailsOf(fuzzy) },
        });
        return undefined;
      }
      await assemble(deps, tenant, recording, null, context, { nameEntry });
      const callTime = callTimeFromRecording(recording, tenant);
      if (!callTime) return undefined;
      await deps.state.fuzzy.addUnpaired(tenant.id, recording.fileName, Date.parse(callTime));
      return recording;
    });
  });
  // Order independence: metadata that came first and waits (or is ambiguous) is judged again
  // now that this recording is a candidate, best-scoring first, until one takes it. Outside the
  // recording's locks: judging takes the metadata's lock first, as its own job does. Fuzzy pairs
  // this recording spoils (and records it is now the target of) are queued first.
  if (!unpaired) return;
  const source = redisCandidateSource(deps, tenant.id);
  const moved = await recordsToMove({ recordings: [unpaired] }, source, tenant);
  await queueJudgements(deps, tenant, moved, unpaired.fileName, `arrival~v${unpaired.version}`);
  for (const metadata of await metadataToReconsider(unpaired, source, tenant, undefined, undefined, true)) {
    await matchMetadataFuzzily(deps, tenant, metadata.recordId, context);
    if (!(await deps.state.fuzzy.isUnpaired(tenant.id, unpaired.fileName))) return;
  }
}

/** The matcher's fuzzy candidates: the tenant's sorted sets in Redis, read by call time. */
function redisCandidateSource(deps: MatchDeps, tenantId: string): FuzzyCandidateSource {
  const standingPairs = async (by: 'recording' | 'metadata', fromMs: number, toMs: number) => {
    const entries = (await deps.state.fuzzy.pairsWithin(tenantId, by, fromMs, toMs)).filter(
      (entry) => entry.pair.seq !== undefined,
    );
    const recordings = await deps.state.recordings.getMany(
      tenantId,
      entries.map((entry) => entry.fileName),
    );
    const records = await deps.state.metadata.getMany(
      tenantId,
      entries.map((entry) => entry.pair.recordId),
    );
    return entries.flatMap(({ pair }, index): StandingPair[] => {
      const recording = recordings[index];
      const metadata = records[index];
      return recording && metadata
        ? [{ recording, metadata, score: pair.score, seq: pair.seq as number }]
        : [];
    });
  };
  return {
    async recordingsWithin(fromMs, toMs) {
      const names = await deps.state.fuzzy.unpairedWithin(tenantId, fromMs, toMs);
      const recordings = await deps.state.recordings.getMany(tenantId, names);
      return recordings.filter((recording): recording is RecordingRecord => recording !== null);
    },
    async metadataWithin(fromMs, toMs) {
      const recordIds = await deps.state.fuzzy.waitingWithin(tenantId, fromMs, toMs);
      const records = await deps.state.metadata.getMany(tenantId, recordIds);
      return records.filter((record): record is MetadataRecord => record !== null);
    },
    recordingNamesWithin: (fromMs, toMs, limit) =>
      deps.state.fuzzy.unpairedWithin(tenantId, fromMs, toMs, limit),
    pairsByRecordingWithin: (fromMs, toMs) => standingPairs('recording', fromMs, toMs),
    pairsByMetadataWithin: (fromMs, toMs) => standingPairs('metadata', fromMs, toMs),
  };
}

/**
 * `match-metadata` jobs for records a fuzzy change moves (a file arrived near them, or a pair
 * was made or undone), one per record and event, so a later event is never swallowed by an
 * earlier completed job and a redelivered one adds nothing:
 * `<tenant>/<record>/after-pair/<file>/<event>`.
 */
async function queueJudgements(
  deps: MatchDeps,
  tenant: TenantConfig,
  records: MetadataRecord[],
  file: string,
  event: string,
): Promise<void> {
  if (records.length === 0) return;
  await deps.producer.addMany(
    'match-metadata',
    records.map((record) => ({
      payload: { tenantId: tenant.id, recordId: record.recordId },
      options: jobOptions.matchMetadataAfterPair(tenant.id, record.recordId, file, event),
    })),
  );
}

type FuzzyMatch = { score: number; details?: Record<string, unknown> };

function detailsOf(match: FuzzyMatch): Pick<FuzzyMatch, 'details'> {
  return match.details ? { details: match.details } : {};
}

/** Who chose a pair by hand (`details.by`, pair-by-hand.ts): its claim is replayed as `manual`. */
export const PAIRED_BY_HAND = 'status-api';

function claimedMethod(match: FuzzyMatch): MatchMethod {
  return match.details?.['by'] === PAIRED_BY_HAND ? 'manual' : 'fuzzy';
}

export async function handleMatchMetadata(
  deps: MatchDeps,
  payload: { tenantId: string; recordId: string },
  context: JobContext,
): Promise<void> {
  const tenant = tenantOf(deps, payload.tenantId);
  await matchMetadataFuzzily(deps, tenant, payload.recordId, context);
}

/**
 * The metadata job's work, also run when a new recording may change a waiting record's
 * verdict. One record is judged by one matcher at a time (its own lock, always taken before
 * any pairing lock), so it never ends up in two calls.
 */
async function matchMetadataFuzzily(
  deps: MatchDeps,
  tenant: TenantConfig,
  recordId: string,
  context: JobContext,
): Promise<void> {
  await deps.state.lock(tenant.id, `fuzzy-metadata:${recordId}`, async () => {
    let undone = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const fuzzy = await matchMetadataByKeys(deps, tenant, recordId, context);
      if (!fuzzy) return;
      // Its fuzzy pair is not its target any more: undone once, then it is judged afresh.
      if ('undo' in fuzzy) {
        if (undone) break;
        undone = true;
        attempt -= 1;
        await unpairFuzzy(deps, tenant, fuzzy.undo, fuzzy.others);
        continue;
      }
      // A winner is claimed by taking it out of the unpaired set; a rejoin is already claimed.
      if (!fuzzy.rejoin && !(await deps.state.fuzzy.takeUnpaired(tenant.id, fuzzy.recording))) continue;
      if (await pairFuzzy(deps, tenant, fuzzy.recording, recordId, fuzzy, context)) return;
    }
    throw new RetryLaterError('fuzzy candidates were taken by other metadata; looking again', 200);
  });
}

/**
 * Name, reference and external id, under their locks. Returns the recording to pair fuzzily
 * with, when that is what is left; otherwise the call is assembled here.
 */
async function matchMetadataByKeys(
  deps: MatchDeps,
  tenant: TenantConfig,
  recordId: string,
  context: JobContext,
): Promise<
  | { recording: string; match: FuzzyMatch; rejoin: boolean }
  | { undo: StandingPair; others: MetadataRecord[] }
  | undefined
> {
  const metadata = await deps.state.metadata.get(tenant.id, recordId);
  if (!metadata) throw new PermanentJobError(`no metadata record ${recordId}`);
  // Another source replaced it as its call's metadata (call-updates.ts): that one pairs now.
  if (metadata.replacedBy) return undefined;
  const meeting = meetingStem(metadata);
  const externalId = metadataExternalId(metadata);
  return underLock(deps, tenant.id, meeting ? `pair:${meeting.stem}` : undefined, async () => {
    if (meeting) {
      const { recording: fileName } = await deps.state.names.lookup(tenant.id, meeting.stem);
      const recording = fileName ? await deps.state.recordings.get(tenant.id, fileName) : null;
      if (recording) {
        await assemble(deps, tenant, recording, metadata, context, { method: meeting.method });
        return undefined;
      }
    }
    return underLock(deps, tenant.id, externalIdScope(externalId), async () => {
      const current = (await deps.state.metadata.get(tenant.id, metadata.recordId)) ?? metadata;
      const owner = externalId
        ? (await deps.state.externalIds.lookup(tenant.id, externalId)).metadata
        : undefined;
      const ownsExternalId = !owner || owner === current.recordId;
      const byId = await externalIdPartner(deps, tenant.id, externalId, 'metadata', current.recordId);
      const recording = byId ? await deps.state.recordings.get(tenant.id, byId) : null;
      if (recording && !(await pairedElsewhere(deps, tenant.id, current, callIdFor(recording, current)))) {
        await assemble(deps, tenant, recording, current, context, { method: 'external-id' });
        return undefined;
      }
      // Paired fuzzily before (a new version, a redelivery): it stays with that recording while
      // that pair is its target (a later file may undo it). One that is in a recording's call by
      // a key it no longer carries is never paired fuzzily too.
      const aloneId = callIdFor(null, current, ownsExternalId);
      let joined: string | undefined;
      if (current.callId && current.callId !== aloneId) {
        const call = await deps.state.calls.get(tenant.id, current.callId);
        joined = call?.recording?.fileName;
        const pair = joined ? await deps.state.fuzzy.pairOf(tenant.id, joined) : null;
        if (joined && pair?.recordId === current.recordId) {
          if (pair.seq !== undefined && fuzzyEligible(current, tenant)) {
            const recording = await deps.state.recordings.get(tenant.id, joined);
            const standing = recording
              ? { recording, metadata: current, score: pair.score, seq: pair.seq }
              : undefined;
            const decision = await decideMetadata(
              current,
              redisCandidateSource(deps, tenant.id),
              tenant,
              scoreCandidate,
              standing ? { standing } : {},
            );
            if (decision.kind === 'undo') return { undo: decision.pair, others: decision.others };
          }
          return { recording: joined, match: { score: pair.score, ...detailsOf(pair) }, rejoin: true };
        }
        // Its fuzzy pair was undone (and a crash may have left it in that call), or another
        // record took its recording by a key: it leaves it.
        if (call && (call.match?.method === 'fuzzy' || !isRecordOf(call, current))) {
          await leaveFuzzyCall(deps, tenant, current, current.callId);
          joined = undefined;
        }
      }
      const eligible = !joined && fuzzyEligible(current, tenant);
      if (eligible) {
        const source = redisCandidateSource(deps, tenant.id);
        const verdict = await decideMetadata(current, source, tenant);
        // Arriving (neither waiting nor paired yet), it may contest pairs around it, or change
        // what others should pair with: those are queued before anything else changes.
        if (!(await deps.state.fuzzy.isWaiting(tenant.id, current.recordId)))
          await queueJudgements(
            deps,
            tenant,
            verdict.others,
            current.recordId,
            `arrival~v${current.version}`,
          );
        if (verdict.kind === 'undo') return { undo: verdict.pair, others: verdict.others };
        if (verdict.kind === 'keep') {
          const fileName = verdict.pair.recording.fileName;
          const pair = await deps.state.fuzzy.pairOf(tenant.id, fileName);
          const match = { score: verdict.pair.score, ...(pair ? detailsOf(pair) : {}) };
          return { recording: fileName, match, rejoin: true };
        }
        if (verdict.kind === 'pair') {
          const match = { score: verdict.winner.score, details: { candidates: verdict.ranked } };
          return { recording: verdict.winner.recording, match, rejoin: false };
        }
        if (verdict.kind === 'ambiguous') {
          const details = {
            candidates: verdict.ranked,
            ...(verdict.rivals.length > 0 ? { rivals: verdict.rivals } : {}),
          };
          const match = { score: verdict.ranked[0]?.score ?? 0, details };
          await assemble(deps, tenant, null, current, context, { ownsExternalId, match, ambiguous: true });
          await deps.state.fuzzy.addWaiting(tenant.id, current.recordId, metadataTimeMs(current));
          return undefined;
        }
      }
      // Nothing to pair by yet: it waits as its own call (and, when it may pair fuzzily, is
      // offered to every recording that arrives near its call time).
      await assemble(deps, tenant, null, current, context, { ownsExternalId });
      if (eligible) await deps.state.fuzzy.addWaiting(tenant.id, current.recordId, metadataTimeMs(current));
      return undefined;
    });
  });
}

/**
 * Pairs a claimed recording with the metadata under the recording's own lock, unless it was
 * paired by a key meanwhile or another record holds its fuzzy pair. True when done.
 */
async function pairFuzzy(
  deps: MatchDeps,
  tenant: TenantConfig,
  fileName: string,
  recordId: string,
  { match, rejoin }: { match: FuzzyMatch; rejoin: boolean },
  context: JobContext,
): Promise<boolean> {
  const captured = await deps.state.recordings.get(tenant.id, fileName);
  if (!captured) return false;
  return deps.state.lock(tenant.id, `pair:${recordingPairingKey(captured)}`, async () => {
    const recording = (await deps.state.recordings.get(tenant.id, fileName)) ?? captured;
    const metadata = await deps.state.metadata.get(tenant.id, recordId);
    // Nothing left to pair (taken meanwhile): the recording is a candidate again.
    const release = async () => {
      const callTime = callTimeFromRecording(recording, tenant);
      if (callTime) await deps.state.fuzzy.addUnpaired(tenant.id, fileName, Date.parse(callTime));
      return true;
    };
    if (!metadata) return release();
    const id = callIdFor(recording, metadata);
    const call = await deps.state.calls.get(tenant.id, id);
    if (call?.metadata && !isRecordOf(call, metadata)) return false;
    if (await pairedElsewhere(deps, tenant.id, metadata, id)) return release();
    const at = { recordingMs: recordingTimeMs(recording, tenant), metadataMs: metadataTimeMs(metadata) };
    if (!(await deps.state.fuzzy.claimPair(tenant.id, fileName, { recordId, ...match }, at))) return false;
    await assemble(deps, tenant, recording, metadata, context, {
      method: claimedMethod(match),
      match,
      claimed: !rejoin,
    });
    return true;
  });
}

/**
 * Undoes a fuzzy pair that is no longer its component's target (a later file contests or spoils
 * it). The record's own lock is held by the caller; this takes the recording's pairing lock. The
 * records this moves are queued first (one job each, `undo~<seq>`), then one atomic step takes
 * the pair back and makes both files fuzzy candidates again, then the record leaves the
 * recording's call. Each step is idempotent: a redelivery finds the pair gone and the record
 * out of the call, and the record is judged again by the caller.
 */
async function unpairFuzzy(
  deps: MatchDeps,
  tenant: TenantConfig,
  pair: StandingPair,
  others: MetadataRecord[],
): Promise<void> {
  const { recording, metadata } = pair;
  await deps.state.lock(tenant.id, `pair:${recordingPairingKey(recording)}`, async () => {
    const standing = await deps.state.fuzzy.pairOf(tenant.id, recording.fileName);
    if (standing?.recordId === metadata.recordId && standing.seq === pair.seq) {
      const source = redisCandidateSource(deps, tenant.id);
      const moved = await metadataAfterUndo(pair, others, source, tenant);
      await queueJudgements(deps, tenant, moved, recording.fileName, `undo~${pair.seq}`);
      const at = { recordingMs: recordingTimeMs(recording, tenant), metadataMs: metadataTimeMs(metadata) };
      await deps.state.fuzzy.undoPair(
        tenant.id,
        recording.fileName,
        { recordId: metadata.recordId, seq: pair.seq },
        at,
      );
    }
    const current = await deps.state.metadata.get(tenant.id, metadata.recordId);
    const callId = callIdFor(recording, metadata);
    if (current?.callId === callId) await leaveFuzzyCall(deps, tenant, current, callId);
  });
}

/**
 * A record whose fuzzy pair was undone leaves the recording's call (`awaiting_metadata` again,
 * `calls-updated` when it had been ready) and names its own call until it is judged again.
 */
async function leaveFuzzyCall(
  deps: MatchDeps,
  tenant: TenantConfig,
  metadata: MetadataRecord,
  callId: string,
): Promise<void> {
  await leaveCall(deps, tenant, metadata, callId);
  await deps.state.metadata.setCallId(tenant.id, metadata.recordId, callIdFor(null, metadata));
}

/**
 * The other side of an external id, when `self` owns its side of the id (the first recording or
 * metadata record to claim an id owns it; a later claimant pairs by nothing).
 */
async function externalIdPartner(
  deps: MatchDeps,
  tenantId: string,
  externalId: string | undefined,
  side: 'recording' | 'metadata',
  self: string,
): Promise<string | undefined> {
  if (!externalId) return undefined;
  const entry = await deps.state.externalIds.lookup(tenantId, externalId);
  if (entry[side] !== self) return undefined;
  return side === 'recording' ? entry.metadata : entry.recording;
}

/** 1:1: a metadata record already in another recording's call is not taken again. */
async function pairedElsewhere(
  deps: MatchDeps,
  tenantId: string,
  metadata: MetadataRecord,
  callId: string,
): Promise<boolean> {
  if (!metadata.callId || metadata.callId === callId) return false;
  const call = await deps.state.calls.get(tenantId, metadata.callId);
  return Boolean(call?.recording);
}

/** How often a call whose CRM batches are still being ingested looks again. */
const CRM_WAIT_RETRY_MS = 500;
/** A CRM batch stuck longer than this (failed for good) no longer holds calls back. */
export const CRM_WAIT_LIMIT_MS = 15 * 60_000;

/**
 * The priority lane (SPEC "CRM objects"): every CRM batch seen before this metadata file must
 * be fully ingested before the call's references are resolved. The job waits (without using
 * an attempt) while one is pending, up to a limit, so a batch that failed for good cannot
 * hold calls back forever; its references are then listed as unresolved.
 */
async function awaitEarlierCrmBatches(
  deps: MatchDeps,
  tenant: TenantConfig,
  metadata: MetadataRecord | null,
): Promise<void> {
  if (!metadata || metadata.seenSeq === undefined) return;
  if (!Object.keys(CRM_REFERENCE_FIELDS).some((field) => metadata.canonical[field as CrmReferenceField]))
    return;
  const pending = await deps.state.assets.pendingCrmBefore(tenant.id, metadata.seenSeq);
  if (pending.length === 0) return;
  const waitedMs = deps.state.clock.now().getTime() - Date.parse(metadata.receivedAt);
  if (waitedMs > CRM_WAIT_LIMIT_MS) return;
  throw new RetryLaterError(
    `CRM batch ${pending[0]?.split('\n')[0]} was seen earlier and is still being ingested`,
    CRM_WAIT_RETRY_MS,
  );
}

export async function assemble(
  deps: MatchDeps,
  tenant: TenantConfig,
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
  context: JobContext,
  options: {
    method?: MatchMethod | undefined;
    ownsExternalId?: boolean;
    match?: FuzzyMatch;
    ambiguous?: boolean;
    /** The recording was just taken out of the unpaired set for this (fuzzy) pair. */
    claimed?: boolean;
    /** What the caller found under the pairing key of the one file (under its lock), if it looked. */
    nameEntry?: NameEntry;
  } = {},
): Promise<void> {
  const { method, match, ambiguous } = options;
  const id = callIdFor(recording, metadata, options.ownsExternalId ?? true);
  await awaitEarlierCrmBatches(deps, tenant, metadata);
  const crm = await resolveCrmLinks(deps.state.crm, tenant, metadata);
  // What the steps below read, at once: the files' assets and the call (their compare-and-sets
  // then need no read of their own), the record this one replaces, a missing file's rejection.
  const [, replaced, statusReason] = await Promise.all([
    deps.state.warm([
      ...[recording?.fileName, metadata?.fileName].flatMap((fileName) =>
        fileName ? [deps.state.keys.asset(tenant.id, fileName)] : [],
      ),
      deps.state.keys.call(tenant.id, id),
    ]),
    metadata?.replaces ? deps.state.metadata.get(tenant.id, metadata.replaces) : null,
    rejectedCounterpart(deps, tenant.id, recording, metadata, options.nameEntry),
  ]);
  // Files name their call before the call can be seen (or emitted) as ready: a caller that finds
  // a ready call also finds it from each of its files.
  await linkAssets(deps, tenant.id, id, recording, metadata);
  const now = deps.state.clock.now();
  const { after } = await deps.state.calls.mutate(
    tenant.id,
    id,
    (existing) =>
      buildCall(existing, {
        id,
        tenant,
        recording,
        metadata,
        crm: keepResolvedCrm(crm, existing?.crm),
        ...(method ? { method } : {}),
        ...(match ? { match } : {}),
        ...(ambiguous ? { ambiguous } : {}),
        replaced,
        statusReason,
        now,
      }),
    callTiming(recording, metadata),
  );
  // References left without a record wait for their objects (late CRM resolution); one stored
  // since they were read is filled in now.
  const settled = await settleCrmLinks(deps.state, tenant, after as Call);
  const call = settled.call;

  // The call the metadata record was in before: one it waited in alone is gone now; a
  // recording's call it left (a new version names another recording) waits for metadata again.
  if (metadata?.callId && metadata.callId !== id) await leaveCall(deps, tenant, metadata, metadata.callId);
  // Two documents, each its own compare-and-set: at once.
  await Promise.all([
    recording && recording.callId !== id
      ? deps.state.recordings.setCallId(tenant.id, recording.fileName, id)
      : undefined,
    metadata && metadata.callId !== id
      ? deps.state.metadata.setCallId(tenant.id, metadata.recordId, id)
      : undefined,
  ]);
  // Paired: neither side is a fuzzy candidate any more. The records this may make decidable are
  // queued first, so a crash before the takes queues them again (the same job ids).
  if (recording && metadata) {
    await queueAfterPair(deps, tenant, recording, metadata, options.claimed === true);
    await deps.state.fuzzy.takeBoth(tenant.id, recording.fileName, metadata.recordId);
  }
  await emit(deps, call);
  await deps.state.crmWaiting.release(tenant.id, id, settled.resolved);
  context.logger.debug({ tenant: tenant.id, call: id, status: call.status }, 'call assembled');
}

/** For a call that waits: the reason its missing file was rejected, if it was (note-rejection.ts). */
async function rejectedCounterpart(
  deps: MatchDeps,
  tenantId: string,
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
  /** The recording's key's entry, when the caller just read it under the key's lock. */
  nameEntry?: NameEntry,
): Promise<Reason | undefined> {
  if (recording && metadata) return undefined;
  if (recording)
    return (nameEntry ?? (await deps.state.names.lookup(tenantId, recordingPairingKey(recording))))
      .rejectedMetadata;
  const stem = metadata ? meetingStem(metadata)?.stem : undefined;
  return stem ? (await deps.state.names.lookup(tenantId, stem)).rejectedRecording : undefined;
}

/**
 * Takes a metadata record out of the call it was in. A call of that record alone is deleted; a
 * recording's call goes back to `awaiting_metadata` (and `calls-updated` says so when it had been
 * ready), its recording a candidate again. Idempotent: a redelivery finds the record gone.
 */
async function leaveCall(
  deps: MatchDeps,
  tenant: TenantConfig,
  metadata: MetadataRecord,
  callId: string,
): Promise<void> {
  const before = await deps.state.calls.get(tenant.id, callId);
  const recording = before?.recording
    ? await deps.state.recordings.get(tenant.id, before.recording.fileName)
    : null;
  const left = await deps.state.calls.mutate(tenant.id, callId, (call) => {
    if (!call) return undefined;
    if (!call.recording) return null;
    if (!isRecordOf(call, metadata) || !recording) return undefined;
    return buildCall(call, {
      id: callId,
      tenant,
      recording,
      metadata: null,
      crm: {},
      now: deps.state.clock.now(),
    });
  });
  // Also when an earlier run changed the call and stopped before unlinking, or the call holds
  // another file's record (that record took the recording by a key).
  if (left.after?.metadata?.fileName !== metadata.fileName)
    await deps.state.assets.removeCallIds(tenant.id, metadata.fileName, [callId]);
  if (!left.after || left.after.metadata) return;
  if (recording) {
    const callTime = callTimeFromRecording(recording, tenant);
    if (callTime && !(await deps.state.fuzzy.pairOf(tenant.id, recording.fileName)))
      await deps.state.fuzzy.addUnpaired(tenant.id, recording.fileName, Date.parse(callTime));
  }
  await emit(deps, left.after);
}

/**
 * A pair may change other records' verdicts (metadataAfterPair): one by a key (or by hand)
 * takes both files out of the fuzzy pool, so the records around them that no longer stand as
 * their target are judged again; any pair taking a recording out of the unpaired set turns the
 * records it was the only candidate of from `ambiguous` to waiting. Each by a `match-metadata`
 * job (not here: this runs under pairing locks, and judging takes the record's own lock first),
 * one per record and pair, so a later pair's re-judgement is never swallowed by an earlier
 * completed one, and a redelivered pair adds nothing.
 */
async function queueAfterPair(
  deps: MatchDeps,
  tenant: TenantConfig,
  recording: RecordingRecord,
  metadata: MetadataRecord,
  claimed: boolean,
): Promise<void> {
  const pool = await deps.state.fuzzy.standing(tenant.id, recording.fileName, metadata.recordId);
  const unpaired = claimed || pool.unpaired;
  // An unpaired recording stands in no pair; one that is not may stand in another record's.
  const standing = unpaired ? null : pool.pair;
  const displaced = standing && standing.recordId !== metadata.recordId ? standing : undefined;
  // Taken by a key from another record's pair (fuzzy, or chosen by hand), the recording leaves the
  // pool as an unpaired one would: the records around it are judged again, and so is that record.
  const recordingWasUnpaired = unpaired || displaced !== undefined;
  const metadataWasWaiting = pool.waiting;
  if (!recordingWasUnpaired && !metadataWasWaiting) return;
  // A fuzzy pair (numbered) keeps both files in the pool; one by a key (or by hand) takes them out.
  const fuzzy = standing?.recordId === metadata.recordId && standing.seq !== undefined;
  const affected = await metadataAfterPair(
    { recording, metadata, recordingWasUnpaired, metadataWasWaiting, fuzzy },
    redisCandidateSource(deps, tenant.id),
    tenant,
  );
  if (displaced) {
    const record = await deps.state.metadata.get(tenant.id, displaced.recordId);
    if (record && !affected.some((other) => other.recordId === record.recordId)) affected.push(record);
  }
  // A fuzzy pair made again after it was undone is told from the first by its seq.
  const event = fuzzy ? `${metadata.recordId}~${standing.seq}` : metadata.recordId;
  await queueJudgements(deps, tenant, affected, recording.fileName, event);
  // Queued first: a crash before this finds the pair again and queues the same jobs.
  if (displaced) await deps.state.fuzzy.dissolvePair(tenant.id, recording.fileName, displaced.recordId);
}

/**
 * For the stage latencies: a call can be ready only once its last part arrived, so it is timed
 * from the latest of its parts. A registered recording was never in the upload area: its
 * registration counts as both seen and captured.
 */
function callTiming(recording: RecordingRecord | null, metadata: MetadataRecord | null): CallTiming {
  const latest = (...times: Array<string | undefined>) =>
    times
      .filter((time): time is string => time !== undefined)
      .sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  const seenAt = latest(
    recording ? (recording.seenAt ?? recording.capturedAt) : undefined,
    metadata?.receivedAt,
  );
  const capturedAt = latest(recording?.capturedAt, metadata?.capturedAt);
  return { ...(seenAt ? { seenAt } : {}), ...(capturedAt ? { capturedAt } : {}) };
}

async function linkAssets(
  deps: MatchDeps,
  tenantId: string,
  callId: string,
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
) {
  // Two documents, each its own compare-and-set: at once.
  await Promise.all(
    [...new Set([recording?.fileName, metadata?.fileName])].map((fileName) =>
      fileName ? deps.state.assets.addCallIds(tenantId, fileName, [callId]) : undefined,
    ),
  );
}

/**
 * Downstream queues, idempotent by job id: `<tenant>/<call id>` for ready, plus `/v<version>`
 * for updates. Emitting again after a crash adds nothing while the job is retained.
 */
export async function emit(deps: MatchDeps, call: Call): Promise<void> {
  // A call that was ready once reports every later change, also one that takes it back to
  // waiting (its metadata moved to another recording's call).
  if (call.status === 'ready') await deps.producer.add('call-ready', call, jobOptions.callReady(call));
  if (call.readyVersion !== undefined && call.version > call.readyVersion) {
    await deps.producer.add('call-updated', call, jobOptions.callUpdated(call));
  }
}
