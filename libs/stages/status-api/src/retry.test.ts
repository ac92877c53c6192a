// POST /v1/tenants/:tenant/files/:fileName/retry against real Redis: a failed or rejected file
// goes back to pending with a job under a new id (`/r1`), asking again while it is pending
// queues the same job (idempotent), anything else answers 409 not-retryable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { recordJobFailure, transitionVersion } from '@callintake/asset-lifecycle';
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
import { checkResponses, type ResponseCheck } from './response-check';

const namespace = uniqueNamespace('status-retry');
const ACME = { authorization: 'Bearer acme' };
let root: Awaited<ReturnType<typeof tempDir>>;
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let app: FastifyInstance;
/** Every answer is checked against its route's documented schema. */
let responses: ResponseCheck;

before(async () => {
  root = await tempDir('status-retry');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, manualClock(new Date('2024-03-12T10:00:00Z')));
  app = buildStatusApi({
    state,
    producer,
    tokens: parseApiTokens('acme:acme'),
    tenants: new Map([['acme', localTenant(root.path)]]),
  });
  responses = checkResponses(app);
  await app.ready();
});
after(async () => {
  await app.close();
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await root.remove();
});

async function seen(fileName: string, kind: 'recording' | 'call-metadata' = 'recording') {
  const versionId = `10-${fileName.length}`;
  await state.assets.recordVersion('acme', fileName, kind, {
    versionId,
    sizeBytes: 10,
    modifiedAt: '2024-03-12T09:00:00.000Z',
    location: `data/${fileName}`,
  });
  return { tenantId: 'acme', fileName, versionId };
}

const retry = (fileName: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/tenants/acme/files/${encodeURIComponent(fileName)}/retry`,
    headers: ACME,
  });

void describe('POST /v1/tenants/:tenant/files/:fileName/retry', () => {
  void it('retries a failed file under a new job id, and again idempotently while it waits', async () => {
    const ref = await seen('broken-archive.wav');
    await recordJobFailure(state, ref, {
      attempt: 8,
      attempts: 8,
      final: true,
      error: new Error('EEXIST: /srv/archive/acme/x'),
    });
    const failed = await state.assets.get('acme', ref.fileName);
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.reason?.code, 'processing-failed');
    assert.match(failed?.reason?.message ?? '', /^failed after 8 of 8 attempts: EEXIST: …\/acme\/x$/);
    assert.deepEqual(failed?.versions[0]?.attempts?.count, 8);

    const first = await retry(ref.fileName);
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { file: ref.fileName, version: 1, state: 'pending', retries: 1 });
    const again = await retry(ref.fileName);
    assert.equal(again.statusCode, 202, again.body);
    assert.deepEqual(again.json(), first.json());

    const queue = producer.queue('media-probe');
    const jobs = await queue.getJobs(['prioritized', 'waiting']);
    assert.deepEqual(
      jobs.map((job) => job.id),
      [`acme/${ref.fileName}/${ref.versionId}/r1`],
    );
    const pending = await state.assets.get('acme', ref.fileName);
    assert.equal(pending?.state, 'pending');
    assert.equal(pending?.reason, undefined);
    assert.equal(pending?.versions[0]?.attempts, undefined, 'a retry starts its attempts over');
  });

  void it('retries a rejected file; refuses one that is processed, pending or unknown', async () => {
    const rejected = await seen('bad.json', 'call-metadata');
    await transitionVersion(state, rejected, 'reject', { reason: { code: 'invalid-value', message: 'no' } });
    assert.equal((await retry('bad.json')).statusCode, 202);

    const processed = await seen('done.wav');
    await transitionVersion(state, processed, 'capture');
    const refused = await retry('done.wav');
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'not-retryable');
    assert.match(
      refused.json<{ error: { message: string } }>().error.message,
      /version 1 of done\.wav is processed/,
    );

    await seen('waiting.wav');
    assert.equal((await retry('waiting.wav')).statusCode, 409);
    assert.equal((await retry('nope.wav')).statusCode, 404);
  });

  void it('needs a token like every tenant route', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/tenants/acme/files/x.wav/retry' });
    assert.equal(response.statusCode, 401);
  });
});

void describe('answers', () => {
  void it('match the response schemas of the document', () => {
    assert.ok(responses.checked.size > 0);
    assert.deepEqual(responses.problems, []);
  });
});
