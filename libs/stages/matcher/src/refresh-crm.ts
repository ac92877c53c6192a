// The `refresh-call-crm` job (late CRM resolution): an object the call waited for was stored by
// the CRM ingester, so the call's references and links without a record are resolved again and
// the call is written (version + 1) and emitted as updated when it is ready. Only nulls are
// filled: a change to an object the call already holds does not update it (README "Decisions").
import { PermanentJobError, type JobContext, type JobPayloads } from '@callintake/queues';
import { holdsObject, settleCrmLinks } from './crm-links';
import { emit, type MatchDeps } from './match-handler';

export async function handleRefreshCallCrm(
  deps: MatchDeps,
  payload: JobPayloads['refresh-call-crm'],
  context: JobContext,
): Promise<void> {
  const tenant = deps.tenant(payload.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${payload.tenantId}`);
  const arrived = { type: payload.objectType, id: payload.objectId };
  const call = await deps.state.calls.get(tenant.id, payload.callId);
  if (!call) {
    // Joined a recording's call meanwhile: that call waits under its own id.
    await deps.state.crmWaiting.release(tenant.id, payload.callId, [arrived]);
    return;
  }
  // Still registered: this arrival was not handled to the end (a run that stopped after writing
  // the call and before emitting emits now; the job ids make a second emit add nothing).
  const unfinished = await deps.state.crmWaiting.isWaiting(tenant.id, call.id, arrived);
  const settled = await settleCrmLinks(deps.state, tenant, call, { alreadyWaiting: true });
  const holdsArrived = holdsObject(settled.call.crm, arrived);
  if (settled.changed || (unfinished && holdsArrived)) await emit(deps, settled.call);
  // Taken off the index only once emitted, so a crash before this line runs the emit again.
  await deps.state.crmWaiting.release(
    tenant.id,
    call.id,
    holdsArrived ? [...settled.resolved, arrived] : settled.resolved,
  );
  context.logger.debug(
    {
      tenant: tenant.id,
      call: call.id,
      object: `${arrived.type}/${arrived.id}`,
      changed: settled.changed,
      version: settled.call.version,
    },
    settled.changed ? 'late CRM object resolved on call' : 'late CRM object changed nothing',
  );
}
