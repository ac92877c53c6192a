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
  return metadata.canonical.callTime ? Date.parse(metadata.canonical.callTime) : Number.NaN;
}

/** The recording's call time (start) in ms, or NaN when its name carries none. */
export function recordingTimeMs(recording: RecordingRecord, tenant: TenantConfig): number {
  const callTime = callTimeFromRecording(recording, tenant);
  return callTime ? Date.parse(callTime) : Number.NaN;
}

export function scoreCandidate(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  tenant: TenantConfig,
): FuzzyCandidate | undefined {
  const metaTime = metadataTimeMs(metadata);
  const recordingTime = recordingTimeMs(recording, tenant);
  if (Number.isNaN(metaTime) || Number.isNaN(recordingTime)) return undefined;
  const distance = Math.abs(recordingTime - metaTime);
  if (distance > FUZZY_WINDOW_MS) return undefined;
  const time = timeScore(distance);
  const user = sameUser(recording.name.uid, metadata.canonical.userId, tenant);
  const direction = compare(
    recording.name.direction?.toLowerCase(),
    metadata.canonical.direction?.toLowerCase(),
  );
  const duration = durationScore(recording.facts.durationSec, metadata.canonical.durationSec);
  const score =
    WEIGHTS.time * time + WEIGHTS.user * user + WEIGHTS.direction * direction + WEIGHTS.duration * duration;
  return {
    recording: recording.fileName,
    score: round(score),
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

/** The winner when one scores above the threshold and clearly ahead of the runner-up. */
export function decideFuzzy(candidates: FuzzyCandidate[]): {
  winner?: FuzzyCandidate;
  ranked: FuzzyCandidate[];
} {
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.recording.localeCompare(b.recording));
  const [best, runnerUp] = ranked;
  if (best && best.score >= FUZZY_THRESHOLD && (!runnerUp || best.score - runnerUp.score >= FUZZY_MARGIN))
    return { winner: best, ranked };
  return { ranked };
}

/**
 * Whether another metadata record contests the winner: it scores within the margin of (or
 * above) the winner's score for the same recording. Neither may take the recording while the
 * other is a candidate for it, whichever came first. (Whether the rival has something better
 * elsewhere is deliberately not asked: that answer changes as other pairs are made, and would
 * make the result depend on the order pairs are made in. A rival that pairs elsewhere stops
 * contesting, and the record is judged again.)
 */
export function contests(winnerScore: number, rivalScore: number): boolean {
  return rivalScore > winnerScore - FUZZY_MARGIN;
}

/**
 * Where fuzzy candidates come from: the unpaired recordings and the waiting fuzzy-eligible
 * metadata of one tenant, each by call time, and the fuzzy pairs standing (which a later file
 * may undo, so they stay in the pool). Redis sorted sets in the matcher, sorted arrays in
 * memory elsewhere.
 */
export interface FuzzyCandidateSource {
  recordingsWithin(fromMs: number, toMs: number): Promise<RecordingRecord[]>;
  metadataWithin(fromMs: number, toMs: number): Promise<MetadataRecord[]>;
  /** Names of the unpaired recordings (no records read): whether a record has candidates. */
  recordingNamesWithin(fromMs: number, toMs: number): Promise<string[]>;
  /** Standing fuzzy pairs whose recording's call time is in the range. */
  pairsByRecordingWithin(fromMs: number, toMs: number): Promise<StandingPair[]>;
  /** Standing fuzzy pairs whose metadata record's call time is in the range. */
  pairsByMetadataWithin(fromMs: number, toMs: number): Promise<StandingPair[]>;
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
  for (const metadata of await source.metadataWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS)) {
    const result = score(metadata, recording, tenant);
    if (!result) continue;
    if (result.score >= minScore || (flips && (await onlyCandidate(metadata, recording, source))))
      scored.push({ metadata, score: result.score });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.metadata.recordId.localeCompare(b.metadata.recordId))
    .map((entry) => entry.metadata);
}

/** No unpaired recording but this one (whether it is in the set now or not) is near the record. */
async function onlyCandidate(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  source: FuzzyCandidateSource,
): Promise<boolean> {
  const at = metadataTimeMs(metadata);
  const names = await source.recordingNamesWithin(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS);
  return names.every((name) => name === recording.fileName);
}
