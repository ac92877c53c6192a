// `ingest validate`'s predicted pairing: which metadata record goes with which recording of the
// folder, by the keys the matcher uses (naming's recordingPairingKey and metadataPairingKey, the
// external id of a `<source>_<id>` name or of `externalCallId`/`ID.json`), or why none. Only the
// folder is known here: the service may also pair with files uploaded before or after, and
// fuzzy pairing (time, user, direction, duration scores) is left to it; its candidates are listed.
import {
  metadataPairingKey,
  pairingKey,
  recordingPairingKey,
  splitExtension,
  stemKey,
} from '@callintake/naming';
import type { MetadataRecord } from '@callintake/schemas';

/** What pairing needs of an accepted recording. */
export interface RecordingForPairing {
  file: string;
  /** From a `<source>_<id>.ext` name. */
  externalId?: string;
  /** The time its name gives (ISO 8601 UTC). */
  nameTime?: string;
}

export type PairMethod = 'name' | 'reference' | 'external-id';

export interface PredictedPair {
  /** The metadata file, or `file#line` for a row of a batch. */
  metadata: string;
  recording: string;
  method: PairMethod;
}

export interface UnpairedMetadata {
  metadata: string;
  why: string;
  /** Recordings of the folder near its callTime, left unpaired: the service scores them. */
  fuzzyCandidates?: string[];
}

export interface UnpairedRecording {
  recording: string;
  why: string;
}

export interface PairingPrediction {
  pairs: PredictedPair[];
  unpairedMetadata: UnpairedMetadata[];
  unpairedRecordings: UnpairedRecording[];
}

/**
 * The matcher's fuzzy window (libs/stages/matcher FUZZY_WINDOW_MS), repeated here so a dry run
 * loads no matcher code: only which candidates to list depends on it, never a verdict.
 */
export const FUZZY_CANDIDATE_WINDOW_MS = 5 * 60_000;

type MetadataPairing = Pick<MetadataRecord, 'recordId' | 'fileName' | 'line' | 'canonical'>;

/** Where the record waits for its recording, and by which method (the matcher's meetingStem). */
function meetingKey(record: MetadataPairing): { key: string; method: 'name' | 'reference' } | undefined {
  const ownName =
    record.line === undefined || record.recordId === record.fileName ? record.fileName : undefined;
  const key = metadataPairingKey(record.canonical.recordingFile, ownName);
  if (key === undefined) return undefined;
  const referenced = metadataPairingKey(record.canonical.recordingFile, undefined) !== undefined;
  const ownKey = record.line === undefined ? pairingKey(record.fileName) : undefined;
  return { key, method: !referenced || key === ownKey ? 'name' : 'reference' };
}

/** The external id a record claims (state's metadataExternalId): externalCallId, else `ID.json`. */
function externalIdOf(record: MetadataPairing): string | undefined {
  if (record.canonical.externalCallId) return record.canonical.externalCallId;
  if (record.line === undefined || record.recordId === record.fileName)
    return splitExtension(record.fileName).stem;
  return undefined;
}

function label(record: MetadataPairing): string {
  return record.line === undefined || record.recordId === record.fileName
    ? record.fileName
    : `${record.fileName}#${record.line}`;
}

