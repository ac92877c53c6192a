// Fuzzy pairing (SPEC "Pairing" 4): metadata that shares no key with any recording is paired
// with an unpaired recording near its call time, scored on time distance, user, direction and
// duration. Everything here is pure or works through `FuzzyCandidateSource`, so the same rules
// run over Redis in the matcher and over in-memory arrays in the quality test and benchmark.
import { parseRecordingName } from '@callintake/naming';
import type { TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import { callTimeFromRecording } from './build-call';

// Tuned on the labelled data set in test/fuzzy-dataset.ts (README "Decisions" says how and why).
/**
 * Candidates are recordings whose call time is this close to the metadata's. Past about two
 * minutes the time score is near nothing, so farther recordings could only add noise and work.
 */
export const FUZZY_WINDOW_MS = 5 * 60_000;
/** A winner scores at least this... */
export const FUZZY_THRESHOLD = 0.7;
/** ...and this much more than the runner-up. */
export const FUZZY_MARGIN = 0.1;
/** Time closeness halves about every 40 s (e^-d/60s): clocks a few seconds apart score high. */
const TIME_SCALE_MS = 60_000;
/** Durations as probed and as the CRM logs them differ by seconds; 20 s apart scores nothing. */
const DURATION_TOLERANCE_SEC = 20;

const WEIGHTS = { time: 0.35, user: 0.3, direction: 0.1, duration: 0.25 } as const;
/** What a fact neither side states (or only one side states) counts for. */
const UNKNOWN = 0.5;

export interface FuzzyCandidate {
  recording: string;
  score: number;
  time: number;
  user: number;
  direction: number;
  duration: number;
}

/** Another waiting metadata record that scores too close to the winner recording. */
export interface FuzzyRival {
  recordId: string;
  score: number;
}

/**
 * Whether the record may pair fuzzily: it has a call time and no key of its own a recording
 * could still arrive by (a reference, an external id, or a name shaped like a recording's).
 */
export function fuzzyEligible(metadata: MetadataRecord, tenant: TenantConfig): boolean {
  const canonical = metadata.canonical;
  if (!canonical.callTime || canonical.recordingFile || canonical.externalCallId) return false;
  if (metadata.line !== undefined && metadata.recordId !== metadata.fileName) return true;
  const name = parseRecordingName(metadata.fileName, {
    timezone: tenant.timezone,
    directions: tenant.directions,
  });
  return name.pattern === 'unrecognized';
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** The metadata record's call time in ms, or NaN. */
export function metadataTimeMs(metadata: MetadataRecord): number {
  return metadataFacts.get(metadata)?.atMs ?? parseTime(metadata.canonical.callTime);
}

/** The recording's call time (start) in ms, or NaN when its name carries none. */
export function recordingTimeMs(recording: RecordingRecord, tenant: TenantConfig): number {
  const facts = recordingFacts.get(recording);
  return facts?.tenant === tenant ? facts.atMs : parseTime(callTimeFromRecording(recording, tenant));
}

const parseTime = (time: string | undefined) => (time ? isoTimeMs(time) : Number.NaN);

/**
 * `Date.parse` of a time, read by hand when it has the shape the pipeline writes
 * (`YYYY-MM-DDTHH:MM:SS[.mmm]Z`): parsing is a tenth of the cost in a loop over 100,000 files.
 * Anything else (an offset, a day past the 28th, fewer digits) goes to `Date.parse`.
 */
export function isoTimeMs(time: string): number {
  const length = time.length;
  if ((length !== 20 && length !== 24) || time.charCodeAt(length - 1) !== 90 /* Z */) return Date.parse(time);
  const year = digits(time, 0, 4);
  const month = digits(time, 5, 2);
  const day = digits(time, 8, 2);
  const hour = digits(time, 11, 2);
  const minute = digits(time, 14, 2);
  const second = digits(time, 17, 2);
  const ms =
    length === 24 && time.charCodeAt(19) === 46 /* . */ ? digits(time, 20, 3) : length === 20 ? 0 : -1;
  if (
    time.charCodeAt(4) !== 45 ||
    time.charCodeAt(7) !== 45 ||
    time.charCodeAt(10) !== 84 ||
    time.charCodeAt(13) !== 58 ||
    time.charCodeAt(16) !== 58 ||
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 28 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    ms < 0
  )
    return Date.parse(time);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The decimal number in `count` characters from `from`, or -1 when one is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// What scoring reads of a record, worked out once per record object (records are never changed
// in place; a record read again is a new object): parsing times and folding names was most of
// the cost of a comparison, and one record is compared with many.
export interface MetadataFacts {
  tenant: TenantConfig;
  atMs: number;
  /** The user id lower-cased, its part before `@`, and the person the directory knows it as. */
  user: string | undefined;
  userLocal: string | undefined;
  person: string | undefined;
  direction: string | undefined;
  durationSec: number | undefined;
  /** metadataUserKeys, built on first use. */
  userKeys?: readonly string[];
}

export interface RecordingFacts {
  tenant: TenantConfig;
  atMs: number;
  uid: string | undefined;
  person: string | undefined;
  direction: string | undefined;
  durationSec: number | undefined;
  /** recordingUserKeys, built on first use. */
  userKeys?: readonly string[];
}

const metadataFacts = new WeakMap<MetadataRecord, MetadataFacts>();
const recordingFacts = new WeakMap<RecordingRecord, RecordingFacts>();

/**
 * What scoring reads of a record (worked out once per record object): a caller comparing one
 * file with many may keep it, and score with `candidateOfFacts`, without looking it up again.
 */
export function factsOfMetadata(metadata: MetadataRecord, tenant: TenantConfig): MetadataFacts {
  let facts = metadataFacts.get(metadata);
  if (facts?.tenant !== tenant) {
    const user = metadata.canonical.userId ? metadata.canonical.userId.toLowerCase() : undefined;
    facts = {
      tenant,
      atMs: parseTime(metadata.canonical.callTime),
      user,
      userLocal: user?.split('@')[0],
      person: user === undefined ? undefined : directoryOf(tenant).get(user),
      direction: metadata.canonical.direction ? metadata.canonical.direction.toLowerCase() : undefined,
      durationSec: metadata.canonical.durationSec,
    };
    metadataFacts.set(metadata, facts);
  }
  return facts;
}

/** What scoring reads of a recording (worked out once per recording object). */
export function factsOfRecording(recording: RecordingRecord, tenant: TenantConfig): RecordingFacts {
  let facts = recordingFacts.get(recording);
  if (facts?.tenant !== tenant) {
    const uid = recording.name.uid ? recording.name.uid.toLowerCase() : undefined;
    facts = {
      tenant,
      atMs: parseTime(callTimeFromRecording(recording, tenant)),
      uid,
      person: uid === undefined ? undefined : directoryOf(tenant).get(uid),
      direction: recording.name.direction ? recording.name.direction.toLowerCase() : undefined,
      durationSec: recording.facts.durationSec,
    };
    recordingFacts.set(recording, facts);
  }
  return facts;
}

/**
 * The keys a metadata record's user is found under (`sameUser` is 1 only between a record and a
 * recording sharing one): the directory's person, and the name as written (whole, and before
 * `@`). None when it names no user.
 */
export function metadataUserKeys(metadata: MetadataRecord, tenant: TenantConfig): readonly string[] {
  const facts = factsOfMetadata(metadata, tenant);
  return (facts.userKeys ??= userKeys(tenant, 'metadata', facts.user, facts.userLocal, facts.person));
}

/** The keys a recording's user is found under: the directory's person, and the uid as written. */
export function recordingUserKeys(recording: RecordingRecord, tenant: TenantConfig): readonly string[] {
  const facts = factsOfRecording(recording, tenant);
  return (facts.userKeys ??= userKeys(tenant, 'recording', facts.uid, facts.uid, facts.person));
}

const NO_KEYS: readonly string[] = [];
const MAX_CACHED_NAMES = 10_000;

/**
 * userKeys by user name, per tenant and side: one array for all of a user's files, not one per
 * file. A side's keys follow from the name alone (its local part and the directory's person
 * are worked out from it), but a metadata name's local part is cut at `@` and a uid's is not.
 */
const keysByName = new WeakMap<
  TenantConfig,
  Record<'metadata' | 'recording', Map<string, readonly string[]>>
>();

function userKeys(
  tenant: TenantConfig,
  side: 'metadata' | 'recording',
  name: string | undefined,
  local: string | undefined,
  person: string | undefined,
): readonly string[] {
  if (name === undefined) return NO_KEYS;
  let known = keysByName.get(tenant);
  if (!known) keysByName.set(tenant, (known = { metadata: new Map(), recording: new Map() }));
  let keys = known[side].get(name);
  if (!keys) {
    const built = person === undefined ? [] : [`person:${person}`];
    built.push(`name:${name}`);
    if (local !== undefined && local !== name) built.push(`name:${local}`);
    // Past this many names (an id unique to each call, say) it starts over: the cache must not
    // grow for as long as a matcher runs.
    if (known[side].size >= MAX_CACHED_NAMES) known[side].clear();
    known[side].set(name, (keys = built));
  }
  return keys;
}

export function scoreCandidate(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  tenant: TenantConfig,
): FuzzyCandidate | undefined {
  return candidateOfFacts(
    factsOfMetadata(metadata, tenant),
    factsOfRecording(recording, tenant),
    recording.fileName,
  );
}

/**
 * `scoreCandidate` on facts already worked out; with `minScore`, undefined also for a candidate
 * scoring less (no object is built for it).
 */
export function candidateOfFacts(
  meta: MetadataFacts,
  rec: RecordingFacts,
  fileName: string,
  minScore = -Infinity,
): FuzzyCandidate | undefined {
  const metaTime = meta.atMs;
  const recordingTime = rec.atMs;
  if (Number.isNaN(metaTime) || Number.isNaN(recordingTime)) return undefined;
  const distance = Math.abs(recordingTime - metaTime);
  if (distance > FUZZY_WINDOW_MS) return undefined;
  // sameUser, on what was folded once.
  const user =
    rec.uid === undefined || meta.user === undefined
      ? UNKNOWN
      : rec.person !== undefined && meta.person !== undefined
        ? rec.person === meta.person
          ? 1
          : 0
        : rec.uid === meta.user || meta.userLocal === rec.uid
          ? 1
          : 0;
  const direction = compare(rec.direction, meta.direction);
  const duration = durationScore(rec.durationSec, meta.durationSec);
  const time = timeScore(distance);
  const score = round(
    WEIGHTS.time * time + WEIGHTS.user * user + WEIGHTS.direction * direction + WEIGHTS.duration * duration,
  );
  if (score < minScore) return undefined;
  return {
    recording: fileName,
    score,
    time: round(time),
    user,
    direction,
    duration: round(duration),
  };
}

function timeScore(distanceMs: number): number {
  return Math.exp(-distanceMs / TIME_SCALE_MS);
}

/** alias (lower-cased) -> user id, built once per tenant configuration. */
const directories = new WeakMap<TenantConfig, Map<string, string>>();

function directoryOf(tenant: TenantConfig): Map<string, string> {
  let directory = directories.get(tenant);
  if (!directory) {
    directory = new Map();
    for (const user of tenant.users ?? [])
      for (const alias of user.aliases) directory.set(alias.toLowerCase(), user.id);
    directories.set(tenant, directory);
  }
  return directory;
}

/**
 * Through the tenant's user directory when it knows both names (extension `2041` and
 * `jdoe@acme.test` are one person); otherwise uid `jdoe` is user `jdoe` or `jdoe@example.com`
 * (case-insensitive).
 */
export function sameUser(uid: string | undefined, userId: string | undefined, tenant: TenantConfig): number {
  if (!uid || !userId) return UNKNOWN;
  const a = uid.toLowerCase();
  const b = userId.toLowerCase();
  const directory = directoryOf(tenant);
  const personA = directory.get(a);
  const personB = directory.get(b);
  if (personA !== undefined && personB !== undefined) return personA === personB ? 1 : 0;
  return a === b || b.split('@')[0] === a ? 1 : 0;
}

function compare(a: string | undefined, b: string | undefined): number {
  if (!a || !b) return UNKNOWN;
  return a === b ? 1 : 0;
}

function durationScore(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return UNKNOWN;
  return Math.max(0, 1 - Math.abs(a - b) / DURATION_TOLERANCE_SEC);
}

/** `localeCompare` without building a collator on every call (the same order). */
export const compareText = new Intl.Collator().compare;

/** The winner when one scores above the threshold and clearly ahead of the runner-up. */
export function decideFuzzy(candidates: FuzzyCandidate[]): {
  winner?: FuzzyCandidate;
  ranked: FuzzyCandidate[];
} {
  const ranked = [...candidates].sort((a, b) => b.score - a.score || compareText(a.recording, b.recording));
  const [best, runnerUp] = ranked;
  if (best && best.score >= FUZZY_THRESHOLD && (!runnerUp || best.score - runnerUp.score >= FUZZY_MARGIN))
    return { winner: best, ranked };
  return { ranked };
}

/**
 * `decideFuzzy`'s winner without ranking (of those not `taken`, when given): one pass for the
 * best two scores. (Two candidates tied at the top leave no winner whichever sorts first, so the
 * order of ties does not matter.)
 */
export function clearWinner(
  candidates: Iterable<FuzzyCandidate>,
  taken?: ReadonlySet<string>,
): FuzzyCandidate | undefined {
  let best: FuzzyCandidate | undefined;
  let runnerUp: number | undefined;
  for (const candidate of candidates) {
    if (taken?.has(candidate.recording)) continue;
    if (!best || candidate.score > best.score) {
      if (best) runnerUp = best.score;
      best = candidate;
    } else if (runnerUp === undefined || candidate.score > runnerUp) runnerUp = candidate.score;
  }
  if (
    best &&
    best.score >= FUZZY_THRESHOLD &&
    (runnerUp === undefined || best.score - runnerUp >= FUZZY_MARGIN)
  )
    return best;
  return undefined;
}

/**
 * How far apart in time a record and a recording whose users score `user` (1 the same, 0.5 one
 * unknown, 0 different) can be and still score `minScore`: every other fact at its best. A
 * second is added for rounding; past the window nothing is a candidate anyway.
 */
export function reachMs(user: number, minScore: number): number {
  // Scores are rounded to 0.001, so one at minScore may be half of that less before rounding.
  const timeNeeded =
    (minScore - 0.001 - WEIGHTS.user * user - WEIGHTS.direction - WEIGHTS.duration) / WEIGHTS.time;
  if (!(timeNeeded > 0)) return FUZZY_WINDOW_MS;
  if (timeNeeded > 1) return -1;
  return Math.min(FUZZY_WINDOW_MS, Math.ceil(-TIME_SCALE_MS * Math.log(timeNeeded)) + 1000);
}

/** reachMs for each user score, per minScore (the rules ask for two or three minScores only). */
const reaches = new Map<number, { same: number; unknown: number; other: number }>();

function reachesFor(minScore: number) {
  let reach = reaches.get(minScore);
  if (!reach) {
    reach = { same: reachMs(1, minScore), unknown: reachMs(UNKNOWN, minScore), other: reachMs(0, minScore) };
    reaches.set(minScore, reach);
  }
  return reach;
}

/** One range query of a source; `user`: only files under that user key, `null`: naming no user. */
export interface FuzzyQuery {
  fromMs: number;
  toMs: number;
  user?: string | null | undefined;
}

/**
 * Range queries whose answers hold every file (of the other kind) that may score `minScore` or
 * more with a file at `atMs` whose user keys are `keys`: one time window, or, from a source that
 * indexes files by user too, the window for the same user, a narrower one for files naming no
 * user, and a narrower one still for everyone (different users score 0 on user). The answers
 * may overlap.
 */
export function nearQueries(
  source: FuzzyCandidateSource,
  atMs: number,
  keys: readonly string[],
  minScore: number,
): FuzzyQuery[] {
  if (!source.byUser) return [windowAt(atMs, FUZZY_WINDOW_MS)];
  const { same, unknown, other } = reachesFor(minScore);
  if (keys.length === 0) return unknown < 0 ? [] : [windowAt(atMs, unknown)];
  if (other === FUZZY_WINDOW_MS) return [windowAt(atMs, FUZZY_WINDOW_MS)];
  const queries: FuzzyQuery[] = [];
  if (same >= 0) for (const key of keys) queries.push(windowAt(atMs, same, key));
  if (unknown >= 0) queries.push(windowAt(atMs, unknown, null));
  if (other >= 0) queries.push(windowAt(atMs, other));
  return queries;
}

// Module functions, not closures, in what runs for every file: fewer objects to collect.
function windowAt(atMs: number, reach: number, user?: string | null): FuzzyQuery {
  return user === undefined
    ? { fromMs: atMs - reach, toMs: atMs + reach }
    : { fromMs: atMs - reach, toMs: atMs + reach, user };
}

/**
 * Whether another metadata record contests the winner: it could win the recording itself (it
 * scores it at the threshold or more) and scores within the margin of (or above) the winner's
 * score. Neither may take the recording while the other is a candidate for it, whichever came
 * first. A record scoring less can never take the recording, so it stops no one: counting it
 * (as before) left about 600 of 100,000 calls `ambiguous` for no gain in precision on the bench
 * set. Both conditions read only the two scores, so taking files out never makes a record
 * contest, and the elimination keeps its single fixed point: of two records that could each take
 * a recording, the one not ahead by the margin is contested by the other. (Whether the rival has
 * something better elsewhere is deliberately not asked: that answer changes as other pairs are
 * made, and would make the result depend on the order pairs are made in. A rival that pairs
 * elsewhere stops contesting, and the record is judged again.)
 */
export function contests(winnerScore: number, rivalScore: number): boolean {
  return rivalScore >= FUZZY_THRESHOLD && rivalScore > winnerScore - FUZZY_MARGIN;
}

/** Scores below this link nothing: such a recording can neither win, spoil a win, nor be contested. */
export const LINK_MIN = FUZZY_THRESHOLD - FUZZY_MARGIN - 1e-9;

/**
 * Where fuzzy candidates come from: the unpaired recordings and the waiting fuzzy-eligible
 * metadata of one tenant, each by call time, and the fuzzy pairs standing (which a later file
 * may undo, so they stay in the pool). Redis sorted sets in the matcher, sorted arrays in
 * memory elsewhere.
 */
export interface FuzzyCandidateSource {
  /**
   * The source also indexes files by user (`recordingUserKeys`, `metadataUserKeys`) and answers
   * range queries for one user key (`user`: a key) or for files naming no user (`user: null`);
   * otherwise `user` is never passed. Queries by user only save work: the rules ask them where
   * a file of another user could not score enough to matter (`nearQueries`).
   */
  byUser?: boolean;
  recordingsWithin(fromMs: number, toMs: number, user?: string | null): Promise<RecordingRecord[]>;
  metadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<MetadataRecord[]>;
  /**
   * Names of the unpaired recordings (no records read): whether a record has candidates. With
   * `limit`, at most that many (the first by time).
   */
  recordingNamesWithin(fromMs: number, toMs: number, limit?: number): Promise<string[]>;
  /**
   * Optional: the call times of the unpaired recordings in the range, by time, leaving out the
   * recording named `except`. With it, the records a recording is the only candidate of are
   * found with one query (the gaps between the others), not one each.
   */
  recordingTimesWithin?(fromMs: number, toMs: number, except: string): Promise<number[]>;
  /** Standing fuzzy pairs whose recording's call time is in the range. */
  pairsByRecordingWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]>;
  /** Standing fuzzy pairs whose metadata record's call time is in the range. */
  pairsByMetadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]>;
  /**
   * The links among the pool's files (fuzzy-settle.ts), kept by a source whose pool only grows
   * (in memory: files leave it only by a pair by key, which it never makes): its linked groups
   * are then read without a range query or a score. Without it they are found by range queries.
   */
  links?: FuzzyLinks;
}

/** Links (a score of threshold - margin or more) among the pool's files, both ways. */
export interface FuzzyLinks {
  /**
   * The recordings a record links to (by name), with their scores (also while it arrives). Read,
   * never copied: the source changes it only when a file arrives.
   */
  ofMetadata(recordId: string): ReadonlyMap<string, FuzzyCandidate> | undefined;
  /** The records a recording links to. */
  ofRecording(fileName: string): Iterable<MetadataRecord>;
  /** The fuzzy pair the record stands in. */
  pairOf(recordId: string): StandingPair | undefined;
}

/** A fuzzy pair made earlier, which a later file can undo. `seq` tells one making from another. */
export interface StandingPair {
  recording: RecordingRecord;
  metadata: MetadataRecord;
  score: number;
  seq: number;
}

export type FuzzyVerdict =
  | { kind: 'pair'; winner: FuzzyCandidate; ranked: FuzzyCandidate[]; scored: ScoredRecording[] }
  | { kind: 'ambiguous'; ranked: FuzzyCandidate[]; rivals: FuzzyRival[] }
  | { kind: 'none' };

type Score = typeof scoreCandidate;

/** A candidate recording with its score. */
export interface ScoredRecording {
  recording: RecordingRecord;
  candidate: FuzzyCandidate;
}

/** Scores every candidate recording of a metadata record; `score` lets callers count calls. */
export async function rankRecordings(
  metadata: MetadataRecord,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
): Promise<ScoredRecording[]> {
  const at = metadataTimeMs(metadata);
  if (Number.isNaN(at)) return [];
  const scored: ScoredRecording[] = [];
  for (const recording of await source.recordingsWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS)) {
    const candidate = score(metadata, recording, tenant);
    if (candidate) scored.push({ recording, candidate });
  }
  return scored;
}

