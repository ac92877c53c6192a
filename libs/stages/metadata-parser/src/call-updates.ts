// One identity per call for updates (SPEC "Updates", issue 14): whatever file or batch row carries
// a call's metadata, a later source for the same call is an update of that call. It is applied
// within the tenant's window after the call's time, measured to the upload time of the new
// file, and refused `update-window-closed` after it; an update from another file than the
// call's current metadata is flagged `metadata-replaced`, naming the file it replaced.
//
// "The same call" is what the matcher would pair the record with by a key: its pairing key (the
// recording it names, or its own name) or its external id. The record holding that key now is
// the call's current metadata. Fuzzy pairs have no key, so a look-alike is never an update.
import { RejectionError, type Call, type Reason } from '@callintake/schemas';
import { stemKey } from '@callintake/naming';
import { metadataExternalId, type MetadataRecord, type StateStore } from '@callintake/state';
import type { AssetWork } from '@callintake/asset-lifecycle';
import type { StoredRecord } from './judge-metadata';

/** What became of one record: stored as is, or refused with a reason (batch: by its line). */
export type UpdateVerdict = { refused?: Reason };

/**
 * Judges a chunk of records (one, for a single-record file) against the calls they would join,
 * in order: a later row of the same chunk for the same call replaces an earlier one. Records
 * that update a call are linked to it (`callId`, `replaces`); warnings are appended.
 */
export async function judgeCallUpdates(
  state: StateStore,
  work: AssetWork,
  records: StoredRecord[],
  warnings: Reason[],
): Promise<UpdateVerdict[]> {
  const tenantId = work.tenant.id;
  const { stored: previous, holders } = await state.metadata.storedAndHoldersOf(tenantId, records);
  // Holders among records already stored (read once), and those of this chunk so far.
  const stored = new Map<string, MetadataRecord>();
  const holderIds = new Set<string>();
  records.forEach(({ record }, index) => {
    for (const id of [holders[index]?.byName, holders[index]?.byExternalId])
      if (id && id !== record.recordId) holderIds.add(id);
  });
  const ids = [...holderIds];
  (await state.metadata.getMany(tenantId, ids)).forEach((record, index) => {
    if (record) stored.set(ids[index] as string, record);
  });
  // The calls those records are in, for their call times: one read for the chunk.
  const callIds = [
    ...new Set(
      [...previous, ...stored.values()]
        .map((record) => record?.callId)
        .filter((id): id is string => id !== undefined),
    ),
  ];
  const calls = new Map<string, Call>();
  (await state.calls.getMany(tenantId, callIds)).forEach((call, index) => {
    if (call) calls.set(callIds[index] as string, call);
  });
  const inChunk = new Map<string, MetadataRecord>();
  const verdicts: UpdateVerdict[] = [];
  for (const [index, entry] of records.entries()) {
    const { record } = entry;
    const earlier = previous[index] ?? null;
    const keys = chunkKeys(entry);
    const holder =
      keys.map((key) => inChunk.get(key)).find((other) => other && other.recordId !== record.recordId) ??
      [holders[index]?.byName, holders[index]?.byExternalId]
        .map((id) => (id && id !== record.recordId ? stored.get(id) : undefined))
        .find((other) => other !== undefined);
    const verdict = judgeOne(work, calls, record, earlier, holder ?? null, warnings);
    verdicts.push(verdict);
    if (!verdict.refused) for (const key of keys) inChunk.set(key, record);
  }
  return verdicts;
}

/** The keys by which two records of one chunk are for the same call. */
function chunkKeys({ record, pairingStem }: StoredRecord): string[] {
  const keys: string[] = [];
  if (pairingStem) keys.push(`name:${pairingStem}`);
  // As the state's index folds them (metadataExternalId, stemKey).
  const externalId = metadataExternalId(record);
  if (externalId) keys.push(`id:${stemKey(externalId)}`);
  return keys;
}

function judgeOne(
  work: AssetWork,
  calls: Map<string, Call>,
  record: MetadataRecord,
  earlier: MetadataRecord | null,
  holder: MetadataRecord | null,
  warnings: Reason[],
): UpdateVerdict {
  // A redelivery of this very version: it was judged before; keep what it was linked to.
  if (earlier && earlier.version >= record.version) {
    keepLinks(record, earlier);
    if (earlier.replaces) warnings.push(replacedWarning(record, earlier.replaces, earlier.callId));
    return {};
  }
  // Another record holding one of its keys is the call's metadata now (it may even have
  // replaced an earlier version of this very file); else an earlier version of this record is.
  const current = holder ?? earlier;
  if (!current) return {};
  const callId = current.callId;
  const call = callId ? calls.get(callId) : undefined;
  const callTime = call?.callTime ?? current.canonical.callTime ?? record.canonical.callTime;
  const windowHours = work.tenant.metadata.updateWindowHours;
  if (callTime && Date.parse(work.version.seenAt) - Date.parse(callTime) > windowHours * 3600_000) {
    const stands =
      current === earlier ? `version ${current.version} stands` : `${sourceName(current)} stands`;
    return {
      refused: {
        code: 'update-window-closed',
        message:
          `metadata for call ${callId ?? sourceName(current)} is accepted up to ${windowHours} hours ` +
          `after its call time (${callTime}); this file was uploaded at ${work.version.seenAt}; ${stands}`,
        ...(current === earlier ? {} : { file: current.fileName }),
        ...(record.line !== undefined ? { line: record.line } : {}),
      },
    };
  }
  if (current === earlier) {
    keepLinks(record, earlier);
    return {};
  }
  // A second source for the call: it replaces the current one and stays linked to the call.
  record.replaces = current.recordId;
  if (callId !== undefined) record.callId = callId;
  warnings.push(replacedWarning(record, current.recordId, callId));
  return {};
}

/**
 * A new version stays linked to the call the earlier one is in (the matcher sets the link): the
 * matcher then updates that call (a fuzzy pair is kept), or, when the new version pairs
 * elsewhere, takes it out of the call the earlier version was in.
 */
function keepLinks(record: MetadataRecord, earlier: MetadataRecord): void {
  if (earlier.callId !== undefined) record.callId = earlier.callId;
  if (earlier.replaces !== undefined && record.replaces === undefined) record.replaces = earlier.replaces;
}

function replacedWarning(record: MetadataRecord, replaced: string, callId: string | undefined): Reason {
  const [file, line] = splitRecordId(replaced);
  const what = line === undefined ? file : `${file} line ${line}`;
  return {
    code: 'metadata-replaced',
    message: `replaces ${what} as the metadata of call ${callId ?? '(not assembled yet)'}`,
    file,
    ...(record.line !== undefined ? { line: record.line } : {}),
  };
}

function sourceName(record: MetadataRecord): string {
  return record.line !== undefined && record.recordId !== record.fileName
    ? `${record.fileName} line ${record.line}`
    : record.fileName;
}

/** `<file>#<line>` for a batch row, else the file name. */
function splitRecordId(recordId: string): [string, number | undefined] {
  const match = /^(.*)#(\d+)$/.exec(recordId);
  return match ? [match[1] as string, Number(match[2])] : [recordId, undefined];
}

/** For a single-record file: a refusal rejects the whole file. */
export function throwIfRefused(verdict: UpdateVerdict | undefined): void {
  if (verdict?.refused) {
    const { line: _line, ...reason } = verdict.refused;
    throw new RejectionError(reason);
  }
}
