// GET /v1/tenants/:tenant/crm/:objectType/:id
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CRM_OBJECT_TYPES } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { apiRoute } from '../openapi';
import { crmObjectSchema, tenantParams } from '../schemas';
import { tenantOf } from '../tenant-access';

const crmParams = tenantParams.extend({
  objectType: z.enum(CRM_OBJECT_TYPES),
  id: z.string().describe("the object's id in the CRM"),
});

const getCrmObject = apiRoute({
  method: 'GET',
  operationId: 'getCrmObject',
  tags: ['crm'],
  summary: 'one CRM object',
  auth: true,
  params: crmParams,
  response: { description: 'the object and its stored record', schema: crmObjectSchema },
  errors: ['invalid-request', 'unauthorized', 'forbidden', 'unknown-tenant', 'not-found'],
});

export const crmRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state'>> = async (crm, { state }) => {
  crm.get<{ Params: z.output<typeof crmParams> }>('/crm/:objectType/:id', getCrmObject, async (request) => {
    const tenant = tenantOf(request);
    const { objectType: type, id } = request.params;
    const record = await state.crm.get(tenant.id, type, id);
    if (!record) throw new ApiError('not-found', `no ${type} ${id} for tenant ${tenant.id}`);
    return { type, id, record };
  });
};
