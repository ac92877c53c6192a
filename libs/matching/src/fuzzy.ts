// Fuzzy pairing (SPEC "Pairing" 4): metadata that shares no key with any recording looks at the
// tenant's unpaired recordings near its call time and scores each. Pure, so the rules are
// tested without Redis.
import { parseRecordingName } from '@callintake/naming';
import type { TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import { callTimeFromRecording } from './build-call';

/** Candidates are recordings whose call time is this close to the metadata's. */
export const FUZZY_WINDOW_MS = 10 * 60_000;
/** A winner scores at least this... */
export const FUZZY_THRESHOLD = 0.7;
/** ...and this much more than the runner-up. */
export const FUZZY_MARGIN = 0.15;

const WEIGHTS = { time: 0.4, user: 0.3, direction: 0.15, duration: 0.15 } as const;
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

export function scoreCandidate(
  metadata: MetadataRecord,
  recording: RecordingRecord,
  tenant: TenantConfig,
): FuzzyCandidate | undefined {
  const metaTime = metadata.canonical.callTime ? Date.parse(metadata.canonical.callTime) : NaN;
  const recordingTime = callTimeFromRecording(recording, tenant);
  if (Number.isNaN(metaTime) || !recordingTime) return undefined;
  const distance = Math.abs(Date.parse(recordingTime) - metaTime);
  if (distance > FUZZY_WINDOW_MS) return undefined;
  const time = 1 - distance / FUZZY_WINDOW_MS;
  const user = sameUser(recording.name.uid, metadata.canonical.userId);
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

/** uid `jdoe` is user `jdoe` or `jdoe@example.com` (case-insensitive). */
function sameUser(uid: string | undefined, userId: string | undefined): number {
  if (!uid || !userId) return UNKNOWN;
  const a = uid.toLowerCase();
  const b = userId.toLowerCase();
  return a === b || b.split('@')[0] === a ? 1 : 0;
}

function compare(a: string | undefined, b: string | undefined): number {
  if (!a || !b) return UNKNOWN;
  return a === b ? 1 : 0;
}

function durationScore(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return UNKNOWN;
  return Math.max(0, 1 - Math.abs(a - b) / Math.max(a, b, 1));
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
