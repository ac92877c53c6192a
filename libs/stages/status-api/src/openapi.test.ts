// The OpenAPI document made from the route schemas: every route the app serves has a documented
// answer (or is one of the pages kept out of the document), the document is valid OpenAPI 3.1,
// real answers match it, and validation by the schemas refuses what the routes' own checks did,
// in the same words.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify';
import { recordJobFailure, transitionVersion } from '@callintake/asset-lifecycle';
import { parseApiTokens } from '@callintake/config';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { buildStatusApi } from './app';
import { checkResponses, type ResponseCheck } from './response-check';

const namespace = uniqueNamespace('status-openapi');
const ALL = { authorization: 'Bearer all' };
const clock = manualClock(new Date('2024-03-12T10:00:00Z'));

/** Routes kept out of the document: its own pages and files, the console's, bull-board's. */
const HIDDEN_PREFIXES = ['/openapi.json', '/docs', '/console', '/admin/queues'];

type Route = Pick<RouteOptions, 'method' | 'url' | 'schema'>;
type Json = Record<string, unknown>;

let root: Awaited<ReturnType<typeof tempDir>>;
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let app: FastifyInstance;
let routes: Route[];
let check: ResponseCheck;
let document: Json;

/** Builds a status API that records its routes as fastify adds them; `extra` adds more before ready. */
async function build(extra?: (instance: FastifyInstance) => void) {
  const instance = buildStatusApi({
    state,
    producer,
    tokens: parseApiTokens('all:*'),
    tenants: new Map([
      ['acme', localTenant(root.path)],
      ['globex', localTenant(root.path, { id: 'globex' })],
    ]),
  });
  const added: Route[] = [];
  instance.addHook('onRoute', (route) => void added.push(route));
  extra?.(instance);
  return { instance, added };
}

/** Why each route fails the rule "documented with its answers, or a known page": none when all pass. */
function undocumented(served: Route[]): string[] {
  const problems: string[] = [];
  const operationIds = new Set<string>();
  for (const { method, url, schema } of served) {
    if (method === 'HEAD' || (Array.isArray(method) && method.every((m) => m === 'HEAD'))) continue;
    const what = `${String(method)} ${url}`;
    const documented = (schema ?? {}) as Json;
    if (documented['hide']) {
      if (!HIDDEN_PREFIXES.some((prefix) => url.startsWith(prefix)))
        problems.push(`${what}: hidden from the document, and not one of its pages`);
      continue;
    }
    const responses = (documented['response'] ?? {}) as Record<string, Json>;
    const statuses = Object.keys(responses);
    if (!statuses.some((status) => /^2\d\d$/.test(status)))
      problems.push(`${what}: no success response schema`);
    if (!statuses.includes('500')) problems.push(`${what}: no error responses`);
    for (const status of statuses.filter((s) => /^[45]/.test(s))) {
      const error = responses[status] as { properties?: { error?: unknown } };
      if (!error.properties?.error) problems.push(`${what}: ${status} is not the error envelope`);
    }
    const operationId = documented['operationId'];
    if (typeof operationId !== 'string') problems.push(`${what}: no operationId`);
    else if (operationIds.has(operationId)) problems.push(`${what}: operationId ${operationId} twice`);
    else operationIds.add(operationId);
    if (!Array.isArray(documented['tags']) || documented['tags'].length === 0)
      problems.push(`${what}: no tags`);
    const params = (documented['params'] as { properties?: Json } | undefined)?.properties ?? {};
    for (const [, name] of url.matchAll(/:(\w+)/g))
      if (!(name && name in params)) problems.push(`${what}: path parameter ${name} not in its schema`);
    if (url.startsWith('/v1/') && !documented['security']) problems.push(`${what}: no bearer security`);
  }
  return problems;
}

function assertError(response: LightMyRequestResponse, status: number, code: string, message?: string) {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json<{ error: { code: string; message: string } }>();
  assert.equal(body.error.code, code);
  if (message !== undefined) assert.equal(body.error.message, message);
}

