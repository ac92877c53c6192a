// Fuzzy pairing as a function of the set of files, not of their order (issue 14).
//
// The pairs are what this elimination leaves: repeatedly pair a metadata record with its clear
// winner (at the threshold or more, the margin ahead of its runner-up) when no other record
// contests that recording (`contests`), taking both out; the records left with candidates are
// `ambiguous`. A clear, uncontested winner stays so when other files are taken out, so every
// order of elimination ends in the same pairs (its fixed point is unique).
//
// Files are linked when a record scores a recording at threshold - margin or more: below that a
// recording can neither win nor spoil a win nor make a rival. So the elimination runs on the
// linked component of a record alone. Its input is the *pool*: unpaired recordings, waiting
// records, and the fuzzy pairs standing (both of their files). Pairing fuzzily or undoing a fuzzy
// pair moves files within the pool, so a component's target changes only when a file arrives or
// leaves the pool (a pair by name, reference or external id). Each record's job moves it to its
// target: pairs with its recording, undoes a pair that is not its target, or waits.
import type { TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import {
  clearWinner,
  contests,
  decideFuzzy,
  FUZZY_WINDOW_MS,
  LINK_MIN,
  metadataTimeMs,
  metadataToReconsider,
  metadataUserKeys,
  metadataWithin,
  nearQueries,
  pairsByMetadataWithin,
  pairsByRecordingWithin,
  rankRecordings,
  recordingsWithin,
  recordingTimeMs,
  recordingUserKeys,
  rivalsFor,
  scoreCandidate,
  type FuzzyCandidate,
  type FuzzyCandidateSource,
  type FuzzyLinks,
  type FuzzyQuery,
  type FuzzyRival,
  type ScoredRecording,
  type StandingPair,
} from './fuzzy';

type Score = typeof scoreCandidate;

export { LINK_MIN };

/** The files linked to some seeds, through the pool (unpaired, waiting and fuzzily paired). */
export interface FuzzyComponent {
  metadata: Map<string, MetadataRecord>;
  /** metadata record id -> recording -> its score, for links only. */
  links: Map<string, ReadonlyMap<string, FuzzyCandidate>>;
  /** metadata record id -> the fuzzy pair it stands in. */
  pairs: Map<string, StandingPair>;
}

export async function fuzzyComponent(
  seeds: { metadata?: MetadataRecord[]; recordings?: RecordingRecord[] },
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
): Promise<FuzzyComponent> {
  if (source.links) return componentOfLinks(seeds, source.links);
  const component: FuzzyComponent = { metadata: new Map(), links: new Map(), pairs: new Map() };
  const recordings = new Map<string, RecordingRecord>();
  const linked = (candidate: FuzzyCandidate | undefined): candidate is FuzzyCandidate =>
    candidate !== undefined && candidate.score >= LINK_MIN;
  const pendingMetadata = [...(seeds.metadata ?? [])];
  const pendingRecordings = [...(seeds.recordings ?? [])];
  for (const metadata of pendingMetadata) component.metadata.set(metadata.recordId, metadata);
  for (const recording of pendingRecordings) recordings.set(recording.fileName, recording);
  while (pendingMetadata.length > 0 || pendingRecordings.length > 0) {
    const metadata = pendingMetadata.pop();
    if (metadata) {
      const at = metadataTimeMs(metadata);
      if (Number.isNaN(at)) continue;
      const links = new Map<string, FuzzyCandidate>();
      component.links.set(metadata.recordId, links);
      const near = await poolNear(source, at, metadataUserKeys(metadata, tenant), component, RECORDINGS);
      for (const recording of near) {
        const candidate = score(metadata, recording, tenant);
        if (!linked(candidate)) continue;
        links.set(recording.fileName, candidate);
        if (recordings.has(recording.fileName)) continue;
        recordings.set(recording.fileName, recording);
        pendingRecordings.push(recording);
      }
      continue;
    }
    const recording = pendingRecordings.pop() as RecordingRecord;
    const at = recordingTimeMs(recording, tenant);
    if (Number.isNaN(at)) continue;
    for (const other of await poolNear(
      source,
      at,
      recordingUserKeys(recording, tenant),
      component,
      RECORDS,
    )) {
      if (component.metadata.has(other.recordId) || !linked(score(other, recording, tenant))) continue;
      component.metadata.set(other.recordId, other);
      pendingMetadata.push(other);
    }
  }
  return component;
}

/** No links: a record with no candidate at or above LINK_MIN. */
const NO_LINKS: ReadonlyMap<string, FuzzyCandidate> = new Map();

/**
 * `fuzzyComponent` over links a source keeps: the same files, read by walking them (not copied).
 * Recordings are walked by name: the component needs only its records and their links.
 */
function componentOfLinks(
  seeds: { metadata?: MetadataRecord[]; recordings?: RecordingRecord[] },
  graph: FuzzyLinks,
): FuzzyComponent {
  const component: FuzzyComponent = { metadata: new Map(), links: new Map(), pairs: new Map() };
  const recordings = new Set<string>();
  const pendingMetadata: MetadataRecord[] = [];
  const pendingRecordings: string[] = [];
  for (const metadata of seeds.metadata ?? []) {
    component.metadata.set(metadata.recordId, metadata);
    pendingMetadata.push(metadata);
  }
  for (const recording of seeds.recordings ?? []) {
    recordings.add(recording.fileName);
    pendingRecordings.push(recording.fileName);
  }
  while (pendingMetadata.length > 0 || pendingRecordings.length > 0) {
    const metadata = pendingMetadata.pop();
    if (metadata) {
      const links = graph.ofMetadata(metadata.recordId) ?? NO_LINKS;
      component.links.set(metadata.recordId, links);
      const pair = graph.pairOf(metadata.recordId);
      if (pair) component.pairs.set(metadata.recordId, pair);
      for (const fileName of links.keys()) {
        if (recordings.has(fileName)) continue;
        recordings.add(fileName);
        pendingRecordings.push(fileName);
      }
      continue;
    }
    for (const other of graph.ofRecording(pendingRecordings.pop() as string)) {
      if (component.metadata.has(other.recordId)) continue;
      component.metadata.set(other.recordId, other);
      pendingMetadata.push(other);
    }
  }
  return component;
}

/** No record links to any of the recordings: their component holds no record to move. */
function noneLinked(recordings: readonly RecordingRecord[], graph: FuzzyLinks): boolean {
  for (const recording of recordings) for (const _ of graph.ofRecording(recording.fileName)) return false;
  return true;
}

/** How to read one kind of file from the pool: the unpaired or waiting ones, and a pair's side. */
interface PoolKind<T> {
  within(source: FuzzyCandidateSource, query: FuzzyQuery): Promise<T[]>;
  pairsWithin(source: FuzzyCandidateSource, query: FuzzyQuery): Promise<StandingPair[]>;
  sideOf(pair: StandingPair): T;
}

const RECORDINGS: PoolKind<RecordingRecord> = {
  within: recordingsWithin,
  pairsWithin: pairsByRecordingWithin,
  sideOf: (pair) => pair.recording,
};

const RECORDS: PoolKind<MetadataRecord> = {
  within: metadataWithin,
  pairsWithin: pairsByMetadataWithin,
  sideOf: (pair) => pair.metadata,
};

/**
 * The pool's files of one kind that may link to a file at `at` with user `keys` (some maybe
 * twice): the unpaired or waiting ones, and that side of the standing fuzzy pairs (which the
 * component learns of on the way).
 */
async function poolNear<T>(
  source: FuzzyCandidateSource,
  at: number,
  keys: readonly string[],
  component: FuzzyComponent,
  kind: PoolKind<T>,
): Promise<T[]> {
  const files: T[] = [];
  for (const query of nearQueries(source, at, keys, LINK_MIN)) {
    for (const file of await kind.within(source, query)) files.push(file);
    for (const pair of await kind.pairsWithin(source, query)) {
      component.pairs.set(pair.metadata.recordId, pair);
      files.push(kind.sideOf(pair));
    }
  }
  return files;
}

/**
 * The elimination's fixed point on a component: metadata record id -> its recording. Any order
 * of elimination ends there, so records are taken from a work list: a record is looked at again
 * only when what can change its answer changes (one of its recordings is taken, or a record
 * that could contest its winner is), not in rounds over all of them.
 */
export function settleComponent(component: FuzzyComponent): Map<string, string> {
  const target = new Map<string, string>();
  if (component.links.size === 1) {
    // One record (the most common group): nothing contests it.
    for (const [recordId, links] of component.links) {
      const winner = clearWinner(links.values());
      if (winner) target.set(recordId, winner.recording);
    }
    return target;
  }
  // recording -> the records linking to it (their scores are in component.links).
  const scorers = new Map<string, string[]>();
  for (const [recordId, links] of component.links)
    for (const fileName of links.keys()) {
      const list = scorers.get(fileName);
      if (list) list.push(recordId);
      else scorers.set(fileName, [recordId]);
    }
  const taken = new Set<string>();
  const pending = [...component.links.keys()];
  const queued = new Set(pending);
  while (pending.length > 0) {
    const recordId = pending.pop() as string;
    queued.delete(recordId);
    const links = component.links.get(recordId) as ReadonlyMap<string, FuzzyCandidate>;
    const winner = clearWinner(links.values(), taken);
    if (!winner) continue;
    const contested = (scorers.get(winner.recording) as string[]).some((rival) => {
      if (rival === recordId || target.has(rival)) return false;
      const rivalScore = component.links.get(rival)?.get(winner.recording)?.score as number;
      return contests(winner.score, rivalScore);
    });
    if (contested) continue;
    target.set(recordId, winner.recording);
    taken.add(winner.recording);
    // Its recording taken: the records that scored it have one candidate fewer. The record
    // gone: those whose winner it could contest (it scored their recordings) may now win.
    for (const fileName of links.keys())
      for (const other of scorers.get(fileName) as string[])
        if (!target.has(other) && !queued.has(other)) {
          queued.add(other);
          pending.push(other);
        }
  }
  return target;
}

/** The records of a component whose standing (paired or not, and with which) is not its target. */
function mismatches(component: FuzzyComponent, target: Map<string, string>, except?: string) {
  const records: MetadataRecord[] = [];
  for (const record of component.metadata.values())
    if (
      record.recordId !== except &&
      component.pairs.get(record.recordId)?.recording.fileName !== target.get(record.recordId)
    )
      records.push(record);
  return records;
}

/** Records whose target may have changed around some files; all that must move, each once. */
export async function recordsToMove(
  seeds: { metadata?: MetadataRecord[]; recordings?: RecordingRecord[] },
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
  except?: string,
): Promise<MetadataRecord[]> {
  // Links kept: no range query, so no await (one per job adds up in memory). Most recordings
  // arriving are linked to no record yet: nothing to build.
  if (source.links && !seeds.metadata?.length && noneLinked(seeds.recordings ?? [], source.links)) return [];
  const component = source.links
    ? componentOfLinks(seeds, source.links)
    : await fuzzyComponent(seeds, source, tenant, score);
  return mismatches(component, settleComponent(component), except);
}

/**
 * What a fuzzy-eligible record's job does now, and the other records of its component that do
 * not stand as their target (`others`: after a file arrives or a pair is undone, each is judged
 * again by its own job).
 * - keep: it stands in the fuzzy pair that is its target;
 * - undo: it stands in a fuzzy pair that is not (a later file contests or spoils it);
 * - pair: its target recording is unpaired: claim it;
 * - wait: no target, or its target is still held by a pair about to be undone (whose undoing
 *   queues this record again); `ambiguous` when it has unpaired candidates.
 */
export type FuzzyDecision = { others: MetadataRecord[] } & (
  | { kind: 'keep'; pair: StandingPair }
  | { kind: 'undo'; pair: StandingPair }
  | { kind: 'pair'; winner: FuzzyCandidate; ranked: FuzzyCandidate[]; scored: ScoredRecording[] }
  | { kind: 'ambiguous'; ranked: FuzzyCandidate[]; rivals: FuzzyRival[] }
  | { kind: 'none' }
);

/**
 * `listed: false` when the caller writes no document (in memory): the decision is the same, but
 * `ranked`, `scored` and `rivals` stay empty, so the record's whole window is neither read nor
 * scored. The target's score is its link's, and whether it has candidates is one range query.
 */
export async function decideMetadata(
  metadata: MetadataRecord,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
  { listed = true, standing: known }: { listed?: boolean; standing?: StandingPair } = {},
): Promise<FuzzyDecision> {
  const component = source.links
    ? componentOfLinks({ metadata: [metadata] }, source.links)
    : await fuzzyComponent({ metadata: [metadata] }, source, tenant, score);
  const target = settleComponent(component);
  const others = mismatches(component, target, metadata.recordId);
  const wanted = target.get(metadata.recordId);
  // Range queries find the record's pair only near where it is now: a new version may have
  // moved it away from its recording, so the caller says which pair it stands in.
  const standing = component.pairs.get(metadata.recordId) ?? known;
  if (standing) {
    const fileName = standing.recording.fileName;
    if (fileName === wanted) return { kind: 'keep', pair: standing, others };
    // Its recording outside its group (it links to it no more): the recording's own group,
    // which it leaves, is judged again too (the record that wanted the recording, above all).
    const linked = [...component.links.values()].some((links) => links.has(fileName));
    const left = linked
      ? []
      : await recordsToMove({ recordings: [standing.recording] }, source, tenant, score, metadata.recordId);
    return { kind: 'undo', pair: standing, others: uniqueRecords([...others, ...left]) };
  }
  if (!listed) {
    // The target is unpaired unless a pair of the component holds it (its record links to it).
    let winner = wanted === undefined ? undefined : component.links.get(metadata.recordId)?.get(wanted);
    for (const pair of component.pairs.values()) if (pair.recording.fileName === wanted) winner = undefined;
    if (winner) return { kind: 'pair', winner, ranked: [], scored: [], others };
    const at = metadataTimeMs(metadata);
    const near = Number.isNaN(at)
      ? []
      : await source.recordingNamesWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS, 1);
    return near.length === 0
      ? { kind: 'none', others }
      : { kind: 'ambiguous', ranked: [], rivals: [], others };
  }
  const scored = await rankRecordings(metadata, source, tenant, score);
  const { winner, ranked } = decideFuzzy(scored.map((entry) => entry.candidate));
  const mine = wanted ? scored.find((entry) => entry.recording.fileName === wanted) : undefined;
  if (mine) return { kind: 'pair', winner: mine.candidate, ranked, scored, others };
  if (ranked.length === 0) return { kind: 'none', others };
  const best = winner ? scored.find((entry) => entry.candidate === winner) : undefined;
  const rivals = best
    ? await rivalsFor(metadata, best.recording, best.candidate.score, source, tenant, score)
    : [];
  return { kind: 'ambiguous', ranked, rivals, others };
}

