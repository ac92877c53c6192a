// Where auth applies, checked over every route the router serves rather than a hand-made list, so
// a route added later cannot skip the token or tenant check unnoticed, and the probes, metrics and
// docs stay reachable without a token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import { parseApiTokens } from '@callintake/config';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { buildStatusApi } from './app';

const namespace = uniqueNamespace('status-api-auth');
/** swagger-ui's page, its document, and its files under /docs/static (routes/docs.ts). */
const DOCS_PATHS = [
  '/docs',
  '/docs/',
  '/docs/json',
  '/docs/yaml',
  '/docs/static/index.html',
  '/docs/static/swagger-initializer.js',
  // printRoutes shows swagger-ui's `/docs/static/*` as a `*` beside its siblings `static/…`.
  '/docs/*',
];
/** A URL each docs path answers at (the wildcard: one of swagger-ui's files). */
const DOCS_URLS: Record<string, string> = { '/docs/*': '/docs/static/swagger-ui.css' };
const PUBLIC_PATHS = [
  '/openapi.json',
  ...DOCS_PATHS,
  '/healthz',
  '/readyz',
  '/metrics',
  // The console's page, script and style: no data, no secret (console/plugin.ts).
  '/console',
  '/console/app.js',
  '/console/app.css',
];
/** bull-board: outside /v1, with its own token check (queue-board/queue-board.ts). */
const QUEUE_BOARD = '/admin/queues';
const TENANT_PREFIX = '/v1/tenants/:tenant/';
const ACME = { authorization: 'Bearer acme' };
const ALL = { authorization: 'Bearer all' };
const BAD_TOKENS: Array<Record<string, string>> = [
  {},
  { authorization: 'Bearer wrong' },
  { authorization: 'Bearer ' },
  { authorization: 'Basic YWxsOg==' },
];

let root: { path: string; remove(): Promise<void> };
let redis: RedisClient;
let producer: JobProducer;
let app: FastifyInstance;
let routes: Array<{ method: HTTPMethods; path: string }>;

/**
 * Every method and path the router serves, read from fastify's own route tree: each line is a
 * path fragment that extends its parent's, with the methods served there in parentheses.
 */
function servedRoutes(instance: FastifyInstance): Array<{ method: HTTPMethods; path: string }> {
  const served: Array<{ method: HTTPMethods; path: string }> = [];
  const ancestors: string[] = [];
  let path = '';
  for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line === '') continue;
    // A route with constraints (the queue board's, one per access) ends in their JSON, and each
    // further variant of it follows on a line of its own without a branch.
    const variant = /^(?:│ {3}| {4})+\S+(?: \(([A-Z, ]+)\))? \{.*\}$/.exec(line);
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?(?: \{.*\})?$/.exec(line);
    assert.ok(match || variant, `a printRoutes line this test cannot read: ${line}`);
    let methods = variant?.[1];
    if (match) {
      const [, indent = '', fragment = ''] = match;
      methods = match[3];
      ancestors.length = indent.length / 4;
      path = [...ancestors, fragment].join('');
      ancestors.push(fragment);
    }
    for (const method of methods?.split(', ') ?? [])
      if (!served.some((route) => route.method === method && route.path === path))
        served.push({ method: method as HTTPMethods, path });
  }
  return served;
}

/** A concrete URL for a route, with `tenant` as the tenant and a placeholder for other parameters. */
const urlFor = (path: string, tenant: string) =>
  path.replace(/:(\w+)/g, (_param, name: string) => (name === 'tenant' ? tenant : 'x'));

function request(method: HTTPMethods, url: string, headers: Record<string, string>) {
  // A body the schema refuses: the auth answer must come before validation.
  const payload = method === 'POST' ? { bogus: true } : undefined;
  return app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
}

function assertError(response: LightMyRequestResponse, method: HTTPMethods, status: number, code: string) {
  const what = `${method} ${response.raw.req.url}`;
  assert.equal(response.statusCode, status, `${what}: ${response.body}`);
  if (method === 'HEAD') return; // no body to read
  assert.deepEqual(response.json(), { error: { code, message: response.json().error.message } }, what);
}