export function predictPairing(
  recordings: readonly RecordingForPairing[],
  records: readonly MetadataPairing[],
  options: { metadataOnly: boolean },
): PairingPrediction {
  const byKey = new Map<string, RecordingForPairing>();
  const byExternalId = new Map<string, RecordingForPairing>();
  for (const recording of recordings) {
    const key = recordingPairingKey({ fileName: recording.file });
    if (!byKey.has(key)) byKey.set(key, recording);
    if (recording.externalId) {
      const id = stemKey(recording.externalId);
      if (!byExternalId.has(id)) byExternalId.set(id, recording);
    }
  }
  const pairedWith = new Map<string, string>();
  const pairs: PredictedPair[] = [];
  const pair = (record: MetadataPairing, recording: RecordingForPairing, method: PairMethod) => {
    pairedWith.set(recording.file, label(record));
    pairs.push({ metadata: label(record), recording: recording.file, method });
  };

  // Name and reference first (a shared key), then external ids: the matcher's order.
  const waiting: MetadataPairing[] = [];
  for (const record of records) {
    const meeting = meetingKey(record);
    const recording = meeting ? byKey.get(meeting.key) : undefined;
    if (meeting && recording && !pairedWith.has(recording.file)) pair(record, recording, meeting.method);
    else waiting.push(record);
  }
  const unpaired: MetadataPairing[] = [];
  for (const record of waiting) {
    const id = externalIdOf(record);
    const recording = id === undefined ? undefined : byExternalId.get(stemKey(id));
    if (recording && !pairedWith.has(recording.file)) pair(record, recording, 'external-id');
    else unpaired.push(record);
  }

  const left = recordings.filter((recording) => !pairedWith.has(recording.file));
  const waitsAs = options.metadataOnly
    ? 'it makes a ready call alone (metadata-only tenant)'
    : 'it waits as awaiting_recording';
  const unpairedMetadata = unpaired.map((record): UnpairedMetadata => {
    const reasons: string[] = [];
    const meeting = meetingKey(record);
    if (meeting) {
      const holder = byKey.get(meeting.key);
      if (holder)
        reasons.push(`${holder.file} pairs with ${pairedWith.get(holder.file)} first (pairing is 1:1)`);
      else if (meeting.method === 'reference')
        reasons.push(
          `recordingFile "${record.canonical.recordingFile}": no recording by that name in this folder`,
        );
      else reasons.push(`no recording named ${meeting.key}.<media> in this folder`);
    }
    const id = externalIdOf(record);
    if (id !== undefined && id !== '' && (!meeting || stemKey(id) !== meeting.key)) {
      const holder = byExternalId.get(stemKey(id));
      reasons.push(
        holder
          ? `${holder.file} (external id ${id}) pairs with ${pairedWith.get(holder.file)} first`
          : `no recording with external id ${id} (<source>_${id}.<media>) in this folder`,
      );
    }
    if (!meeting && id === undefined)
      reasons.push('it names no recording (no recordingFile, external id or own name)');
    const candidates = fuzzyCandidates(record.canonical.callTime, left);
    const fuzzy = candidates.length
      ? `fuzzy: decided by the service among ${candidates.join(', ')}`
      : record.canonical.callTime
        ? 'no recording of this folder within 5 minutes of its callTime for fuzzy pairing'
        : 'no callTime for fuzzy pairing';
    return {
      metadata: label(record),
      why: `${reasons.join('; ')}; ${fuzzy}; otherwise ${waitsAs}`,
      ...(candidates.length ? { fuzzyCandidates: candidates } : {}),
    };
  });
  const unpairedRecordings = left.map((recording): UnpairedRecording => ({
    recording: recording.file,
    why: 'no metadata in this folder names it; it waits as awaiting_metadata until metadata arrives',
  }));
  const byMetadata = (a: PredictedPair, b: PredictedPair) =>
    a.metadata < b.metadata ? -1 : a.metadata > b.metadata ? 1 : 0;
  return { pairs: pairs.sort(byMetadata), unpairedMetadata, unpairedRecordings };
}

/** Unpaired recordings whose name puts them within the fuzzy window of `callTime`. */
function fuzzyCandidates(callTime: string | undefined, recordings: readonly RecordingForPairing[]): string[] {
  if (!callTime) return [];
  const at = Date.parse(callTime);
  if (Number.isNaN(at)) return [];
  return recordings
    .filter(
      (r) => r.nameTime !== undefined && Math.abs(Date.parse(r.nameTime) - at) <= FUZZY_CANDIDATE_WINDOW_MS,
    )
    .map((r) => r.file);
}