/**
 * One metadata record's fuzzy verdict against what is unpaired and waiting now: its clear
 * winner among recordings, unless another waiting record contests that recording; else
 * ambiguous (with candidates) or nothing to pair with. This alone depends on what was paired
 * before; the matcher pairs by `decideMetadata` (fuzzy-settle.ts), which does not.
 */
export async function judgeMetadata(
  metadata: MetadataRecord,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
): Promise<FuzzyVerdict> {
  const scored = await rankRecordings(metadata, source, tenant, score);
  const { winner, ranked } = decideFuzzy(scored.map((entry) => entry.candidate));
  if (ranked.length === 0) return { kind: 'none' };
  if (!winner) return { kind: 'ambiguous', ranked, rivals: [] };
  const recording = scored.find((entry) => entry.candidate === winner)?.recording as RecordingRecord;
  const rivals = await rivalsFor(metadata, recording, winner.score, source, tenant, score);
  return rivals.length > 0 ? { kind: 'ambiguous', ranked, rivals } : { kind: 'pair', winner, ranked, scored };
}

export async function rivalsFor(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  winnerScore: number,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score,
): Promise<FuzzyRival[]> {
  const at = recordingTimeMs(recording, tenant);
  const rivals: FuzzyRival[] = [];
  for (const other of await source.metadataWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS)) {
    if (other.recordId === metadata.recordId) continue;
    const rivalScore = score(other, recording, tenant)?.score;
    if (rivalScore !== undefined && contests(winnerScore, rivalScore))
      rivals.push({ recordId: other.recordId, score: rivalScore });
  }
  return rivals;
}

