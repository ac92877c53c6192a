// GET /v1/tenants/:tenant/calls[/:callId]
import type { FastifyPluginAsync } from 'fastify';
import { CALL_STATUSES, type CallStatus } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { oneOf, pageRequest } from '../query';
import { tenantOf, type TenantParams } from '../tenant-access';

export const callRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state'>> = async (calls, { state }) => {
  calls.get<{ Params: TenantParams; Querystring: { status?: string; limit?: string; cursor?: string } }>(
    '/calls',
    async (request) => {
      const status = oneOf<CallStatus>(request.query.status, CALL_STATUSES, 'status');
      return state.calls.list(tenantOf(request).id, {
        ...pageRequest(request.query),
        ...(status ? { status } : {}),
      });
    },
  );
  calls.get<{ Params: TenantParams & { callId: string } }>('/calls/:callId', async (request) => {
    const tenant = tenantOf(request);
    const call = await state.calls.get(tenant.id, request.params.callId);
    if (!call) throw new ApiError('not-found', `no call ${request.params.callId} for tenant ${tenant.id}`);
    return call;
  });
};
