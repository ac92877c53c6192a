// The /v1/tenants/:tenant context: one guard for every route registered in it. Route groups are
// children of this context, so a route added to any of them (or a new group registered here) is
// guarded without opting in, and nothing outside the context is.
import type { FastifyPluginAsync } from 'fastify';
import type { StatusApiDeps } from '../deps';
import { guardTenantRoutes } from '../tenant-access';
import { callPairingRoutes } from './call-pairing';
import { callRoutes } from './calls';
import { crmRoutes } from './crm';
import { fileRoutes } from './files';
import { recordingRoutes } from './recordings';

export const TENANT_PREFIX = '/v1/tenants/:tenant';

export const tenantRoutes: FastifyPluginAsync<Omit<StatusApiDeps, 'logger'>> = async (tenant, deps) => {
  guardTenantRoutes(tenant, deps.tokens, deps.tenants);
  await tenant.register(callRoutes, { state: deps.state });
  await tenant.register(callPairingRoutes, { state: deps.state, producer: deps.producer });
  await tenant.register(fileRoutes, { state: deps.state, producer: deps.producer });
  await tenant.register(crmRoutes, { state: deps.state });
  await tenant.register(recordingRoutes, { state: deps.state, producer: deps.producer });
};
