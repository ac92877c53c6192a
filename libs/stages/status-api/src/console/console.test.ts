// The console's server side: a public page with a strict CSP and no secret in it, a script that
// parses, the tenants a token may read (GET /v1/tenants) and a tenant's overview, guarded like the
// rest of /v1/tenants/:tenant. The page itself is driven in a browser by e2e/console.test.ts.
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { TRANSITIONS } from '@callintake/asset-lifecycle';
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
import { buildStatusApi } from '../app';
import { checkResponses, type ResponseCheck } from '../response-check';

const namespace = uniqueNamespace('status-console');
const t = (name: keyof typeof TRANSITIONS) => ({ name, ...TRANSITIONS[name] });
let root: Awaited<ReturnType<typeof tempDir>>;
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let app: FastifyInstance;
/** Every answer is checked against its route's documented schema. */
let responses: ResponseCheck;

before(async () => {
  root = await tempDir('status-console');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, manualClock(new Date('2024-03-12T10:00:00Z')));
  app = buildStatusApi({
    state,
    producer,
    tokens: parseApiTokens('all:*,acme:acme,both:acme+globex'),
    tenants: new Map(
      ['acme', 'globex', 'initech'].map((id) => [id, localTenant(root.path, { id })] as const),
    ),
  });
  responses = checkResponses(app);
  await app.ready();
  const seen = (name: string, kind: 'recording' | 'unknown') =>
    state.assets.recordVersion('acme', name, kind, {
      versionId: `1-${name}`,
      sizeBytes: 10,
      modifiedAt: '2024-03-12T09:00:00.000Z',
      location: `data/${name}`,
    });
  await seen('a.wav', 'recording');
  for (const name of ['b.txt', 'c.exe']) {
    await seen(name, 'unknown');
    await state.assets.applyTransition('acme', name, `1-${name}`, t('reject'), {
      reason: { code: 'unsupported-type', message: 'not a recording, metadata or CRM file' },
    });
  }
});
after(async () => {
  await app?.close();
  await producer?.close();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

const get = (url: string, token?: string) =>
  app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('console page', () => {
  it('serves the page, script and style without a token, same-origin only and never cached', async () => {
    for (const [url, type] of [
      ['/console', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ] as const) {
      const response = await get(url);
      assert.equal(response.statusCode, 200, url);
      assert.match(String(response.headers['content-type']), new RegExp(`^${type}`));
      const csp = String(response.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self';/);
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cache-control'], 'no-store');
    }
  });

  it('loads nothing from elsewhere and has no inline script', async () => {
    const page = (await get('/console')).body;
    assert.doesNotMatch(page, /https?:\/\//);
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /<script src="\/console\/app.js" defer><\/script>/);
  });

  it('serves a script that parses, with the enums its filters offer', async () => {
    const script = (await get('/console/app.js')).body;
    assert.doesNotThrow(() => new Script(script, { filename: 'app.js' }));
    assert.match(script, /const REASON_CODES = \[.*"unsupported-type"/);
    assert.match(script, /history\.replaceState/);
    // The token travels in a header, never in a URL the script builds.
    assert.doesNotMatch(script, /[?&]token=' *\+/);
  });
});

describe('GET /v1/tenants', () => {
  it('lists the tenants the token may read, and refuses a missing or unknown token', async () => {
    assert.deepEqual((await get('/v1/tenants', 'all')).json(), {
      items: [{ id: 'acme' }, { id: 'globex' }, { id: 'initech' }],
    });
    assert.deepEqual((await get('/v1/tenants', 'both')).json(), {
      items: [{ id: 'acme' }, { id: 'globex' }],
    });
    assert.deepEqual((await get('/v1/tenants', 'acme')).json(), { items: [{ id: 'acme' }] });
    assert.equal((await get('/v1/tenants')).statusCode, 401);
    assert.equal((await get('/v1/tenants', 'nope')).statusCode, 401);
  });
});

describe('GET /v1/tenants/:tenant/overview', () => {
  it('counts files by state, rejections by reason and calls by status', async () => {
    const response = await get('/v1/tenants/acme/overview', 'acme');
    assert.equal(response.statusCode, 200);
    const overview = response.json();
    assert.equal(overview.tenant, 'acme');
    assert.equal(overview.filesByState.pending, 1);
    assert.equal(overview.filesByState.rejected, 2);
    assert.equal(overview.filesByState.failed, 0);
    assert.deepEqual(overview.rejectionsByReason, [{ code: 'unsupported-type', count: 2 }]);
    assert.equal(overview.callsByStatus.awaiting_metadata, 0);
    assert.equal(overview.lastUploadAt, '2024-03-12T10:00:00.000Z');
  });

  it('is guarded like every tenant route: 401, then 403 outside the scope, then 404', async () => {
    assert.equal((await get('/v1/tenants/acme/overview')).statusCode, 401);
    assert.equal((await get('/v1/tenants/globex/overview', 'acme')).statusCode, 403);
    assert.equal((await get('/v1/tenants/nobody/overview', 'all')).statusCode, 404);
    const empty = (await get('/v1/tenants/initech/overview', 'all')).json();
    assert.equal(empty.lastUploadAt, null);
    assert.deepEqual(empty.rejectionsByReason, []);
  });
});

describe('answers', () => {
  it('match the response schemas of the document', () => {
    assert.ok(responses.checked.size > 0);
    assert.deepEqual(responses.problems, []);
  });
});