/**
 * The waiting metadata records a recording entering or leaving the unpaired set may change the
 * verdict of, best first: those scoring it at `minScore` or more (below threshold - margin a
 * recording can neither win nor spoil a win), and with `flips`, also those it is (or was) the
 * only candidate of, whose status turns between `ambiguous` and `awaiting_recording`.
 */
export async function metadataToReconsider(
  recording: RecordingRecord,
  source: FuzzyCandidateSource,
  tenant: TenantConfig,
  score: Score = scoreCandidate,
  minScore = FUZZY_THRESHOLD - FUZZY_MARGIN,
  flips = false,
): Promise<MetadataRecord[]> {
  const at = recordingTimeMs(recording, tenant);
  if (Number.isNaN(at)) return [];
  const scored: Array<{ metadata: MetadataRecord; score: number }> = [];
  if (flips && source.recordingTimesWithin) {
    // Those scoring minScore or more, and those in the gaps the other candidates leave. A source
    // keeping links has the first scored already: the waiting records among the recording's.
    const seen = new Set<string>();
    const { links } = source;
    const linked = links !== undefined && minScore >= LINK_MIN;
    if (linked && minScore !== Infinity)
      for (const metadata of links.ofRecording(recording.fileName)) {
        const result = links.ofMetadata(metadata.recordId)?.get(recording.fileName);
        if (!result || result.score < minScore || links.pairOf(metadata.recordId)) continue;
        seen.add(metadata.recordId);
        scored.push({ metadata, score: result.score });
      }
    const near =
      linked || minScore === Infinity
        ? []
        : nearQueries(source, at, recordingUserKeys(recording, tenant), minScore);
    const gaps = await onlyCandidateOf(recording, at, source);
    for (let pass = 0; pass < 2; pass++) {
      const anyScore = pass === 1;
      for (const query of anyScore ? gaps : near)
        for (const metadata of await metadataWithin(source, query)) {
          if (seen.has(metadata.recordId)) continue;
          const result = score(metadata, recording, tenant);
          if (!result || !(anyScore || result.score >= minScore)) continue;
          seen.add(metadata.recordId);
          scored.push({ metadata, score: result.score });
        }
    }
  } else {
    // Those it is the only candidate of may score anything: then the whole window is read.
    const queries = flips
      ? [{ fromMs: at - FUZZY_WINDOW_MS, toMs: at + FUZZY_WINDOW_MS }]
      : nearQueries(source, at, recordingUserKeys(recording, tenant), minScore);
    const seen = queries.length > 1 ? new Set<string>() : undefined;
    for (const query of queries)
      for (const metadata of await metadataWithin(source, query)) {
        if (seen) {
          if (seen.has(metadata.recordId)) continue;
          seen.add(metadata.recordId);
        }
        const result = score(metadata, recording, tenant);
        if (!result) continue;
        if (result.score >= minScore || (flips && (await onlyCandidate(metadata, recording, source))))
          scored.push({ metadata, score: result.score });
      }
  }
  scored.sort(byScoreThenRecordId);
  const records: MetadataRecord[] = [];
  for (const entry of scored) records.push(entry.metadata);
  return records;
}

