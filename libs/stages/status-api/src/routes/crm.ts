// GET /v1/tenants/:tenant/crm/:objectType/:id
import type { FastifyPluginAsync } from 'fastify';
import { CRM_OBJECT_TYPES, type CrmObjectType } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { oneOf } from '../query';
import { tenantOf, type TenantParams } from '../tenant-access';

export const crmRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state'>> = async (crm, { state }) => {
  crm.get<{ Params: TenantParams & { objectType: string; id: string } }>(
    '/crm/:objectType/:id',
    async (request) => {
      const tenant = tenantOf(request);
      // A path parameter is always present, so oneOf never answers undefined here.
      const type = oneOf<CrmObjectType>(
        request.params.objectType,
        CRM_OBJECT_TYPES,
        'objectType',
      ) as CrmObjectType;
      const record = await state.crm.get(tenant.id, type, request.params.id);
      if (!record) throw new ApiError('not-found', `no ${type} ${request.params.id} for tenant ${tenant.id}`);
      return { type, id: request.params.id, record };
    },
  );
};
