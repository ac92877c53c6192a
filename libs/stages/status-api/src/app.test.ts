// The status API against real Redis: every route, every auth case, and the JSON error shape
// (ours, fastify's validation errors and the not-found handler alike).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { parseApiTokens } from '@callintake/config';
import { pairingKey } from '@callintake/naming';
import { jobId, JobProducer, QUEUE_NAMES, workerConnection, queuePrefix } from '@callintake/queues';
import type { Asset, Call, CallStatus, TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { TRANSITIONS } from '@callintake/asset-lifecycle';
import { buildStatusApi } from './app';
import { checkResponses, type ResponseCheck } from './response-check';

const namespace = uniqueNamespace('status-api');
const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
const tokens = parseApiTokens('all:*,acme:acme,both:acme+globex');
const ALL = { authorization: 'Bearer all' };
const ACME = { authorization: 'Bearer acme' };
const BEGIN = { name: 'begin', ...TRANSITIONS.begin };
const CAPTURE = { name: 'capture', ...TRANSITIONS.capture };
const REJECT = { name: 'reject', ...TRANSITIONS.reject };
const UNICODE_FILE = 'Anruf Müller – 日本語 #1 50%.wav';

let root: { path: string; remove(): Promise<void> };
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let tenants: Map<string, TenantConfig>;
let app: FastifyInstance;
/** Every answer below is checked against its route's documented schema. */
let responses: ResponseCheck;

function call(id: string, callTime: string, status: CallStatus, tenantId = 'acme'): Call {
  return {
    id,
    tenantId,
    status,
    callTime,
    crm: {},
    warnings: [],
    version: 1,
    createdAt: callTime,
    updatedAt: callTime,
  };
}

/** Every error answer is `{ error: { code, message } }` and nothing else. */
function assertError(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json<{ error: { code: unknown; message: unknown } }>();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok((body.error.message as string).length > 0);
}

async function get(url: string, headers: Record<string, string> = ALL): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers });
}

// Acme's calls, newest first by call time; two share a call time to exercise ties.
const ACME_CALLS: Array<[string, string, CallStatus]> = [
  ['20240311-180000_outbound_1010', '2024-03-11T18:00:00.000Z', 'ready'],
  ['20240311-120000_inbound_1009', '2024-03-11T12:00:00.000Z', 'awaiting_metadata'],
  ['20240311-090000_outbound_1008b', '2024-03-11T09:00:00.000Z', 'ready'],
  ['20240311-090000_outbound_1008a', '2024-03-11T09:00:00.000Z', 'ready'],
  ['EXT-1007', '2024-03-10T17:00:00.000Z', 'awaiting_recording'],
  ['20240310-110000_inbound_1006', '2024-03-10T11:00:00.000Z', 'ambiguous'],
  ['20240309-150000_outbound_1005', '2024-03-09T15:00:00.000Z', 'ready'],
  ['20240308-150000_outbound_1004', '2024-03-08T15:00:00.000Z', 'expired'],
  ['20240307-150000_inbound_1003', '2024-03-07T15:00:00.000Z', 'ready'],
  ['20240306-150000_inbound_1002', '2024-03-06T15:00:00.000Z', 'awaiting_metadata'],
  ['20240305-150000_outbound_1001', '2024-03-05T15:00:00.000Z', 'ready'],
];
const GLOBEX_TIED_CALLS = 80;