/** A pair just made (by any method), and which fuzzy index each side was in. */
export interface PairEvent {
  recording: RecordingRecord;
  metadata: MetadataRecord;
  /** The recording was a candidate (unpaired) until this pair. */
  recordingWasUnpaired: boolean;
  /** The metadata record waited (so it may have contested other records' winners). */
  metadataWasWaiting: boolean;
  /** A fuzzy pair: both files stay in the pool (a later file may undo it), no target changes. */
  fuzzy?: boolean;
}

/**
 * The waiting records a pair may change the verdict of, each once: those the recording was the
 * only candidate of (no longer `ambiguous`), and, when a pair by a key takes files out of the
 * pool, every record around them that does not stand as its new target (a candidate taken or a
 * rival gone can leave a clear winner, and that pair free another, and so on).
 */
export async function metadataAfterPair(
  pair: PairEvent,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
): Promise<MetadataRecord[]> {
  const affected: MetadataRecord[] = [];
  if (pair.recordingWasUnpaired)
    affected.push(...(await metadataToReconsider(pair.recording, source, tenant, score, Infinity, true)));
  if (!pair.fuzzy && (pair.recordingWasUnpaired || pair.metadataWasWaiting)) {
    const view = withoutFiles(source, pair.recording.fileName, pair.metadata.recordId);
    const seeds = {
      metadata: pair.recordingWasUnpaired
        ? await metadataToReconsider(pair.recording, view, tenant, score, LINK_MIN)
        : [],
      recordings: pair.metadataWasWaiting
        ? (await rankRecordings(pair.metadata, view, tenant, score))
            .filter((entry) => entry.candidate.score >= LINK_MIN)
            .map((entry) => entry.recording)
        : [],
    };
    affected.push(...(await recordsToMove(seeds, view, tenant, score)));
  }
  return uniqueRecords(affected, pair.metadata.recordId);
}

