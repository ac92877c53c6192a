// GET /v1/tenants/:tenant/files[/:fileName]: the assets of the upload area and their states;
// POST …/files/:fileName/retry: another go for a failed or rejected file (asset-lifecycle retry).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { retryFile } from '@callintake/asset-lifecycle';
import { ASSET_STATES } from '@callintake/schemas';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { apiRoute } from '../openapi';
import { pageRequest } from '../query';
import { assetSchema, pageOf, pageQuery, retryAcceptedSchema, tenantParams } from '../schemas';
import { tenantOf } from '../tenant-access';

const filesQuery = pageQuery.extend({ state: z.enum(ASSET_STATES).optional() });
const fileParams = tenantParams.extend({
  fileName: z.string().describe('the file name in the upload area, URL-encoded'),
});

const listFiles = apiRoute({
  method: 'GET',
  operationId: 'listFiles',
  tags: ['files'],
  summary: 'assets and their states, newest first',
  description: 'Newest first seen first; state filters by file state.',
  auth: true,
  params: tenantParams,
  querystring: filesQuery,
  response: { description: 'a page of files', schema: pageOf(assetSchema) },
  errors: ['invalid-request', 'unauthorized', 'forbidden', 'unknown-tenant'],
});

const getFile = apiRoute({
  method: 'GET',
  operationId: 'getFile',
  tags: ['files'],
  summary: 'one asset: state, reason, call ids, versions',
  auth: true,
  params: fileParams,
  response: { description: 'the file document', schema: assetSchema },
  errors: ['unauthorized', 'forbidden', 'unknown-tenant', 'not-found'],
});

const retryFileRoute = apiRoute({
  method: 'POST',
  operationId: 'retryFile',
  tags: ['files'],
  summary: 'retries a failed or rejected file',
  description:
    'Queues the file again under new job ids; idempotent while the retry is pending. 409 not-retryable ' +
    'for a file in any other state (README "File states, failures and retries").',
  auth: true,
  params: fileParams,
  response: { status: 202, description: 'the retry is queued', schema: retryAcceptedSchema },
  errors: ['unauthorized', 'forbidden', 'unknown-tenant', 'not-found', 'not-retryable'],
});

export const fileRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state' | 'producer'>> = async (
  files,
  { state, producer },
) => {
  files.get<{ Params: z.output<typeof tenantParams>; Querystring: z.output<typeof filesQuery> }>(
    '/files',
    listFiles,
    async (request) => {
      const assetState = request.query.state;
      return state.assets.list(tenantOf(request).id, {
        ...pageRequest(request.query),
        ...(assetState ? { state: assetState } : {}),
      });
    },
  );
  files.get<{ Params: z.output<typeof fileParams> }>('/files/:fileName', getFile, async (request) => {
    const tenant = tenantOf(request);
    const asset = await state.assets.get(tenant.id, request.params.fileName);
    if (!asset) throw new ApiError('not-found', `no file ${request.params.fileName} for tenant ${tenant.id}`);
    return asset;
  });
  files.post<{ Params: z.output<typeof fileParams> }>(
    '/files/:fileName/retry',
    retryFileRoute,
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