function byScoreThenRecordId(
  a: { metadata: MetadataRecord; score: number },
  b: { metadata: MetadataRecord; score: number },
): number {
  return b.score - a.score || compareText(a.metadata.recordId, b.metadata.recordId);
}

/** A source's answer to one query (`user` passed only when it asks by user). */
export function recordingsWithin(source: FuzzyCandidateSource, query: FuzzyQuery) {
  return query.user === undefined
    ? source.recordingsWithin(query.fromMs, query.toMs)
    : source.recordingsWithin(query.fromMs, query.toMs, query.user);
}

export function metadataWithin(source: FuzzyCandidateSource, query: FuzzyQuery) {
  return query.user === undefined
    ? source.metadataWithin(query.fromMs, query.toMs)
    : source.metadataWithin(query.fromMs, query.toMs, query.user);
}

export function pairsByRecordingWithin(source: FuzzyCandidateSource, query: FuzzyQuery) {
  return query.user === undefined
    ? source.pairsByRecordingWithin(query.fromMs, query.toMs)
    : source.pairsByRecordingWithin(query.fromMs, query.toMs, query.user);
}

export function pairsByMetadataWithin(source: FuzzyCandidateSource, query: FuzzyQuery) {
  return query.user === undefined
    ? source.pairsByMetadataWithin(query.fromMs, query.toMs)
    : source.pairsByMetadataWithin(query.fromMs, query.toMs, query.user);
}

