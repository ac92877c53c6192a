// The status API (CONTRACT.md "Status API"): an app factory tested with inject().
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { scopeAllows, type TokenScope } from '@callintake/config';
import { stemKey } from '@callintake/naming';
import { jobId, QUEUE_NAMES, type JobProducer } from '@callintake/queues';
import {
  ASSET_STATES,
  CALL_STATUSES,
  CRM_OBJECT_TYPES,
  type AssetState,
  type CallStatus,
  type CrmObjectType,
  type TenantConfig,
} from '@callintake/schemas';
import { InvalidCursorError, type RecordingRecord, type StateStore } from '@callintake/state';
import { ApiError, errorBody } from './errors';
import { renderMetrics } from './metrics';
import { docsPage, openApiDocument } from './openapi';
import { oneOf, pageRequest } from './query';
import { registerRecordingSchema, type RegisterRecordingBody } from './recording-body';

export interface StatusApiDeps {
  state: StateStore;
  producer: JobProducer;
  tokens: Map<string, TokenScope>;
  tenants: Map<string, TenantConfig>;
  logger?: boolean;
}

export function buildStatusApi(deps: StatusApiDeps): FastifyInstance {
  // Fastify's default strips properties a schema does not allow; we refuse them instead, so a
  // misspelt optional field is an error rather than silently dropped.
  const app = Fastify({ logger: deps.logger ?? false, ajv: { customOptions: { removeAdditional: false } } });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(errorBody(error.code, error.message));
    if (error instanceof InvalidCursorError)
      return reply.code(400).send(errorBody('invalid-request', error.message));
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send(errorBody('invalid-request', (error as Error).message));
    app.log.error({ err: error }, 'status API error');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not-found', `no route ${request.method} ${request.url}`)),
  );

  const authorize = (request: FastifyRequest): TokenScope => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const scope = match ? deps.tokens.get(match[1] as string) : undefined;
    if (!scope) throw new ApiError('unauthorized', 'send Authorization: Bearer <token> with a valid token');
    return scope;
  };
  const tenantFor = (request: FastifyRequest<{ Params: { tenant: string } }>): TenantConfig => {
    const scope = authorize(request);
    const tenantId = request.params.tenant;
    if (!scopeAllows(scope, tenantId))
      throw new ApiError('forbidden', `this token may not read tenant ${tenantId}`);
    const tenant = deps.tenants.get(tenantId);
    if (!tenant) throw new ApiError('unknown-tenant', `no tenant ${tenantId}`);
    return tenant;
  };
  // Checked on request, before the body is parsed or validated: a caller without a valid token
  // learns nothing about a route's body schema. Handlers call tenantFor again for the tenant.
  const requireToken = async (request: FastifyRequest) => {
    authorize(request);
  };
  const requireTenant = async (request: FastifyRequest) => {
    tenantFor(request as FastifyRequest<{ Params: { tenant: string } }>);
  };

  const openApi = openApiDocument();
  const docs = docsPage(openApi);
  app.get('/openapi.json', async () => openApi);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docs));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply: FastifyReply) => {
    try {
      await deps.state.redis.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send(errorBody('redis-unavailable', 'Redis does not answer'));
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return renderMetrics(deps.producer, deps.state.metrics);
  });

  app.get<{ Params: { tenant: string }; Querystring: { status?: string; limit?: string; cursor?: string } }>(
    '/v1/tenants/:tenant/calls',
    { onRequest: requireTenant },
    async (request) => {
      const tenant = tenantFor(request);
      const status = oneOf<CallStatus>(request.query.status, CALL_STATUSES, 'status');
      return deps.state.calls.list(tenant.id, {
        ...pageRequest(request.query),
        ...(status ? { status } : {}),
      });
    },
  );
  app.get<{ Params: { tenant: string; callId: string } }>(
    '/v1/tenants/:tenant/calls/:callId',
    { onRequest: requireTenant },
    async (request) => {
      const tenant = tenantFor(request);
      const call = await deps.state.calls.get(tenant.id, request.params.callId);
      if (!call) throw new ApiError('not-found', `no call ${request.params.callId} for tenant ${tenant.id}`);
      return call;
    },
  );
  app.get<{ Params: { tenant: string }; Querystring: { state?: string; limit?: string; cursor?: string } }>(
    '/v1/tenants/:tenant/files',
    { onRequest: requireTenant },
    async (request) => {
      const tenant = tenantFor(request);
      const state = oneOf<AssetState>(request.query.state, ASSET_STATES, 'state');
      return deps.state.assets.list(tenant.id, {
        ...pageRequest(request.query),
        ...(state ? { state } : {}),
      });
    },
  );
  app.get<{ Params: { tenant: string; fileName: string } }>(
    '/v1/tenants/:tenant/files/:fileName',
    { onRequest: requireTenant },
    async (request) => {
      const tenant = tenantFor(request);
      const asset = await deps.state.assets.get(tenant.id, request.params.fileName);
      if (!asset)
        throw new ApiError('not-found', `no file ${request.params.fileName} for tenant ${tenant.id}`);
      return asset;
    },
  );
  app.get<{ Params: { tenant: string; objectType: string; id: string } }>(
    '/v1/tenants/:tenant/crm/:objectType/:id',
    { onRequest: requireTenant },
    async (request) => {
      const tenant = tenantFor(request);
      const type = oneOf<CrmObjectType>(
        request.params.objectType,
        CRM_OBJECT_TYPES,
        'objectType',
      ) as CrmObjectType;
      const record = await deps.state.crm.get(tenant.id, type, request.params.id);
      if (!record) throw new ApiError('not-found', `no ${type} ${request.params.id} for tenant ${tenant.id}`);
      return { type, id: request.params.id, record };
    },
  );

  app.post<{ Params: { tenant: string }; Body: RegisterRecordingBody }>(
    '/v1/tenants/:tenant/recordings',
    { onRequest: requireTenant, schema: { body: registerRecordingSchema } },
    async (request, reply) => {
      const tenant = tenantFor(request);
      const body = request.body;
      const record: RecordingRecord = {
        tenantId: tenant.id,
        fileName: body.externalId,
        versionId: `registered-${body.location}`,
        version: 1,
        facts: {
          container: body.container ?? 'unknown',
          ...(body.codec ? { codec: body.codec } : {}),
          ...(body.durationSec !== undefined ? { durationSec: body.durationSec } : {}),
          ...(body.channels !== undefined
            ? { channels: body.channels, speakerSeparation: body.channels >= 2 ? 'channels' : 'diarization' }
            : {}),
          ...(body.sampleRateHz !== undefined ? { sampleRateHz: body.sampleRateHz } : {}),
          sizeBytes: body.sizeBytes ?? 0,
          probed: false,
        },
        archiveUri: body.location,
        sha256: '',
        name: {
          pattern: 'external-id',
          externalId: body.externalId,
          ...(body.source ? { source: body.source } : {}),
        },
        warnings: [],
        capturedAt: deps.state.clock.now().toISOString(),
        origin: 'registered',
      };
      await deps.state.recordings.put(record, stemKey(body.externalId));
      await deps.producer.add(
        'match-recording',
        { tenantId: tenant.id, fileName: record.fileName },
        { jobId: jobId(tenant.id, 'registered', body.externalId) },
      );
      return reply.code(202).send({ callId: body.externalId, status: 'accepted' });
    },
  );

  app.get('/v1/queues', { onRequest: requireToken }, async () => {
    const items = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const counts = await deps.producer
          .queue(name)
          .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        return { name, ...counts };
      }),
    );
    return { items };
  });

  return app;
}
