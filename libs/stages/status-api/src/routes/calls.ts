// GET /v1/tenants/:tenant/calls[/:callId]
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CALL_STATUSES } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { apiRoute } from '../openapi';
import { pageRequest } from '../query';
import { callSchema, pageOf, pageQuery, tenantParams } from '../schemas';
import { tenantOf } from '../tenant-access';

const callsQuery = pageQuery.extend({ status: z.enum(CALL_STATUSES).optional() });
const callParams = tenantParams.extend({ callId: z.string().describe('call id') });

const listCalls = apiRoute({
  method: 'GET',
  operationId: 'listCalls',
  tags: ['calls'],
  summary: 'calls, newest first',
  description: 'Newest call time first; status filters by call status.',
  auth: true,
  params: tenantParams,
  querystring: callsQuery,
  response: { description: 'a page of calls', schema: pageOf(callSchema) },
  errors: ['invalid-request', 'unauthorized', 'forbidden', 'unknown-tenant'],
});

const getCall = apiRoute({
  method: 'GET',
  operationId: 'getCall',
  tags: ['calls'],
  summary: 'one call',
  auth: true,
  params: callParams,
  response: { description: 'the call document', schema: callSchema },
  errors: ['unauthorized', 'forbidden', 'unknown-tenant', 'not-found'],
});

export const callRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state'>> = async (calls, { state }) => {
  calls.get<{ Params: z.output<typeof tenantParams>; Querystring: z.output<typeof callsQuery> }>(
    '/calls',
    listCalls,
    async (request) => {
      const { status } = request.query;
      return state.calls.list(tenantOf(request).id, {
        ...pageRequest(request.query),
        ...(status ? { status } : {}),
      });
    },
  );
  calls.get<{ Params: z.output<typeof callParams> }>('/calls/:callId', getCall, async (request) => {
    const tenant = tenantOf(request);
    const call = await state.calls.get(tenant.id, request.params.callId);
    if (!call) throw new ApiError('not-found', `no call ${request.params.callId} for tenant ${tenant.id}`);
    return call;
  });
};
