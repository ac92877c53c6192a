// The `pair-by-hand` job: a person chose the pair (status API `POST …/calls/:callId/pair`), so
// this recording and this metadata record make one call whatever fuzzy pairing found. The status
// API checked the request when it was made; this checks it again under the matcher's locks,
// because pairing may have moved on since (a recording arrived, another pair took one side).
//
// Locks as every matcher job takes them: the metadata record's own lock first, then the
// recording's pairing lock. The pair is recorded as a fuzzy claim (the one HSETNX that makes a
// recording's fuzzy pair strict 1:1), so a redelivered match of either side finds and keeps it;
// its `details.by` makes that replay `manual` again (match-handler `claimedMethod`).
import { recordingPairingKey } from '@callintake/naming';
import { PermanentJobError, type JobContext, type JobPayloads } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import type { FuzzyPair } from '@callintake/state';
import { isRecordOf } from './build-call';
import { assemble, callIdFor, PAIRED_BY_HAND, type MatchDeps } from './match-handler';

export async function handlePairByHand(
  deps: MatchDeps,
  payload: JobPayloads['pair-by-hand'],
  context: JobContext,
): Promise<void> {
  const tenant = deps.tenant(payload.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${payload.tenantId}`);
  const { recordingFile, recordId } = payload;
  const captured = await deps.state.recordings.get(tenant.id, recordingFile);
  if (!captured) throw new PermanentJobError(`no captured recording ${recordingFile}`);
  await deps.state.lock(tenant.id, `fuzzy-metadata:${recordId}`, () =>
    deps.state.lock(tenant.id, `pair:${recordingPairingKey(captured)}`, async () => {
      const recording = (await deps.state.recordings.get(tenant.id, recordingFile)) ?? captured;
      const metadata = await deps.state.metadata.get(tenant.id, recordId);
      if (!metadata) throw new PermanentJobError(`no metadata record ${recordId}`);
      if (metadata.replacedBy)
        throw new PermanentJobError(`metadata ${recordId} was replaced by ${metadata.replacedBy}`);
      const id = callIdFor(recording, metadata);

      // 1:1, checked again now: neither side may be in a call with another partner.
      const recordingCall = await deps.state.calls.get(tenant.id, id);
      if (recordingCall?.metadata && !isRecordOf(recordingCall, metadata))
        throw new PermanentJobError(
          `recording ${recordingFile} is already paired with ${recordingCall.metadata.fileName}`,
        );
      const metadataCall =
        metadata.callId && metadata.callId !== id
          ? await deps.state.calls.get(tenant.id, metadata.callId)
          : null;
      if (metadataCall?.recording)
        throw new PermanentJobError(
          `metadata ${recordId} is already paired with ${metadataCall.recording.fileName}`,
        );
      const claimed = await deps.state.fuzzy.pairOf(tenant.id, recordingFile);
      if (claimed && claimed.recordId !== recordId)
        throw new PermanentJobError(`recording ${recordingFile} is claimed by metadata ${claimed.recordId}`);
      // Fuzzy pairing chose the same pair meanwhile: it stands as it is.
      if (claimed && claimed.details?.['by'] !== PAIRED_BY_HAND) return;

      // A redelivery keeps what the first run recorded; otherwise what fuzzy pairing had found.
      const pair: FuzzyPair = claimed ?? {
        recordId,
        score: 1,
        details: { by: PAIRED_BY_HAND, ...previousCandidates(metadataCall) },
      };
      if (!(await deps.state.fuzzy.claimPair(tenant.id, recordingFile, pair)))
        throw new PermanentJobError(`recording ${recordingFile} was claimed by other metadata meanwhile`);
      const wasUnpaired = await deps.state.fuzzy.takeUnpaired(tenant.id, recordingFile);
      await assemble(deps, tenant, recording, metadata, context, {
        method: 'manual',
        match: { score: pair.score, ...(pair.details ? { details: pair.details } : {}) },
        claimed: wasUnpaired,
      });
      context.logger.info(
        {
          tenant: tenant.id,
          call: id,
          requestedFor: payload.callId,
          recording: recordingFile,
          metadata: recordId,
        },
        'paired by hand',
      );
    }),
  );
}

/** The candidates (and rivals) an ambiguous call listed, kept on the pair a person chose. */
function previousCandidates(call: Call | null): Record<string, unknown> {
  const details = call?.status === 'ambiguous' ? call.match?.details : undefined;
  if (!details) return {};
  return Object.fromEntries(
    ['candidates', 'rivals'].filter((key) => details[key] !== undefined).map((key) => [key, details[key]]),
  );
}
