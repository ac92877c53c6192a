// Assembles the public call document from what was captured. Pure, so the rules for status,
// call time and field precedence are tested without Redis.
import type {
  Call,
  CallSource,
  CallStatus,
  CrmLink,
  CrmReferenceField,
  MatchMethod,
  Reason,
  TenantConfig,
} from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import { speakersPart } from './speakers';

export interface CallParts {
  id: string;
  tenant: TenantConfig;
  recording: RecordingRecord | null;
  metadata: MetadataRecord | null;
  crm: Partial<Record<CrmReferenceField, CrmLink>>;
  method?: MatchMethod;
  /** How well a fuzzy pair matched (else 1), and why; with `ambiguous`, the candidates found. */
  match?: { score: number; details?: Record<string, unknown> };
  /** Fuzzy pairing found candidates but no clear winner: the metadata waits as `ambiguous`. */
  ambiguous?: boolean;
  /** Why a waiting call waits, when the file that would complete it was rejected. */
  statusReason?: Reason | undefined;
  /** The metadata record `metadata` replaced (another file for the same call), for the lineage. */
  replaced?: MetadataRecord | null;
  now: Date;
}

export function statusOf(parts: Pick<CallParts, 'recording' | 'metadata' | 'tenant'>): CallStatus {
  if (parts.recording && parts.metadata) return 'ready';
  if (parts.recording) return 'awaiting_metadata';
  return parts.tenant.metadata.metadataOnly ? 'ready' : 'awaiting_recording';
}

/** Whether the call's metadata is this record (its file, and its line in a batch). */
export function isRecordOf(call: Call | null | undefined, metadata: MetadataRecord): boolean {
  return call?.metadata?.fileName === metadata.fileName && call.metadata.line === metadata.line;
}

/** The name's timestamp is the call's start or end (tenant setting); we store the start. */
export function callTimeFromRecording(recording: RecordingRecord, tenant: TenantConfig): string | undefined {
  const stamp = recording.name.timestamp;
  if (!stamp) return undefined;
  if (tenant.filenameTime === 'start' || recording.facts.durationSec === undefined) return stamp;
  return new Date(Date.parse(stamp) - Math.round(recording.facts.durationSec * 1000)).toISOString();
}

/**
 * The metadata's own call time wins; one it only took from its file name (the same timestamp as
 * the recording's name) gives way to the recording's, which for an end-of-call name is measured
 * back by the probed duration.
 */
export function callTimeOf(
  recording: RecordingRecord | null,
  metadata: MetadataRecord | null,
  tenant: TenantConfig,
): string | undefined {
  const fromRecording = recording ? callTimeFromRecording(recording, tenant) : undefined;
  if (metadata?.callTimeFromName && fromRecording) return fromRecording;
  return metadata?.canonical.callTime ?? fromRecording;
}

/** Returns the next call document, or undefined when nothing material changed. */
export function buildCall(existing: Call | null, parts: CallParts): Call | undefined {
  const { recording, metadata, tenant } = parts;
  const status = parts.ambiguous && !recording ? 'ambiguous' : statusOf(parts);
  const callTime = callTimeOf(recording, metadata, tenant);
  const userId = metadata?.canonical.userId ?? recording?.name.uid;
  const direction = metadata?.canonical.direction ?? recording?.name.direction;
  const body: Omit<Call, 'version' | 'createdAt' | 'updatedAt' | 'readyAt' | 'readyVersion'> = {
    id: parts.id,
    tenantId: tenant.id,
    status,
    ...(callTime ? { callTime } : {}),
    ...(userId ? { userId } : {}),
    ...(direction ? { direction } : {}),
    ...(recording
      ? { recording: { fileName: recording.fileName, ...recording.facts, archiveUri: recording.archiveUri } }
      : {}),
    ...speakersPart(recording, metadata, tenant),
    ...(metadata
      ? {
          metadata: {
            fileName: metadata.fileName,
            version: metadata.version,
            ...(metadata.line !== undefined ? { line: metadata.line } : {}),
            fields: metadata.fields,
          },
        }
      : {}),
    crm: parts.crm,
    ...(recording && metadata && parts.method
      ? { match: { method: parts.method, score: parts.match?.score ?? 1, ...detailsOf(parts) } }
      : {}),
    ...(status === 'ambiguous' && parts.match
      ? { match: { method: 'fuzzy' as const, score: parts.match.score, ...detailsOf(parts) } }
      : {}),
    warnings: recording?.warnings ?? [],
    ...(status !== 'ready' && parts.statusReason ? { statusReason: parts.statusReason } : {}),
    lineage: lineageOf(existing, parts),
  };
  if (existing && sameBody(existing, body)) return undefined;
  const now = parts.now.toISOString();
  const version = existing ? existing.version + 1 : 1;
  const becameReady = status === 'ready' && !existing?.readyAt;
  return {
    ...body,
    version,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    ...(existing?.readyAt
      ? { readyAt: existing.readyAt, readyVersion: existing.readyVersion ?? version }
      : {}),
    ...(becameReady ? { readyAt: now, readyVersion: version } : {}),
  };
}

/**
 * Every source the call ever had, oldest first: what it had before (no longer current unless it
 * still is), the metadata just replaced, then its current recording and metadata.
 */
function lineageOf(existing: Call | null, parts: CallParts): CallSource[] {
  const lineage = (existing?.lineage ?? []).map((source) => ({ ...source, current: false }));
  const add = (source: CallSource) => {
    const same = lineage.find(
      (known) =>
        known.kind === source.kind &&
        known.fileName === source.fileName &&
        known.line === source.line &&
        known.version === source.version,
    );
    if (same) same.current = same.current || source.current;
    else lineage.push(source);
  };
  const { recording, metadata, replaced } = parts;
  if (replaced) add(metadataSource(replaced, false));
  if (recording)
    add({
      kind: 'recording',
      fileName: recording.fileName,
      version: recording.version,
      ...(recording.seenAt ? { receivedAt: recording.seenAt } : {}),
      current: true,
    });
  if (metadata) add(metadataSource(metadata, true));
  return lineage;
}

function metadataSource(record: MetadataRecord, current: boolean): CallSource {
  return {
    kind: 'metadata',
    fileName: record.fileName,
    ...(record.line !== undefined ? { line: record.line } : {}),
    version: record.version,
    receivedAt: record.receivedAt,
    current,
  };
}

function detailsOf(parts: CallParts): { details?: Record<string, unknown> } {
  return parts.match?.details ? { details: parts.match.details } : {};
}

function sameBody(existing: Call, body: object): boolean {
  const { version: _v, createdAt: _c, updatedAt: _u, readyAt: _r, readyVersion: _rv, ...rest } = existing;
  return stableJson(rest) === stableJson(body);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