before(async () => {
  root = await tempDir('status-api-auth');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  app = buildStatusApi({
    state: new StateStore(redis, namespace, manualClock(new Date('2024-03-12T10:00:00Z'))),
    producer,
    tokens: parseApiTokens('all:*,acme:acme'),
    tenants: new Map([
      ['acme', localTenant(root.path)],
      ['globex', localTenant(root.path, { id: 'globex' })],
    ]),
  });
  await app.ready();
  routes = servedRoutes(app);
});

after(async () => {
  await app?.close();
  await producer?.close();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

describe('auth scope over every served route', () => {
  it('serves exactly the documented routes (so this test sees them all), each GET also as HEAD', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = routes
      .filter(({ path }) => !path.startsWith(QUEUE_BOARD))
      .map(({ method, path }) => `${method} ${path}`);
    // The document does not list itself or the pages: swagger-ui's, and the console's page, script, style.
    const describing = [
      'GET /openapi.json',
      ...DOCS_PATHS.map((path) => `GET ${path}`),
      'GET /console',
      'GET /console/app.js',
      'GET /console/app.css',
    ];
    assert.deepEqual(
      served.filter((route) => !route.startsWith('HEAD ')).sort(),
      [...documented, ...describing].sort(),
    );
    for (const route of served.filter((route) => route.startsWith('GET ')))
      assert.ok(served.includes(route.replace(/^GET/, 'HEAD')), `HEAD for ${route}`);
  });

  it('answers every route outside /v1 without a token, and only the known public ones', async () => {
    const outside = routes.filter(({ path }) => !path.startsWith('/v1/') && !path.startsWith(QUEUE_BOARD));
    assert.deepEqual([...new Set(outside.map(({ path }) => path))].sort(), [...PUBLIC_PATHS].sort());
    for (const { method, path } of outside) {
      const response = await request(method, DOCS_URLS[path] ?? path, {});
      // swagger-ui sends its old index.html address on to /docs/.
      const expected = path === '/docs/static/index.html' ? 302 : 200;
      assert.equal(response.statusCode, expected, `${method} ${path}: ${response.body}`);
    }
  });

  it('refuses every /v1 route without a valid token with 401, whatever the tenant and body', async () => {
    const v1 = routes.filter(({ path }) => path.startsWith('/v1/'));
    assert.ok(v1.some(({ path }) => path === '/v1/queues'));
    assert.ok(v1.filter(({ path }) => path.startsWith(TENANT_PREFIX)).length >= 6);
    for (const { method, path } of v1) {
      for (const tenant of ['acme', 'globex', 'initech']) {
        for (const headers of BAD_TOKENS) {
          assertError(await request(method, urlFor(path, tenant), headers), method, 401, 'unauthorized');
        }
      }
    }
  });

  it('refuses every queue board route without a valid token with 401', async () => {
    const board = routes.filter(({ path }) => path.startsWith(QUEUE_BOARD));
    assert.ok(board.some(({ path }) => path === `${QUEUE_BOARD}/api/queues`));
    // The UI's files: printRoutes shows that wildcard as `*` under the board's root.
    const urls = [
      ...board
        .filter(({ path }) => !path.endsWith('*'))
        .map(({ method, path }) => ({ method, url: urlFor(path, 'acme') })),
      { method: 'GET' as const, url: `${QUEUE_BOARD}/static/favicon-32x32.png` },
      { method: 'HEAD' as const, url: `${QUEUE_BOARD}/static/favicon-32x32.png` },
    ];
    for (const { method, url } of urls)
      for (const headers of BAD_TOKENS)
        assertError(await request(method, url, headers), method, 401, 'unauthorized');
  });

  it('refuses every tenant route for a tenant outside the scope (403) or unknown (404)', async () => {
    const tenantRoutes = routes.filter(({ path }) => path.startsWith(TENANT_PREFIX));
    for (const { method, path } of tenantRoutes) {
      for (const tenant of ['globex', 'initech'])
        assertError(await request(method, urlFor(path, tenant), ACME), method, 403, 'forbidden');
      assertError(await request(method, urlFor(path, 'initech'), ALL), method, 404, 'unknown-tenant');
    }
  });
});
