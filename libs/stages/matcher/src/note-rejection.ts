// The `note-rejection` job: a recording or metadata file was rejected, so the call that waits for
// it would wait silently. The reason is kept on the file's pairing key (where any later assembly
// of that call finds it) and the waiting call says it now in its `statusReason`.
import { pairingKey, recordingPairingKey } from '@callintake/naming';
import { PermanentJobError, type JobContext, type JobPayloads } from '@callintake/queues';
import type { Call, Reason } from '@callintake/schemas';
import type { MatchDeps } from './match-handler';

export async function handleNoteRejection(
  deps: MatchDeps,
  payload: JobPayloads['note-rejection'],
  context: JobContext,
): Promise<void> {
  const tenant = deps.tenant(payload.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${payload.tenantId}`);
  const stem =
    payload.kind === 'recording'
      ? recordingPairingKey({ fileName: payload.fileName })
      : pairingKey(payload.fileName);
  const reason = waitingReason(payload.fileName, payload.reason);
  await deps.state.lock(tenant.id, `pair:${stem}`, async () => {
    await deps.state.names.noteRejected(tenant.id, stem, payload.kind, reason);
    const entry = await deps.state.names.lookup(tenant.id, stem);
    // The other side, waiting in a call of its own.
    const callId =
      payload.kind === 'recording'
        ? entry.metadata && (await deps.state.metadata.get(tenant.id, entry.metadata))?.callId
        : entry.recording && (await deps.state.recordings.get(tenant.id, entry.recording))?.callId;
    if (!callId) return;
    const { changed } = await deps.state.calls.mutate(tenant.id, callId, (call) =>
      call && waitsFor(call, payload.kind)
        ? withStatusReason(call, reason, deps.state.clock.now())
        : undefined,
    );
    if (changed) context.logger.debug({ tenant: tenant.id, call: callId }, 'call says why it waits');
  });
}

/** The reason a waiting call gives: the rejected file's own, naming the file. */
export function waitingReason(fileName: string, reason: Reason): Reason {
  return { ...reason, message: `${fileName} was rejected: ${reason.message}`, file: fileName };
}

function waitsFor(call: Call, kind: 'recording' | 'metadata'): boolean {
  return kind === 'recording' ? call.status === 'awaiting_recording' : call.status === 'awaiting_metadata';
}

function withStatusReason(call: Call, reason: Reason, now: Date): Call | undefined {
  if (JSON.stringify(call.statusReason) === JSON.stringify(reason)) return undefined;
  return { ...call, statusReason: reason, version: call.version + 1, updatedAt: now.toISOString() };
}