before(async () => {
  root = await tempDir('status-api');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, clock);
  tenants = new Map([
    ['acme', localTenant(root.path)],
    ['globex', localTenant(root.path, { id: 'globex' })],
  ]);
  app = buildStatusApi({ state, producer, tokens, tenants });
  responses = checkResponses(app);
  await app.ready();

  // Seeded in shuffled order: the index, not insertion order, decides "newest first".
  for (const [id, callTime, status] of [...ACME_CALLS].reverse()) {
    await state.calls.mutate('acme', id, () => call(id, callTime, status));
  }
  // Many calls with one call time (e.g. metadata-only calls from one batch): ties across pages.
  for (let i = 0; i < GLOBEX_TIED_CALLS; i++) {
    const id = `G-${String(i).padStart(3, '0')}`;
    await state.calls.mutate('globex', id, () => call(id, '2024-03-01T08:00:00.000Z', 'ready', 'globex'));
  }

  const seen = (versionId: string, location: string) => ({
    versionId,
    sizeBytes: 1000,
    modifiedAt: clock.now().toISOString(),
    location,
  });
  await state.assets.recordVersion('acme', 'first.wav', 'recording', seen('1000-1', 'data/first.wav'));
  await state.assets.applyTransition('acme', 'first.wav', '1000-1', CAPTURE, {
    callIds: ['20240305-150000_outbound_1001'],
  });
  clock.advance(60_000);
  await state.assets.recordVersion('acme', 'broken.wav', 'recording', seen('1000-2', 'data/broken.wav'));
  await state.assets.applyTransition('acme', 'broken.wav', '1000-2', REJECT, {
    reason: { code: 'corrupt-media', message: 'no RIFF header' },
  });
  clock.advance(60_000);
  await state.assets.recordVersion('acme', UNICODE_FILE, 'recording', seen('1000-3', `data/${UNICODE_FILE}`));
  clock.advance(60_000);
  await state.assets.recordVersion('acme', UNICODE_FILE, 'recording', seen('1001-4', `data/${UNICODE_FILE}`));
  await state.assets.recordVersion('acme', 'calls.csv', 'call-metadata', seen('1000-5', 'data/calls.csv'));
  await state.assets.applyTransition('acme', 'calls.csv', '1000-5', BEGIN, {});

  await state.crm.upsertMany('acme', 'contacts', [
    { id: 'C-1', record: { id: 'C-1', name: 'Ada Lovelace', email: 'ada@example.com' } },
  ]);
});

