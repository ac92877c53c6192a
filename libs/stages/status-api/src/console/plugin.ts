// /console: the web console for the people who run integrations (README "Console"). The page and
// its script are public and hold nothing secret; everything they show comes from the token-guarded
// JSON API, with the same tokens and scopes: GET /v1/tenants (the tenants a token may read, added
// here for the console) and GET /v1/tenants/:tenant/overview (./overview.ts) beside the API's own.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { scopeAllows } from '@callintake/config';
import { bearerScope, requireToken } from '../auth';
import type { StatusApiDeps } from '../deps';
import { apiRoute, HIDDEN } from '../openapi';
import { TENANT_PREFIX } from '../routes/tenant';
import { tenantListSchema, tenantOverviewSchema, tenantParams } from '../schemas';
import { guardTenantRoutes, tenantOf, type TenantParams } from '../tenant-access';
import { tenantOverview } from './overview';
import { CONSOLE_CSS, CONSOLE_HTML } from './page';
import { consoleScript } from './script';

export const CONSOLE_PATH = '/console';

const listTenants = apiRoute({
  method: 'GET',
  operationId: 'listTenants',
  tags: ['tenants'],
  summary: 'the tenants the token may read',
  description: 'Sorted by id; a token with scope * reads every configured tenant.',
  auth: true,
  response: { description: 'tenant ids', schema: tenantListSchema },
  errors: ['unauthorized'],
});

const getTenantOverview = apiRoute({
  method: 'GET',
  operationId: 'getTenantOverview',
  tags: ['tenants'],
  summary: 'one tenant at a glance',
  description:
    'Files by state, calls by status, rejections by reason (of the newest rejected files) and the last ' +
    "upload time: the console's first page.",
  auth: true,
  params: tenantParams,
  response: { description: 'the overview', schema: tenantOverviewSchema },
  errors: ['unauthorized', 'forbidden', 'unknown-tenant'],
});

/**
 * Only this origin's script and style, and fetches to this origin: no CDN, no inline code. No
 * referrer, so the one-time `?token=` never leaves in a Referer header; no framing (clickjacking).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export const consoleRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state' | 'tokens' | 'tenants'>> = async (
  app,
  { state, tokens, tenants },
) => {
  const script = consoleScript();
  const send = (reply: FastifyReply, type: string, body: string) =>
    reply.headers(SECURITY_HEADERS).type(type).send(body);
  app.get(CONSOLE_PATH, HIDDEN, async (_request, reply) =>
    send(reply, 'text/html; charset=utf-8', CONSOLE_HTML),
  );
  app.get(`${CONSOLE_PATH}/app.js`, HIDDEN, async (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', script),
  );
  app.get(`${CONSOLE_PATH}/app.css`, HIDDEN, async (_request, reply) =>
    send(reply, 'text/css; charset=utf-8', CONSOLE_CSS),
  );

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', requireToken(tokens));
      v1.get('/tenants', listTenants, async (request) => {
        const scope = bearerScope(request, tokens);
        const items = [...tenants.keys()]
          .filter((id) => scopeAllows(scope, id))
          .sort()
          .map((id) => ({ id }));
        return { items };
      });
    },
    { prefix: '/v1' },
  );

  await app.register(
    async (tenant) => {
      guardTenantRoutes(tenant, tokens, tenants);
      tenant.get<{ Params: TenantParams }>('/overview', getTenantOverview, async (request) =>
        tenantOverview(state, tenantOf(request).id),
      );
    },
    { prefix: TENANT_PREFIX },
  );
};
