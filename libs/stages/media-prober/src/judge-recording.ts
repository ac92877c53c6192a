// What the media prober decides about a recording from its bytes and name, without state: the
// probe (a RejectionError for media it cannot take) and the name's warnings. The probe handler
// and `ingest validate` both judge with this.
import { probeMedia, withTimeLimit, type RangeReader } from '@callintake/media';
import {
  parseRecordingName,
  recordingNameWarning,
  splitExtension,
  type ParsedRecordingName,
} from '@callintake/naming';
import type { MediaFacts, Reason, TenantConfig } from '@callintake/schemas';

/**
 * A probe reads a few hundred KiB at most; one still running after this is stuck on a slow
 * or stalled source, so the job fails and retries rather than holding a worker slot forever.
 */
export const PROBE_TIME_LIMIT_MS = 30_000;

export interface RecordingJudgement {
  facts: MediaFacts;
  name: ParsedRecordingName;
  /** Taken, but worth telling the customer (a name we cannot read a time or id from). */
  warnings: Reason[];
}

/**
 * Probes `media` (bounded reads) and reads `fileName` as the tenant names recordings. Throws
 * RejectionError for a recording the service rejects; any other error is a passing fault (a
 * stalled source after `timeLimitMs`), which the service retries.
 */
export async function judgeRecording(
  media: RangeReader,
  fileName: string,
  tenant: Pick<TenantConfig, 'timezone' | 'directions'>,
  timeLimitMs: number = PROBE_TIME_LIMIT_MS,
): Promise<RecordingJudgement> {
  const { extension } = splitExtension(fileName);
  const facts = await withTimeLimit(probeMedia(media, { extension }), timeLimitMs, `probe of ${fileName}`);
  const name = parseRecordingName(fileName, { timezone: tenant.timezone, directions: tenant.directions });
  const warnings: Reason[] = [];
  const nameWarning = recordingNameWarning(name);
  if (nameWarning) warnings.push(nameWarning);
  return { facts, name, warnings };
}