after(async () => {
  await app?.close();
  await producer?.close();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

describe('probes and metrics', () => {
  it('answers liveness without a token', async () => {
    const response = await get('/healthz', {});
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('is ready while Redis answers', async () => {
    const response = await get('/readyz', {});
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });

  it('is not ready (503 redis-unavailable) when Redis does not answer, but stays alive', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => undefined);
    const deadApp = buildStatusApi({
      state: new StateStore(deadRedis, namespace, clock),
      producer,
      tokens,
      tenants,
    });
    try {
      assertError(await deadApp.inject({ method: 'GET', url: '/readyz' }), 503, 'redis-unavailable');
      const live = await deadApp.inject({ method: 'GET', url: '/healthz' });
      assert.equal(live.statusCode, 200);
    } finally {
      await deadApp.close();
      deadRedis.disconnect();
    }
  });

  it('exports a Prometheus gauge per queue and state, without a token', async () => {
    await producer.add('sweep-tenant', { tenantId: 'acme' }, { jobId: 'metrics-sweep' });
    const response = await get('/metrics', {});
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    const lines = response.body.trimEnd().split('\n');
    assert.ok(lines.includes('# TYPE callintake_queue_jobs gauge'));
    for (const queue of QUEUE_NAMES) {
      for (const jobState of ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed']) {
        const matching = lines.filter((line) =>
          new RegExp(`^callintake_queue_jobs\\{queue="${queue}",state="${jobState}"\\} \\d+$`).test(line),
        );
        assert.equal(matching.length, 1, `one line for ${queue} ${jobState}`);
      }
    }
    assert.ok(lines.includes('callintake_queue_jobs{queue="retention",state="waiting"} 1'));
    assert.ok(lines.includes('callintake_queue_jobs{queue="intake-scan",state="waiting"} 0'));
    assert.ok(lines.includes('callintake_queue_backlog{queue="retention"} 1'));
    assert.ok(lines.includes('callintake_queue_oldest_waiting_seconds{queue="intake-scan"} 0'));
    const age = lines.find((line) =>
      line.startsWith('callintake_queue_oldest_waiting_seconds{queue="retention"}'),
    );
    assert.match(age ?? '', /^callintake_queue_oldest_waiting_seconds\{queue="retention"\} \d+\.\d{3}$/);
    assert.ok(Number(age?.split(' ')[1]) < 60, 'the job was added moments ago');
    await producer.queue('retention').remove('metrics-sweep');
  });
});

describe('documentation', () => {
  it('serves an OpenAPI document with every route, without a token', async () => {
    const response = await get('/openapi.json', {});
    assert.equal(response.statusCode, 200);
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    assert.match(document.openapi, /^3\./);
    assert.deepEqual(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method} ${path}`),
      ),
      [
        'get /healthz',
        'get /readyz',
        'get /metrics',
        'get /v1/queues',
        'get /v1/tenants/{tenant}/calls',
        'get /v1/tenants/{tenant}/calls/{callId}',
        'post /v1/tenants/{tenant}/calls/{callId}/pair',
        'get /v1/tenants/{tenant}/files',
        'get /v1/tenants/{tenant}/files/{fileName}',
        'post /v1/tenants/{tenant}/files/{fileName}/retry',
        'get /v1/tenants/{tenant}/crm/{objectType}/{id}',
        'post /v1/tenants/{tenant}/recordings',
        'get /v1/tenants',
        'get /v1/tenants/{tenant}/overview',
      ],
    );
    // Every documented route exists (a made-up tenant is refused, never "no route").
    for (const [path, operations] of Object.entries(document.paths)) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      for (const method of Object.keys(operations)) {
        const answer = await app.inject({
          method: method.toUpperCase() as 'GET' | 'POST',
          url,
          headers: ALL,
        });
        assert.ok(!answer.body.includes('no route'), `${method} ${url}: ${answer.body}`);
      }
    }
  });

  it('serves swagger-ui at /docs from its own files (no CDN), reading the same document', async () => {
    const page = await get('/docs', {});
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self';/);
    assert.match(page.body, /<title>callintake status API<\/title>/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url as string);
    assert.ok(assets.includes('/docs/static/swagger-ui-bundle.js'), assets.join(' '));
    for (const url of assets) {
      assert.match(url, /^\/docs\/static\//, 'served here, not from a CDN');
      const asset = await get(url, {});
      assert.equal(asset.statusCode, 200, url);
    }
    const initializer = (await get('/docs/static/swagger-initializer.js', {})).body;
    assert.match(initializer, /resolveUrl\('\.\/json'\)/);
    // No badge from the public validator service.
    assert.match(initializer, /validatorUrl: null/);
    assert.deepEqual((await get('/docs/json', {})).json(), (await get('/openapi.json', {})).json());
  });
});

describe('calls', () => {
  const expectedIds = ACME_CALLS.map(([id]) => id);

  it('lists calls newest first', async () => {
    const response = await get('/v1/tenants/acme/calls');
    assert.equal(response.statusCode, 200);
    const page = response.json<{ items: Call[]; nextCursor: string | null }>();
    assert.deepEqual(
      page.items.map((c) => c.id),
      expectedIds,
    );
    assert.equal(page.nextCursor, null);
  });

  it('filters by status, still newest first', async () => {
    for (const status of ['ready', 'awaiting_metadata', 'expired'] as const) {
      const response = await get(`/v1/tenants/acme/calls?status=${status}`);
      assert.equal(response.statusCode, 200);
      const page = response.json<{ items: Call[]; nextCursor: string | null }>();
      assert.deepEqual(
        page.items.map((c) => c.id),
        ACME_CALLS.filter(([, , s]) => s === status).map(([id]) => id),
      );
      assert.ok(page.items.every((c) => c.status === status));
    }
  });

  async function walk(url: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = url.includes('?') ? '&' : '?';
      const cursorParam: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await get(`${url}${separator}limit=${limit}${cursorParam}`);
      assert.equal(response.statusCode, 200, response.body);
      const page = response.json<{
        items: Array<{ id?: string; name?: string }>;
        nextCursor: string | null;
      }>();
      assert.ok(page.items.length <= limit);
      if (page.nextCursor !== null) assert.equal(page.items.length, limit, 'only the last page is short');
      ids.push(...page.items.map((item) => (item.id ?? item.name) as string));
      cursor = page.nextCursor;
      pages++;
      assert.ok(pages <= 100, 'pagination ends');
    } while (cursor);
    return { ids, pages };
  }

  it('pages with limit and cursor, reaching every call exactly once', async () => {
    for (const limit of [1, 2, 3, 4, 10, 11, 12]) {
      const { ids, pages } = await walk('/v1/tenants/acme/calls', limit);
      assert.deepEqual(ids, expectedIds, `limit ${limit}`);
      assert.equal(pages, Math.max(1, Math.ceil(expectedIds.length / limit)), `pages at limit ${limit}`);
    }
    const ready = await walk('/v1/tenants/acme/calls?status=ready', 2);
    assert.deepEqual(
      ready.ids,
      ACME_CALLS.filter(([, , s]) => s === 'ready').map(([id]) => id),
    );
  });

  it('pages through many calls sharing one call time without losing or repeating any', async () => {
    const all = Array.from({ length: GLOBEX_TIED_CALLS }, (_, i) => `G-${String(i).padStart(3, '0')}`);
    for (const limit of [7, 50]) {
      const { ids } = await walk('/v1/tenants/globex/calls', limit);
      assert.equal(new Set(ids).size, ids.length, `no repeats at limit ${limit}`);
      assert.deepEqual([...ids].sort(), all, `every call at limit ${limit}`);
    }
  });

  it('serves 50 by default', async () => {
    const page = (await get('/v1/tenants/globex/calls')).json<{ items: Call[]; nextCursor: string | null }>();
    assert.equal(page.items.length, 50);
    assert.equal(typeof page.nextCursor, 'string');
  });

  it('refuses a bad limit, status or cursor with 400 invalid-request', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=abc',
      'limit=1.5',
      'limit=-3',
      'limit=',
      'limit=1&limit=2',
    ]) {
      assertError(await get(`/v1/tenants/acme/calls?${query}`), 400, 'invalid-request');
    }
    assert.equal((await get('/v1/tenants/acme/calls?limit=500')).statusCode, 200);
    assertError(await get('/v1/tenants/acme/calls?status=done'), 400, 'invalid-request');
    assertError(await get('/v1/tenants/acme/calls?status=READY'), 400, 'invalid-request');
    const notJson = Buffer.from('not json').toString('base64url');
    const wrongShape = Buffer.from(JSON.stringify([1, 2])).toString('base64url');
    for (const cursor of ['garbage!', notJson, wrongShape]) {
      assertError(await get(`/v1/tenants/acme/calls?cursor=${cursor}`), 400, 'invalid-request');
    }
  });

  it('answers one call, or 404 not-found', async () => {
    const [id, callTime, status] = ACME_CALLS[0] as [string, string, CallStatus];
    const response = await get(`/v1/tenants/acme/calls/${id}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), call(id, callTime, status));
    assertError(await get('/v1/tenants/acme/calls/no-such-call'), 404, 'not-found');
    // Another tenant's call is not visible under this tenant.
    assertError(await get('/v1/tenants/acme/calls/G-000'), 404, 'not-found');
  });
});

