// A generated, labelled data set for fuzzy pairing: recordings and CRM-export metadata rows of
// the same calls, as a dialer and a CRM would report them, with what makes pairing hard (clock
// skew per rep, jitter, one rep's back-to-back calls, missing direction/duration/user, and
// calls only one side reports). Deterministic from a seed, so the quality test and the
// benchmark see the same calls every run, and nothing large is committed.
import { parseRecordingName } from '@callintake/naming';
import type { DirectoryUser, TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';

export interface FuzzyDatasetOptions {
  calls: number;
  seed: number;
  /** Reps placing calls; fewer reps means more back-to-back calls per rep. Default 60. */
  reps?: number;
  /** Share of calls with a recording and no metadata, and the reverse. Default 0.02 each. */
  orphanShare?: number;
}

export interface FuzzyDataset {
  /** The tenant's user directory: each rep's extension, email and employee id. */
  users: DirectoryUser[];
  recordings: RecordingRecord[];
  metadata: MetadataRecord[];
  /** metadata record id -> the recording of the same call (only calls with both). */
  truth: Map<string, string>;
  /** Every file in the order it reaches us: each one up to an hour after its call ended. */
  arrivals: Array<
    { kind: 'recording'; recording: RecordingRecord } | { kind: 'metadata'; metadata: MetadataRecord }
  >;
}

/** mulberry32: small, fast and good enough for test data; the same seed, the same numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRECTIONS = { inbound: 'inbound', outbound: 'outbound', in: 'inbound', out: 'outbound' };
const DAY_MS = 24 * 3600_000;
const FIRST_DAY = Date.parse('2024-03-04T00:00:00Z');
/** Reps work 08:00-17:00 UTC; a rep's next call starts after the day ends on the next day. */
const WORK_START_MS = 8 * 3600_000;
const WORK_END_MS = 17 * 3600_000;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function nameStamp(atMs: number): string {
  const d = new Date(atMs);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export function generateFuzzyDataset(tenantId: string, options: FuzzyDatasetOptions): FuzzyDataset {
  const random = seededRandom(options.seed);
  const between = (low: number, high: number) => low + random() * (high - low);
  const chance = (p: number) => random() < p;
  const repCount = options.reps ?? 60;
  const orphanShare = options.orphanShare ?? 0.02;

  const reps = Array.from({ length: repCount }, (_, index) => ({
    id: `rep-${index}`,
    extension: String(2000 + index),
    email: `rep${index}.agent@acme.test`,
    employeeId: `E${10_000 + index}`,
    // The clock that stamps this rep's recordings (a softphone's) is off by up to ±10 s.
    recorderSkewMs: between(-10_000, 10_000),
    nextStartMs: FIRST_DAY + WORK_START_MS + between(0, 30 * 60_000),
  }));
  // The CRM logs calls off by the same amount for everyone (its clock, or when it logs).
  const crmSkewMs = between(-20_000, 20_000);

  const dataset: FuzzyDataset = {
    users: reps.map((rep) => ({ id: rep.id, aliases: [rep.extension, rep.email, rep.employeeId] })),
    recordings: [],
    metadata: [],
    truth: new Map(),
    arrivals: [],
  };
  const timed: Array<{ atMs: number; arrival: FuzzyDataset['arrivals'][number] }> = [];

  for (let call = 0; call < options.calls; call++) {
    const rep = reps[call % repCount] as (typeof reps)[number];
    const startMs = rep.nextStartMs;
    // Log-uniform 15 s .. 25 min: many short calls, a few long ones.
    const durationSec = Math.round(15 * Math.exp(random() * Math.log(100)));
    const direction = chance(0.7) ? 'outbound' : 'inbound';
    const endMs = startMs + durationSec * 1000;
    // Back to back most of the time: the next dial within seconds.
    let next = endMs + (chance(0.7) ? between(5_000, 90_000) : between(120_000, 30 * 60_000));
    if (next % DAY_MS > WORK_END_MS)
      next = next - (next % DAY_MS) + DAY_MS + WORK_START_MS + between(0, 600_000);
    rep.nextStartMs = next;

    const orphan = random();
    const hasRecording = orphan >= orphanShare;
    const hasMetadata = orphan < orphanShare || orphan >= 2 * orphanShare;

    let fileName: string | undefined;
    if (hasRecording) {
      const stampMs = startMs + rep.recorderSkewMs + between(-3_000, 3_000);
      const dirSegment = chance(0.75) ? (direction === 'outbound' ? '_out' : '_in') : '';
      fileName = `${nameStamp(stampMs)}${dirSegment}_${rep.extension}.wav`;
      const name = parseRecordingName(fileName, { timezone: 'UTC', directions: DIRECTIONS });
      const probedDuration = chance(0.97) ? Math.max(1, durationSec + between(-1, 1)) : undefined;
      const recording: RecordingRecord = {
        tenantId,
        fileName,
        versionId: `v-${call}`,
        version: 1,
        facts: {
          container: 'wav',
          sizeBytes: durationSec * 16_000,
          probed: probedDuration !== undefined,
          ...(probedDuration !== undefined ? { durationSec: Math.round(probedDuration * 100) / 100 } : {}),
        },
        archiveUri: `file:///archive/${fileName}`,
        sha256: call.toString(16).padStart(64, '0'),
        name: {
          pattern: name.pattern,
          ...(name.timestamp ? { timestamp: name.timestamp } : {}),
          ...(name.direction ? { direction: name.direction } : {}),
          ...(name.uid ? { uid: name.uid } : {}),
        },
        warnings: [],
        capturedAt: new Date(endMs).toISOString(),
      };
      dataset.recordings.push(recording);
      timed.push({ atMs: endMs + between(0, 3600_000), arrival: { kind: 'recording', recording } });
    }
    if (hasMetadata) {
      const day = Math.floor(startMs / DAY_MS);
      const exportName = `crm-export-${new Date(day * DAY_MS).toISOString().slice(0, 10)}.csv`;
      const line = call + 2;
      const userChoice = random();
      const userId = userChoice < 0.6 ? rep.email : userChoice < 0.96 ? rep.employeeId : undefined;
      const canonical: MetadataRecord['canonical'] = {
        callTime: new Date(
          Math.round((startMs + crmSkewMs + between(-5_000, 5_000)) / 1000) * 1000,
        ).toISOString(),
        ...(userId ? { userId } : {}),
        ...(chance(0.8) ? { direction } : {}),
        ...(chance(0.65) ? { durationSec: Math.max(1, Math.round(durationSec + between(-2, 2))) } : {}),
      };
      const metadata: MetadataRecord = {
        tenantId,
        recordId: `${exportName}#${line}`,
        fileName: exportName,
        version: 1,
        line,
        fields: { ...canonical },
        canonical,
        sha256: line.toString(16).padStart(64, '0'),
        receivedAt: new Date(endMs).toISOString(),
      };
      dataset.metadata.push(metadata);
      if (fileName) dataset.truth.set(metadata.recordId, fileName);
      timed.push({ atMs: endMs + between(0, 3600_000), arrival: { kind: 'metadata', metadata } });
    }
  }
  dataset.arrivals = timed.sort((a, b) => a.atMs - b.atMs).map((entry) => entry.arrival);
  return dataset;
}

export interface PairingQuality {
  pairsMade: number;
  correctPairs: number;
  pairableTruth: number;
  /** correct pairs / pairs made (1 when none were made). */
  precision: number;
  /** correct pairs / calls that have both a recording and metadata. */
  recall: number;
}

export function pairingQuality(
  made: ReadonlyMap<string, string>,
  truth: ReadonlyMap<string, string>,
): PairingQuality {
  let correctPairs = 0;
  for (const [recordId, fileName] of made) if (truth.get(recordId) === fileName) correctPairs++;
  return {
    pairsMade: made.size,
    correctPairs,
    pairableTruth: truth.size,
    precision: made.size === 0 ? 1 : correctPairs / made.size,
    recall: truth.size === 0 ? 1 : correctPairs / truth.size,
  };
}

/** The tenant settings the data set assumes: names in UTC, timestamps mark the call's start. */
export function datasetTenant(base: TenantConfig, users: DirectoryUser[]): TenantConfig {
  return { ...base, timezone: 'UTC', filenameTime: 'start', directions: DIRECTIONS, users };
}