/** A call with every field of the call document. */
const FULL_CALL: Call = {
  id: '20240311-180000_outbound_1010',
  tenantId: 'acme',
  status: 'ready',
  callTime: '2024-03-11T18:00:00.000Z',
  userId: 'rep@example.com',
  direction: 'outbound',
  recording: {
    fileName: '20240311-180000_outbound_1010.wav',
    archiveUri: 'file:///srv/archive/acme/20240311-180000_outbound_1010.wav',
    container: 'wav',
    codec: 'pcm_s16le',
    durationSec: 12.5,
    channels: 2,
    sampleRateHz: 8000,
    sizeBytes: 200044,
    speakerSeparation: 'channels',
    probed: true,
  },
  speakers: { left: 'agent', right: 'customer', source: 'metadata' },
  metadata: {
    fileName: 'calls.csv',
    version: 2,
    line: 3,
    fields: { callTime: '2024-03-11T18:00:00Z', durationSec: 12, vip: true, note: null },
  },
  crm: {
    contactId: {
      type: 'contacts',
      id: 'C-1',
      record: { id: 'C-1', AccountId: 'A-1' },
      links: { accountId: { type: 'accounts', id: 'A-1', record: null } },
    },
    leadId: { type: 'leads', id: 'L-9', record: null },
  },
  match: { method: 'manual', score: 1, details: { by: 'ops@example.com', candidates: ['x.wav', 'y.wav'] } },
  warnings: [
    { code: 'metadata-replaced', message: 'replaced calls-old.csv', file: 'calls-old.csv', line: 3 },
  ],
  statusReason: {
    code: 'invalid-value',
    message: 'bad direction',
    field: 'direction',
    line: 3,
    file: 'a.csv',
  },
  lineage: [
    {
      kind: 'metadata',
      fileName: 'calls-old.csv',
      line: 3,
      version: 1,
      receivedAt: '2024-03-11T18:01:00.000Z',
      current: false,
    },
    { kind: 'recording', fileName: '20240311-180000_outbound_1010.wav', version: 1, current: true },
  ],
  version: 3,
  readyAt: '2024-03-11T18:05:00.000Z',
  readyVersion: 2,
  createdAt: '2024-03-11T18:01:00.000Z',
  updatedAt: '2024-03-11T18:06:00.000Z',
};

/** A file with every field of the file document, made the way the services make it. */
async function seedFullFile(name: string) {
  const ref = (versionId: string) => ({ tenantId: 'acme', fileName: name, versionId });
  const seen = (versionId: string) => ({
    versionId,
    sizeBytes: 10,
    modifiedAt: '2024-03-12T09:00:00.000Z',
    location: `data/${name}`,
    etag: `"${versionId}"`,
  });
  await state.assets.recordVersion('acme', name, 'recording', seen('v1'));
  await transitionVersion(state, ref('v1'), 'reject', {
    reason: { code: 'corrupt-media', message: 'no RIFF header' },
  });
  await transitionVersion(state, ref('v1'), 'retry', { retries: 1 });
  await state.assets.recordAttempt('acme', name, 'v1', {
    count: 1,
    of: 8,
    lastError: 'ECONNRESET',
    lastAttemptAt: '2024-03-12T09:30:00.000Z',
  });
  await transitionVersion(state, ref('v1'), 'capture', {
    sha256: 'ab'.repeat(32),
    location: `data/processed/${name}`,
    callIds: [FULL_CALL.id],
    warnings: [{ code: 'unrecognized-name', message: 'the name gives no call time' }],
  });
  await state.assets.recordVersion('acme', name, 'recording', seen('v2'));
  await recordJobFailure(state, ref('v2'), { attempt: 8, attempts: 8, final: true, error: new Error('EIO') });
}

before(async () => {
  root = await tempDir('status-openapi');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, clock);
  const built = await build((instance) => {
    check = checkResponses(instance);
  });
  app = built.instance;
  await app.ready();
  routes = built.added;
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Json>();

  await state.calls.mutate('acme', FULL_CALL.id, () => FULL_CALL);
  await state.calls.mutate('acme', 'EXT-1', () => ({
    id: 'EXT-1',
    tenantId: 'acme',
    status: 'awaiting_recording',
    crm: {},
    warnings: [],
    version: 1,
    createdAt: '2024-03-11T10:00:00.000Z',
    updatedAt: '2024-03-11T10:00:00.000Z',
  }));
  await seedFullFile('full.wav');
  await state.assets.recordVersion('acme', 'plain.json', 'call-metadata', {
    versionId: 'p1',
    sizeBytes: 3,
    modifiedAt: '2024-03-12T09:00:00.000Z',
    location: 'data/plain.json',
  });
});

