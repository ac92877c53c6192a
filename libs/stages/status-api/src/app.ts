// The status API (CONTRACT.md "Status API"): an app factory tested with inject().
//
// Auth lives in encapsulated contexts, never on the root: /v1/tenants/:tenant checks the token and
// the tenant scope, /v1 (queues) checks the token, and probes, metrics and docs sit beside them
// with no hook at all. The error and not-found handlers are set on the root, so every context
// answers in the same error shape.
//
// Each route's schema (openapi.ts apiRoute) validates its request and makes the OpenAPI document,
// which @fastify/swagger collects as the routes are added: it is registered first.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleRoutes } from './console/plugin';
import type { StatusApiDeps } from './deps';
import { replyNotFound, replyWithError } from './error-handler';
import { sharedSchemas } from './json-schema';
import { observeStatusApi } from './observability/observe';
import { openApiOptions } from './openapi';
import { queueBoardRoutes } from './queue-board/queue-board';
import { docsRoutes } from './routes/docs';
import { probeRoutes } from './routes/probes';
import { queueRoutes } from './routes/queues';
import { TENANT_PREFIX, tenantRoutes } from './routes/tenant';

export type { StatusApiDeps } from './deps';

export function buildStatusApi(deps: StatusApiDeps): FastifyInstance {
  // Fastify's default strips properties a schema does not allow; we refuse them instead, so a
  // misspelt optional field is an error rather than silently dropped.
  const app = Fastify({ logger: deps.logger ?? false, ajv: { customOptions: { removeAdditional: false } } });
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler(replyNotFound);
  // Answers go out as the handlers made them: the response schemas are the documented contract,
  // which the tests check real answers against (see response-check.ts), not a filter.
  // fast-json-stringify would drop a field a schema lacks instead of failing.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of sharedSchemas()) app.addSchema(schema);

  const { state, producer, tokens, tenants } = deps;
  const observed = observeStatusApi(app, { state, producer, tenants, accessLog: deps.accessLog });
  // Plugins load on ready() or listen(), which report any registration error.
  void app.register(swagger, openApiOptions);
  void app.register(docsRoutes);
  void app.register(probeRoutes, { state, producer, tenants, moreMetrics: observed.metricsText });
  void app.register(queueRoutes, { prefix: '/v1', producer, tokens });
  void app.register(tenantRoutes, { prefix: TENANT_PREFIX, state, producer, tokens, tenants });
  void app.register(consoleRoutes, { state, tokens, tenants });
  void app.register(queueBoardRoutes, { producer, tokens });
  return app;
}