/**
 * The records to judge again when a fuzzy pair is undone, queued before it is: the others of its
 * component that do not stand as their target (the record that wanted its recording, above all),
 * those its recording becomes the only candidate of again, and the record itself.
 */
export async function metadataAfterUndo(
  pair: StandingPair,
  others: MetadataRecord[],
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
): Promise<MetadataRecord[]> {
  const flips = await metadataToReconsider(pair.recording, source, tenant, score, Infinity, true);
  return uniqueRecords([...others, ...flips, pair.metadata]);
}

function uniqueRecords(records: MetadataRecord[], except?: string): MetadataRecord[] {
  const seen = new Set(except === undefined ? [] : [except]);
  return records.filter((record) => !seen.has(record.recordId) && seen.add(record.recordId));
}

/** The pool without two files (a pair by a key takes them out). */
function withoutFiles(
  source: FuzzyCandidateSource,
  fileName: string,
  recordId: string,
): FuzzyCandidateSource {
  const keepPair = (pair: StandingPair) =>
    pair.recording.fileName !== fileName && pair.metadata.recordId !== recordId;
  return {
    ...(source.byUser ? { byUser: true } : {}),
    recordingsWithin: async (from, to, user) =>
      (await recordingsWithin(source, { fromMs: from, toMs: to, user })).filter(
        (recording) => recording.fileName !== fileName,
      ),
    metadataWithin: async (from, to, user) =>
      (await metadataWithin(source, { fromMs: from, toMs: to, user })).filter(
        (record) => record.recordId !== recordId,
      ),
    // One more than asked, in case one is the file left out.
    recordingNamesWithin: async (from, to, limit) =>
      (await source.recordingNamesWithin(from, to, limit === undefined ? undefined : limit + 1))
        .filter((name) => name !== fileName)
        .slice(0, limit),
    pairsByRecordingWithin: async (from, to, user) =>
      (await pairsByRecordingWithin(source, { fromMs: from, toMs: to, user })).filter(keepPair),
    pairsByMetadataWithin: async (from, to, user) =>
      (await pairsByMetadataWithin(source, { fromMs: from, toMs: to, user })).filter(keepPair),
  };
}
