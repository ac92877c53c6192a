// POST /v1/tenants/:tenant/calls/:callId/pair against real Redis: the API checks the request
// against the stored calls, recordings and metadata records and queues one `pair-by-hand` job
// for the matcher (idempotent by pair); every refusal has its own stable code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseApiTokens } from '@callintake/config';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import type { Call, CallStatus } from '@callintake/schemas';
import {
  manualClock,
  StateStore,
  type MetadataRecord,
  type RecordingRecord,
  type RedisClient,
} from '@callintake/state';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { buildStatusApi } from './app';
import { checkResponses, type ResponseCheck } from './response-check';

const namespace = uniqueNamespace('status-pair');
const ACME = { authorization: 'Bearer acme' };
const NOW = '2024-03-12T10:00:00.000Z';
let root: Awaited<ReturnType<typeof tempDir>>;
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let app: FastifyInstance;
/** Every answer is checked against its route's documented schema. */
let responses: ResponseCheck;

before(async () => {
  root = await tempDir('status-pair');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, manualClock(new Date(NOW)));
  app = buildStatusApi({
    state,
    producer,
    tokens: parseApiTokens('acme:acme'),
    tenants: new Map([
      ['acme', localTenant(root.path)],
      ['globex', localTenant(root.path, { id: 'globex' })],
    ]),
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

/** A captured recording; with `callId`, in that call. */
async function recording(fileName: string, callId?: string): Promise<RecordingRecord> {
  const record: RecordingRecord = {
    tenantId: 'acme',
    fileName,
    versionId: `10-${fileName.length}`,
    version: 1,
    facts: { container: 'wav', sizeBytes: 10, probed: true },
    archiveUri: `file:///archive/${fileName}`,
    sha256: fileName,
    name: { pattern: 'timestamp', timestamp: '2024-03-12T09:30:00.000Z', uid: 'jdoe' },
    warnings: [],
    capturedAt: NOW,
    ...(callId ? { callId } : {}),
  };
  await state.recordings.put(record, fileName.replace(/\.[^.]+$/, '').toLowerCase());
  return record;
}

/** A metadata record: a single-record file, or with `line` a row of a batch CSV. */
async function metadata(fileName: string, options: { line?: number; callId?: string } = {}) {
  const record: MetadataRecord = {
    tenantId: 'acme',
    recordId: options.line === undefined ? fileName : `${fileName}#${options.line}`,
    fileName,
    version: 1,
    ...(options.line !== undefined ? { line: options.line } : {}),
    fields: { email: 'jdoe@acme.test' },
    canonical: { callTime: '2024-03-12T09:30:00.000Z', userId: 'jdoe@acme.test' },
    sha256: fileName,
    receivedAt: NOW,
    ...(options.callId ? { callId: options.callId } : {}),
  };
  await state.metadata.putMany([{ record }]);
  return record;
}

async function call(
  id: string,
  status: CallStatus,
  parts: { recording?: RecordingRecord; metadata?: MetadataRecord; match?: Call['match'] },
): Promise<void> {
  await state.calls.mutate('acme', id, () => ({
    id,
    tenantId: 'acme',
    status,
    ...(parts.recording
      ? {
          recording: {
            fileName: parts.recording.fileName,
            ...parts.recording.facts,
            archiveUri: parts.recording.archiveUri,
          },
        }
      : {}),
    ...(parts.metadata
      ? {
          metadata: {
            fileName: parts.metadata.fileName,
            version: 1,
            ...(parts.metadata.line !== undefined ? { line: parts.metadata.line } : {}),
            fields: parts.metadata.fields,
          },
        }
      : {}),
    crm: {},
    ...(parts.match ? { match: parts.match } : {}),
    warnings: [],
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
  }));
}

const pair = (callId: string, payload: unknown, tenant = 'acme', headers: Record<string, string> = ACME) =>
  app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/calls/${encodeURIComponent(callId)}/pair`,
    headers,
    payload: payload as Record<string, unknown>,
  });

function assertError(response: Awaited<ReturnType<typeof pair>>, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.json<{ error: { code: string } }>().error.code, code, response.body);
}

async function pairJobs() {
  const jobs = await producer.queue('call-match').getJobs(['waiting', 'prioritized', 'delayed']);
  return jobs
    .filter((job) => job.name === 'pair-by-hand')
    .map((job) => ({ id: job.id, data: job.data as unknown }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

void describe('POST /v1/tenants/:tenant/calls/:callId/pair', () => {
  void it('queues one pair-by-hand job for an ambiguous call and any recording of the tenant', async () => {
    const listed = await recording('20240312-092900_out_jdoe.wav', '20240312-092900_out_jdoe');
    await call('20240312-092900_out_jdoe', 'awaiting_metadata', { recording: listed });
    // Not among the candidates, and in no call yet: a person may still name it.
    await recording('20240312-120000_in_other.wav');
    const record = await metadata('crmexport-2.json', { callId: 'crmexport-2' });
    await call('crmexport-2', 'ambiguous', {
      metadata: record,
      match: { method: 'fuzzy', score: 0.654, details: { candidates: [] } },
    });

    const first = await pair('crmexport-2', { recording: '20240312-092900_out_jdoe.wav' });
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), {
      jobId: 'acme/pair-by-hand/20240312-092900_out_jdoe.wav/crmexport-2.json',
      callId: 'crmexport-2',
      pairedCallId: '20240312-092900_out_jdoe',
      recording: '20240312-092900_out_jdoe.wav',
      metadata: { fileName: 'crmexport-2.json' },
      status: 'queued',
    });
    const again = await pair('crmexport-2', { recording: '20240312-092900_out_jdoe.wav' });
    assert.deepEqual(again.json(), first.json(), 'asking again answers the same');
    const other = await pair('crmexport-2', { recording: '20240312-120000_in_other.wav' });
    assert.equal(other.statusCode, 202, other.body);

    assert.deepEqual(await pairJobs(), [
      {
        id: 'acme/pair-by-hand/20240312-092900_out_jdoe.wav/crmexport-2.json',
        data: {
          tenantId: 'acme',
          callId: 'crmexport-2',
          recordingFile: '20240312-092900_out_jdoe.wav',
          recordId: 'crmexport-2.json',
        },
      },
      {
        id: 'acme/pair-by-hand/20240312-120000_in_other.wav/crmexport-2.json',
        data: {
          tenantId: 'acme',
          callId: 'crmexport-2',
          recordingFile: '20240312-120000_in_other.wav',
          recordId: 'crmexport-2.json',
        },
      },
    ]);
  });

  void it('pairs a recording waiting for metadata with a row of a batch CSV, named by file and line', async () => {
    const waiting = await recording('20240312-080000_in_ann.wav', '20240312-080000_in_ann');
    await call('20240312-080000_in_ann', 'awaiting_metadata', { recording: waiting });
    const row = await metadata('batch.csv', { line: 3, callId: 'batch-3' });
    await call('batch-3', 'awaiting_recording', { metadata: row });

    const response = await pair('20240312-080000_in_ann', { metadata: 'batch.csv', line: 3 });
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(response.json<{ metadata: unknown }>().metadata, { fileName: 'batch.csv', line: 3 });
    assert.ok(
      (await pairJobs()).some((job) => job.id === 'acme/pair-by-hand/20240312-080000_in_ann.wav/batch.csv#3'),
    );

    assertError(await pair('20240312-080000_in_ann', { metadata: 'batch.csv' }), 404, 'partner-not-found');
    assertError(
      await pair('20240312-080000_in_ann', { metadata: 'batch.csv', line: 9 }),
      404,
      'partner-not-found',
    );
  });

  void it('answers 404 not-found for an unknown call and partner-not-found for an unknown other side', async () => {
    assertError(await pair('no-such-call', { recording: 'x.wav' }), 404, 'not-found');
    const record = await metadata('lonely.json', { callId: 'lonely' });
    await call('lonely', 'awaiting_recording', { metadata: record });
    assertError(await pair('lonely', { recording: 'never-uploaded.wav' }), 404, 'partner-not-found');
  });

  void it('answers 409 not-pairable for a call that is ready or expired', async () => {
    const done = await recording('20240312-070000_in_done.wav', '20240312-070000_in_done');
    const doneMetadata = await metadata('20240312-070000_in_done.json', {
      callId: '20240312-070000_in_done',
    });
    await call('20240312-070000_in_done', 'ready', { recording: done, metadata: doneMetadata });
    const spare = await recording('20240312-070100_in_spare.wav');
    const response = await pair('20240312-070000_in_done', { recording: spare.fileName });
    assertError(response, 409, 'not-pairable');
    assert.match(response.json<{ error: { message: string } }>().error.message, /is ready/);

    const old = await metadata('old.json', { callId: 'old' });
    await call('old', 'expired', { metadata: old });
    assertError(await pair('old', { recording: spare.fileName }), 409, 'not-pairable');
  });

  void it('answers 409 partner-taken when the other side is already in a call with both sides', async () => {
    const taken = await recording('20240312-060000_in_taken.wav', '20240312-060000_in_taken');
    const takenMetadata = await metadata('taken.json', { callId: '20240312-060000_in_taken' });
    await call('20240312-060000_in_taken', 'ready', { recording: taken, metadata: takenMetadata });
    const waiting = await metadata('waiting.json', { callId: 'waiting' });
    await call('waiting', 'ambiguous', { metadata: waiting });
    const byRecording = await pair('waiting', { recording: taken.fileName });
    assertError(byRecording, 409, 'partner-taken');
    assert.match(byRecording.json<{ error: { message: string } }>().error.message, /taken\.json/);

    const alone = await recording('20240312-060500_in_alone.wav', '20240312-060500_in_alone');
    await call('20240312-060500_in_alone', 'awaiting_metadata', { recording: alone });
    assertError(await pair('20240312-060500_in_alone', { metadata: 'taken.json' }), 409, 'partner-taken');

    // Claimed by another record's fuzzy pair (its call not assembled yet): taken as well.
    const claimed = await recording('20240312-061000_in_claimed.wav');
    await state.fuzzy.claimPair('acme', claimed.fileName, { recordId: 'someone-else.json', score: 0.9 });
    assertError(await pair('waiting', { recording: claimed.fileName }), 409, 'partner-taken');
  });

  void it('answers 400 invalid-request for a body that names the wrong side, both sides or neither', async () => {
    const record = await metadata('side.json', { callId: 'side' });
    await call('side', 'awaiting_recording', { metadata: record });
    await recording('20240312-050000_in_side.wav');
    assertError(await pair('side', { metadata: 'other.json' }), 400, 'invalid-request');
    assertError(
      await pair('side', { recording: '20240312-050000_in_side.wav', metadata: 'side.json' }),
      400,
      'invalid-request',
    );
    assertError(await pair('side', {}), 400, 'invalid-request');
    assertError(await pair('side', { recording: '' }), 400, 'invalid-request');
    assertError(
      await pair('side', { recording: '20240312-050000_in_side.wav', note: 'x' }),
      400,
      'invalid-request',
    );
  });

  void it('needs a token, and one whose scope holds the tenant, like every tenant route', async () => {
    assertError(await pair('side', { recording: 'x.wav' }, 'acme', {}), 401, 'unauthorized');
    assertError(await pair('side', { recording: 'x.wav' }, 'globex'), 403, 'forbidden');
  });
});

void describe('answers', () => {
  void it('match the response schemas of the document', () => {
    assert.ok(responses.checked.size > 0);
    assert.deepEqual(responses.problems, []);
  });
});