after(async () => {
  await app?.close();
  await producer?.close();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

describe('route schemas', () => {
  it('document every route the app serves with its answers, except the known pages', () => {
    assert.ok(routes.length > 20);
    assert.deepEqual(undocumented(routes), []);
  });

  it('catch a route added without a response schema', async () => {
    const { instance, added } = await build((extra) => {
      extra.get('/v1/undocumented', async () => ({ ok: true }));
      extra.get('/v1/hidden', { schema: { hide: true } }, async () => ({ ok: true }));
    });
    await instance.ready();
    await instance.close();
    assert.deepEqual(undocumented(added), [
      'GET /v1/undocumented: no success response schema',
      'GET /v1/undocumented: no error responses',
      'GET /v1/undocumented: no operationId',
      'GET /v1/undocumented: no tags',
      'GET /v1/undocumented: no bearer security',
      'GET /v1/hidden: hidden from the document, and not one of its pages',
    ]);
  });
});

describe('the document', () => {
  it('is valid OpenAPI 3.1', async () => {
    assert.equal(document['openapi'], '3.1.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(document) as never);
  });

  it('has the complete call and file documents, and every error code', () => {
    const schemas = (
      document['components'] as { schemas: Record<string, { properties?: Json; required?: string[] }> }
    ).schemas;
    const properties = (name: string) => Object.keys(schemas[name]?.properties ?? {}).sort();
    // FULL_CALL is a Call with every field, and schemas.ts checks the schema against the type.
    assert.deepEqual(properties('Call'), Object.keys(FULL_CALL).sort());
    assert.deepEqual(properties('Asset'), [
      'callIds',
      'firstSeenAt',
      'kind',
      'name',
      'reason',
      'state',
      'tenantId',
      'updatedAt',
      'versions',
      'warnings',
    ]);
    const errorCode = (
      schemas['Error']?.properties?.['error'] as { properties: { code: { enum: string[] } } }
    ).properties.code.enum;
    assert.ok(errorCode.includes('not-retryable') && errorCode.includes('partner-taken'));
    const reasonCode = (schemas['Reason']?.properties?.['code'] as { enum: string[] }).enum;
    assert.ok(reasonCode.includes('unsupported-type') && reasonCode.includes('processing-failed'));
  });

  it('is what /docs/json serves to swagger-ui', async () => {
    const fromUi = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.deepEqual(fromUi.json(), document);
  });
});

describe('real answers match the document', () => {
  it('calls, a call, files and a file, and their errors', async () => {
    const get = (url: string, headers: Record<string, string> = ALL) =>
      app.inject({ method: 'GET', url, headers });
    const calls = await get('/v1/tenants/acme/calls?limit=1');
    assert.equal(calls.statusCode, 200, calls.body);
    assert.equal((await get(`/v1/tenants/acme/calls?cursor=${calls.json().nextCursor}`)).statusCode, 200);
    const call = await get(`/v1/tenants/acme/calls/${FULL_CALL.id}`);
    assert.deepEqual(call.json(), FULL_CALL);
    assert.equal((await get('/v1/tenants/acme/calls/EXT-1')).statusCode, 200);
    assert.equal((await get('/v1/tenants/acme/calls?status=awaiting_recording')).json().items.length, 1);

    const files = await get('/v1/tenants/acme/files');
    assert.equal(files.json().items.length, 2);
    const file = await get('/v1/tenants/acme/files/full.wav');
    const versions = file.json<{ versions: Json[] }>().versions;
    // Between them, the two versions carry every field of a version.
    const versionSchema = (document['components'] as { schemas: Record<string, { properties: Json }> })
      .schemas['AssetVersion'];
    assert.deepEqual(
      [...new Set(versions.flatMap((version) => Object.keys(version)))].sort(),
      Object.keys(versionSchema?.properties ?? {}).sort(),
    );
    assert.ok(file.json().reason && file.json().warnings.length === 1);
    assert.equal((await get('/v1/tenants/acme/files/plain.json')).statusCode, 200);

    assertError(await get('/v1/tenants/acme/calls/nope'), 404, 'not-found');
    assertError(await get('/v1/tenants/acme/files/nope'), 404, 'not-found');
    assertError(await get('/v1/tenants/acme/files?state=done'), 400, 'invalid-request');
    assertError(await get('/v1/tenants/acme/calls', {}), 401, 'unauthorized');
    assertError(await get('/v1/tenants/initech/files'), 404, 'unknown-tenant');
    for (const url of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/queues',
      '/v1/tenants',
      '/v1/tenants/acme/overview',
    ])
      assert.equal((await get(url)).statusCode, 200, url);
    assert.equal((await get('/v1/tenants/acme/crm/contacts/C-1')).statusCode, 404);

    assert.deepEqual(check.problems, []);
    for (const route of [
      'GET /v1/tenants/:tenant/calls 200',
      'GET /v1/tenants/:tenant/calls/:callId 200',
      'GET /v1/tenants/:tenant/files 200',
      'GET /v1/tenants/:tenant/files/:fileName 200',
      'GET /v1/tenants/:tenant/files/:fileName 404',
      'GET /v1/tenants/:tenant/files 400',
      'GET /metrics 200',
      'GET /v1/tenants/:tenant/overview 200',
    ])
      assert.ok(check.checked.has(route), `${route} checked: ${[...check.checked.keys()].join(', ')}`);
  });

  it('catches an answer that breaks its schema', async () => {
    let broken: ResponseCheck | undefined;
    const { instance } = await build((extra) => {
      broken = checkResponses(extra);
    });
    await instance.ready();
    // Another tenant's, so no other test reads it.
    await state.calls.mutate('globex', 'BROKEN', () => ({
      ...FULL_CALL,
      tenantId: 'globex',
      id: 'BROKEN',
      status: 'done' as Call['status'],
    }));
    const response = await instance.inject({
      method: 'GET',
      url: '/v1/tenants/globex/calls/BROKEN',
      headers: ALL,
    });
    await instance.close();
    assert.equal(response.statusCode, 200);
    assert.equal(broken?.problems.length, 1);
    assert.match(broken?.problems[0] ?? '', /^GET \/v1\/tenants\/:tenant\/calls\/:callId 200: .*"\/status"/);
  });
});

describe('validation by the route schemas', () => {
  const get = (url: string) => app.inject({ method: 'GET', url, headers: ALL });

  it('refuses a bad query or path parameter in the words of the checks it replaced', async () => {
    for (const limit of ['0', '501', 'abc', '1.5', '-3', ''])
      assertError(
        await get(`/v1/tenants/acme/calls?limit=${limit}`),
        400,
        'invalid-request',
        'limit must be a whole number from 1 to 500',
      );
    assertError(
      await get('/v1/tenants/acme/calls?status=done'),
      400,
      'invalid-request',
      'status must be one of awaiting_metadata, awaiting_recording, ambiguous, ready, expired',
    );
    assertError(
      await get('/v1/tenants/acme/files?state=DONE'),
      400,
      'invalid-request',
      'state must be one of pending, processing, processed, rejected, ignored, purged, failed',
    );
    assertError(
      await get('/v1/tenants/acme/crm/widgets/1'),
      400,
      'invalid-request',
      'objectType must be one of contacts, leads, opportunities, cases, accounts',
    );
    assertError(
      await get('/v1/tenants/acme/files?cursor=a&cursor=b'),
      400,
      'invalid-request',
      'cursor must be given once',
    );
  });

  it('accepts what the routes accepted: other query parameters, the largest limit, a body field set to its bounds', async () => {
    assert.equal((await get('/v1/tenants/acme/calls?limit=500&cachebust=1&token=x')).statusCode, 200);
    assert.equal((await get('/v1/tenants/acme/files?limit=1&state=processed')).statusCode, 200);
    const registered = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/recordings',
      headers: ALL,
      payload: {
        externalId: 'x'.repeat(512),
        location: 's3://b/k',
        durationSec: 0,
        channels: 1,
        sizeBytes: 0,
      },
    });
    assert.equal(registered.statusCode, 202, registered.body);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/recordings',
      headers: ALL,
      payload: { externalId: 'x', location: 's3://b/k', channels: 0 },
    });
    assertError(refused, 400, 'invalid-request', 'body/channels must be >= 1');
  });
});
