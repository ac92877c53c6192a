// Who may read a tenant: the onRequest hook of the /v1/tenants/:tenant context, and how its
// handlers get the tenant the hook resolved, so no handler repeats (or forgets) the check.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopeAllows, type TokenScope } from '@callintake/config';
import type { TenantConfig } from '@callintake/schemas';
import { bearerScope } from './auth';
import { ApiError } from './errors';

export interface TenantParams {
  tenant: string;
}

const TENANT = 'tenant';

/**
 * Guards every route of `context`, and only those (fastify encapsulation). Runs onRequest, before
 * the body is parsed, in the order the API promises: 401 without a valid token, then 403 for a
 * tenant outside its scope (whether or not the tenant exists), then 404 for an unknown tenant.
 */
export function guardTenantRoutes(
  context: FastifyInstance,
  tokens: ReadonlyMap<string, TokenScope>,
  tenants: ReadonlyMap<string, TenantConfig>,
): void {
  context.decorateRequest(TENANT, null);
  context.addHook<{ Params: TenantParams }>('onRequest', async (request) => {
    const scope = bearerScope(request, tokens);
    const tenantId = request.params.tenant;
    if (!scopeAllows(scope, tenantId))
      throw new ApiError('forbidden', `this token may not read tenant ${tenantId}`);
    const tenant = tenants.get(tenantId);
    if (!tenant) throw new ApiError('unknown-tenant', `no tenant ${tenantId}`);
    request.setDecorator(TENANT, tenant);
  });
}

/** Throws (fastify's undeclared-decorator error) when called from a route outside the guarded context. */
export function tenantOf(request: FastifyRequest): TenantConfig {
  return request.getDecorator<TenantConfig>(TENANT);
}