describe('files', () => {
  it('lists assets newest first, filtered by state', async () => {
    const all = (await get('/v1/tenants/acme/files')).json<{ items: Asset[]; nextCursor: string | null }>();
    assert.deepEqual(
      all.items.map((a) => a.name),
      ['calls.csv', UNICODE_FILE, 'broken.wav', 'first.wav'],
    );
    assert.equal(all.nextCursor, null);

    const rejected = (await get('/v1/tenants/acme/files?state=rejected')).json<{ items: Asset[] }>();
    assert.deepEqual(
      rejected.items.map((a) => [a.name, a.state, a.reason?.code]),
      [['broken.wav', 'rejected', 'corrupt-media']],
    );
    const pending = (await get('/v1/tenants/acme/files?state=pending')).json<{ items: Asset[] }>();
    assert.deepEqual(
      pending.items.map((a) => a.name),
      [UNICODE_FILE],
    );
    const purged = (await get('/v1/tenants/acme/files?state=purged')).json<{ items: Asset[] }>();
    assert.deepEqual(purged.items, []);

    const firstPage = (await get('/v1/tenants/acme/files?limit=3')).json<{
      items: Asset[];
      nextCursor: string;
    }>();
    const secondPage = (
      await get(`/v1/tenants/acme/files?limit=3&cursor=${encodeURIComponent(firstPage.nextCursor)}`)
    ).json<{ items: Asset[]; nextCursor: string | null }>();
    assert.deepEqual(
      [...firstPage.items, ...secondPage.items].map((a) => a.name),
      all.items.map((a) => a.name),
    );
    assert.equal(secondPage.nextCursor, null);
  });

  it('pages through files first seen in the same millisecond, whatever their names', async () => {
    // Redis orders ties by UTF-8 bytes, which differs from JS string order past U+FFFF.
    const names = ['😀 call.wav', '！call.wav', 'a.wav', 'Z.wav', 'é.wav', 'a b.wav', '日本.wav', '𝄞.wav'];
    for (const name of names) {
      await state.assets.recordVersion('globex', name, 'recording', {
        versionId: '1-1',
        sizeBytes: 1,
        modifiedAt: clock.now().toISOString(),
        location: `data/${name}`,
      });
    }
    for (const limit of [1, 2, 3]) {
      const served: string[] = [];
      let cursor: string | null = null;
      do {
        const cursorParam: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const response = await get(`/v1/tenants/globex/files?limit=${limit}${cursorParam}`);
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json<{ items: Asset[]; nextCursor: string | null }>();
        served.push(...page.items.map((a) => a.name));
        cursor = page.nextCursor;
      } while (cursor && served.length <= names.length);
      assert.deepEqual([...served].sort(), [...names].sort(), `limit ${limit}`);
    }
  });

  it('refuses an unknown state or bad paging with 400 invalid-request', async () => {
    assertError(await get('/v1/tenants/acme/files?state=done'), 400, 'invalid-request');
    assertError(await get('/v1/tenants/acme/files?limit=0'), 400, 'invalid-request');
    assertError(await get('/v1/tenants/acme/files?cursor=garbage!'), 400, 'invalid-request');
  });

  it('answers one asset by URL-encoded name (spaces, unicode, # and %), or 404 not-found', async () => {
    const response = await get(`/v1/tenants/acme/files/${encodeURIComponent(UNICODE_FILE)}`);
    assert.equal(response.statusCode, 200, response.body);
    const asset = response.json<Asset>();
    assert.equal(asset.name, UNICODE_FILE);
    assert.equal(asset.kind, 'recording');
    assert.equal(asset.state, 'pending');
    assert.deepEqual(
      asset.versions.map((v) => [v.number, v.versionId]),
      [
        [1, '1000-3'],
        [2, '1001-4'],
      ],
    );

    const processed = (await get('/v1/tenants/acme/files/first.wav')).json<Asset>();
    assert.equal(processed.state, 'processed');
    assert.deepEqual(processed.callIds, ['20240305-150000_outbound_1001']);
    assert.equal(typeof processed.firstSeenAt, 'string');

    const rejected = (await get('/v1/tenants/acme/files/broken.wav')).json<Asset>();
    assert.deepEqual(rejected.reason, { code: 'corrupt-media', message: 'no RIFF header' });

    assertError(await get(`/v1/tenants/acme/files/${encodeURIComponent('nope 日本.wav')}`), 404, 'not-found');
  });
});