/**
 * The ranges of call times (within the window of a recording at `at`) of the records no
 * unpaired recording but this one is near: the gaps the others' windows leave. Times are whole
 * milliseconds, so a range ends a millisecond before the next window begins.
 */
async function onlyCandidateOf(
  recording: RecordingRecord,
  at: number,
  source: FuzzyCandidateSource,
): Promise<FuzzyQuery[]> {
  const [first, last] = [at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS];
  // Another unpaired recording on each side within the window covers it all (its window holds
  // that half): no gap, and no need to read every other one (the usual case).
  if (
    namesOther(await source.recordingNamesWithin(first, at, 2), recording.fileName) &&
    namesOther(await source.recordingNamesWithin(at, last, 2), recording.fileName)
  )
    return [];
  const others = await (source.recordingTimesWithin as NonNullable<typeof source.recordingTimesWithin>)(
    at - 2 * FUZZY_WINDOW_MS,
    at + 2 * FUZZY_WINDOW_MS,
    recording.fileName,
  );
  const gaps: FuzzyQuery[] = [];
  let from = first;
  for (const time of others) {
    if (time - FUZZY_WINDOW_MS - 1 >= from)
      gaps.push({ fromMs: from, toMs: Math.min(last, time - FUZZY_WINDOW_MS - 1) });
    from = Math.max(from, time + FUZZY_WINDOW_MS + 1);
    if (from > last) return gaps;
  }
  gaps.push({ fromMs: from, toMs: last });
  return gaps;
}

function namesOther(names: string[], fileName: string): boolean {
  for (const name of names) if (name !== fileName) return true;
  return false;
}

/** No unpaired recording but this one (whether it is in the set now or not) is near the record. */
async function onlyCandidate(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  source: FuzzyCandidateSource,
): Promise<boolean> {
  const at = metadataTimeMs(metadata);
  // Two names are enough to tell: none, this one alone, or another.
  const names = await source.recordingNamesWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS, 2);
  return names.every((name) => name === recording.fileName);
}
