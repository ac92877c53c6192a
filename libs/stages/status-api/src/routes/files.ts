// GET /v1/tenants/:tenant/files[/:fileName]: the assets of the upload area and their states;
// POST …/files/:fileName/retry: another go for a failed or rejected file (asset-lifecycle retry).
import type { FastifyPluginAsync } from 'fastify';
import { retryFile } from '@callintake/asset-lifecycle';
import { ASSET_STATES, type AssetState } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { oneOf, pageRequest } from '../query';
import { tenantOf, type TenantParams } from '../tenant-access';

export const fileRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state' | 'producer'>> = async (
  files,
  { state, producer },
) => {
  files.get<{ Params: TenantParams; Querystring: { state?: string; limit?: string; cursor?: string } }>(
    '/files',
    async (request) => {
      const assetState = oneOf<AssetState>(request.query.state, ASSET_STATES, 'state');
      return state.assets.list(tenantOf(request).id, {
        ...pageRequest(request.query),
        ...(assetState ? { state: assetState } : {}),
      });
    },
  );
  files.get<{ Params: TenantParams & { fileName: string } }>('/files/:fileName', async (request) => {
    const tenant = tenantOf(request);
    const asset = await state.assets.get(tenant.id, request.params.fileName);
    if (!asset) throw new ApiError('not-found', `no file ${request.params.fileName} for tenant ${tenant.id}`);
    return asset;
  });
  files.post<{ Params: TenantParams & { fileName: string } }>(
    '/files/:fileName/retry',
    async (request, reply) => {
      const tenant = tenantOf(request);
      const outcome = await retryFile({ state, producer }, tenant.id, request.params.fileName);
      switch (outcome.status) {
        case 'not-found':
          throw new ApiError('not-found', `no file ${request.params.fileName} for tenant ${tenant.id}`);
        case 'not-retryable':
          throw new ApiError('not-retryable', outcome.message);
        case 'queued':
          return reply.code(202).send({
            file: outcome.asset.name,
            version: outcome.version.number,
            state: outcome.version.state,
            retries: outcome.version.retries ?? 0,
          });
      }
    },
  );
};