describe('crm', () => {
  it('answers one CRM object, 404 for a missing id and 400 for an unknown object type', async () => {
    const response = await get('/v1/tenants/acme/crm/contacts/C-1');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      type: 'contacts',
      id: 'C-1',
      record: { id: 'C-1', name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    assertError(await get('/v1/tenants/acme/crm/contacts/C-404'), 404, 'not-found');
    assertError(await get('/v1/tenants/acme/crm/leads/C-1'), 404, 'not-found');
    assertError(await get('/v1/tenants/acme/crm/widgets/C-1'), 400, 'invalid-request');
  });
});

describe('registering recordings', () => {
  const post = (payload: unknown, headers: Record<string, string> = ALL, tenant = 'acme') =>
    app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/recordings`,
      headers,
      payload: payload as object,
    });

  it('accepts a recording (202), stores it and enqueues match-recording on call-match', async () => {
    const response = await post({
      externalId: 'CRM-CALL-42',
      location: 's3://recordings/crm-call-42.wav',
      source: 'dialer',
      container: 'wav',
      codec: 'pcm_s16le',
      durationSec: 12.5,
      channels: 2,
      sampleRateHz: 8000,
      sizeBytes: 200044,
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(response.json(), { callId: 'CRM-CALL-42', status: 'accepted' });

    const job = await producer.queue('call-match').getJob(jobId('acme', 'registered', 'CRM-CALL-42'));
    assert.ok(job, 'match-recording job with id acme/registered/CRM-CALL-42');
    assert.equal(job.id, 'acme/registered/CRM-CALL-42');
    assert.equal(job.name, 'match-recording');
    assert.deepEqual(job.data, {
      tenantId: 'acme',
      fileName: 'CRM-CALL-42',
    });

    const recording = await state.recordings.get('acme', 'CRM-CALL-42');
    assert.ok(recording);
    assert.equal(recording.archiveUri, 's3://recordings/crm-call-42.wav');
    assert.deepEqual(recording.facts, {
      container: 'wav',
      codec: 'pcm_s16le',
      durationSec: 12.5,
      channels: 2,
      speakerSeparation: 'channels',
      sampleRateHz: 8000,
      sizeBytes: 200044,
      probed: false,
    });
    assert.deepEqual(recording.name, { pattern: 'external-id', externalId: 'CRM-CALL-42', source: 'dialer' });
    assert.deepEqual(await state.names.lookup('acme', pairingKey('CRM-CALL-42')), {
      recording: 'CRM-CALL-42',
    });

    // Registering again is idempotent: one job.
    assert.equal(
      (await post({ externalId: 'CRM-CALL-42', location: 's3://recordings/crm-call-42.wav' })).statusCode,
      202,
    );
    const jobs = await producer.queue('call-match').getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    assert.equal(jobs.filter((j) => j.id === 'acme/registered/CRM-CALL-42').length, 1);
  });

  it('makes a valid job id from an external id with a colon, and needs only the two required fields', async () => {
    const response = await post({ externalId: 'zoom:987', location: 'https://example.com/987.m4a' }, ACME);
    assert.equal(response.statusCode, 202, response.body);
    const job = await producer.queue('call-match').getJob('acme/registered/zoom%3A987');
    assert.ok(job);
    const recording = await state.recordings.get('acme', 'zoom:987');
    assert.deepEqual(recording?.facts, { container: 'unknown', sizeBytes: 0, probed: false });
  });

  it('refuses a bad body with 400 and the JSON error shape', async () => {
    const bad: unknown[] = [
      {},
      { externalId: 'x' },
      { location: 's3://b/k' },
      { externalId: '', location: 's3://b/k' },
      { externalId: 'x', location: '' },
      { externalId: 'x', location: 's3://b/k', channels: 0 },
      { externalId: 'x', location: 's3://b/k', channels: 1.5 },
      { externalId: 'x', location: 's3://b/k', durationSec: -1 },
      { externalId: 'x', location: 's3://b/k', sizeBytes: 'big' },
      { externalId: 'x', location: 's3://b/k', unknownField: true },
      { externalId: 'x'.repeat(513), location: 's3://b/k' },
      ['x', 's3://b/k'],
    ];
    for (const payload of bad) assertError(await post(payload), 400, 'invalid-request');
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/recordings',
      headers: { ...ALL, 'content-type': 'application/json' },
      payload: '{"externalId": ',
    });
    assertError(malformed, 400, 'invalid-request');
    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/recordings',
      headers: { ...ALL, 'content-type': 'text/plain' },
      payload: 'externalId=x',
    });
    assert.ok(notJson.statusCode >= 400 && notJson.statusCode < 500);
    assertError(notJson, notJson.statusCode, 'invalid-request');
    const tooLarge = await post({ externalId: 'x', location: 'y'.repeat(2 * 1024 * 1024) });
    assertError(tooLarge, 413, 'invalid-request');
    assert.equal(await producer.queue('call-match').getJob(jobId('acme', 'registered', 'x')), undefined);
  });

  it('checks the token before the body', async () => {
    assertError(await post({}, {}), 401, 'unauthorized');
    assertError(await post({ bogus: 1 }, { authorization: 'Bearer wrong' }), 401, 'unauthorized');
    assertError(await post({}, ACME, 'globex'), 403, 'forbidden');
    const valid = { externalId: 'G-1', location: 's3://b/g-1.wav' };
    assertError(await post(valid, ACME, 'globex'), 403, 'forbidden');
    assertError(await post(valid, ALL, 'initech'), 404, 'unknown-tenant');
    assert.equal(await producer.queue('call-match').getJob(jobId('globex', 'registered', 'G-1')), undefined);
  });
});

describe('queues', () => {
  it('answers counts per queue for any valid token', async () => {
    await producer.add('scan-source', { tenantId: 'acme' }, { jobId: 'queues-scan' });
    await producer.add(
      'scan-source',
      { tenantId: 'globex' },
      { jobId: 'queues-scan-later', delayMs: 60_000 },
    );
    for (const headers of [ALL, ACME]) {
      const response = await get('/v1/queues', headers);
      assert.equal(response.statusCode, 200);
      const { items } = response.json<{ items: Array<Record<string, unknown>> }>();
      assert.deepEqual(
        items.map((q) => q['name']),
        [...QUEUE_NAMES],
      );
      for (const queue of items) {
        for (const count of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
          assert.equal(typeof queue[count], 'number', `${String(queue['name'])} ${count}`);
        }
      }
      const scan = items.find((q) => q['name'] === 'intake-scan');
      assert.equal(scan?.['waiting'], 1);
      assert.equal(scan?.['delayed'], 1);
    }
    await producer.queue('intake-scan').remove('queues-scan');
    await producer.queue('intake-scan').remove('queues-scan-later');
  });

  it('needs a valid token', async () => {
    assertError(await get('/v1/queues', {}), 401, 'unauthorized');
    assertError(await get('/v1/queues', { authorization: 'Bearer wrong' }), 401, 'unauthorized');
  });
});

describe('auth on every tenant route', () => {
  const routes = (tenant: string) => [
    `/v1/tenants/${tenant}/calls`,
    `/v1/tenants/${tenant}/calls/G-000`,
    `/v1/tenants/${tenant}/files`,
    `/v1/tenants/${tenant}/files/first.wav`,
    `/v1/tenants/${tenant}/crm/contacts/C-1`,
  ];

  it('401 unauthorized without a valid bearer token', async () => {
    const badHeaders: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer all ' },
      { authorization: 'Basic YWxsOg==' },
      { authorization: 'all' },
    ];
    for (const url of routes('acme')) {
      for (const headers of badHeaders) assertError(await get(url, headers), 401, 'unauthorized');
    }
  });

  it('403 forbidden for a tenant outside the token scope, known or not', async () => {
    for (const url of [...routes('globex'), ...routes('initech')]) {
      assertError(await get(url, ACME), 403, 'forbidden');
    }
  });

  it('404 unknown-tenant for a tenant that does not exist, with a * token', async () => {
    for (const url of routes('initech')) assertError(await get(url, ALL), 404, 'unknown-tenant');
  });

  it('lets a token scoped to several tenants (a+b) read each of them and no other', async () => {
    const BOTH = { authorization: 'Bearer both' };
    for (const url of [...routes('acme'), ...routes('globex')]) {
      const response = await get(url, BOTH);
      assert.ok([200, 404].includes(response.statusCode), `${url}: ${response.body}`);
      if (response.statusCode === 404) assertError(response, 404, 'not-found');
    }
    for (const url of routes('initech')) assertError(await get(url, BOTH), 403, 'forbidden');
  });

  it('lets the scoped token read its own tenant and the * token read any', async () => {
    assert.equal((await get('/v1/tenants/acme/calls', ACME)).statusCode, 200);
    assert.equal((await get('/v1/tenants/globex/calls/G-000', ALL)).statusCode, 200);
    assert.equal((await get('/v1/tenants/acme/files/first.wav', ACME)).statusCode, 200);
  });
});

describe('answers', () => {
  it('match the response schemas of the document, for every request of this file', () => {
    assert.ok(responses.checked.size > 20, [...responses.checked.keys()].join(', '));
    assert.deepEqual(responses.problems, []);
  });
});

describe('unknown routes', () => {
  it('answers 404 not-found in the JSON error shape', async () => {
    assertError(await get('/nope', {}), 404, 'not-found');
    assertError(await get('/v1/tenants/acme/nope'), 404, 'not-found');
    assertError(
      await app.inject({ method: 'DELETE', url: '/v1/tenants/acme/calls', headers: ALL }),
      404,
      'not-found',
    );
  });
});
