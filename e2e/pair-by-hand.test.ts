// Resolving calls by hand end to end (e2e/support/world.ts): files into data/, the status API's
// `POST …/calls/:callId/pair` queues a `pair-by-hand` job, the matcher's handler runs it like a
// worker would. Also the other way out of `ambiguous`: expiry by the retention sweep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApiTokens } from '@callintake/config';
import { handleMatchMetadata, handleMatchRecording, handlePairByHand } from '@callintake/matcher';
import { jobId } from '@callintake/queues';
import { handleSweepTenant } from '@callintake/retention';
import { buildStatusApi } from '@callintake/status-api';
import { silentLogger } from '@callintake/telemetry';
import { metadataJson, pipelineHarness, wav, type World } from './support/world';

const harness = pipelineHarness('pair-by-hand');
const world = harness.world;
const DAY = 24 * 3600_000;
const EVERYTHING = Date.parse('2030-01-01');
const context = { jobId: 'again', attempt: 2, logger: silentLogger() };
const crmExport = (datetime: string) => metadataJson({ filename: undefined, datetime });

/** Two recordings equally close to one CRM export: the call is left ambiguous. */
async function ambiguousWorld(overrides: Record<string, unknown> = {}): Promise<World> {
  const w = await world(overrides);
  await w.put('20240312-092900_out_jdoe.wav', wav);
  await w.put('20240312-093100_out_jdoe.wav', wav);
  await w.settle();
  await w.put('crmexport-2.json', crmExport('2024-03-12T09:30:00Z'));
  await w.settle();
  assert.equal((await w.state.calls.get(w.id, 'crmexport-2'))?.status, 'ambiguous');
  return w;
}

/** The status API's answer to a pair by hand (one app per request, as another service would). */
async function pairByHand(w: World, callId: string, body: Record<string, unknown>) {
  const api = buildStatusApi({
    state: w.state,
    producer: harness.producer,
    tokens: parseApiTokens('t:*'),
    tenants: new Map([[w.id, w.tenant]]),
  });
  try {
    const response = await api.inject({
      method: 'POST',
      url: `/v1/tenants/${w.id}/calls/${encodeURIComponent(callId)}/pair`,
      headers: { authorization: 'Bearer t' },
      payload: body,
    });
    return {
      status: response.statusCode,
      body: response.json<Record<string, unknown> & { error?: { code: string; message: string } }>(),
    };
  } finally {
    await api.close();
  }
}

const statuses = async (w: World) =>
  (await w.calls()).map((c) => [c.id, c.status, c.metadata?.fileName, c.match?.method]).sort();

describe('pairing an ambiguous call by hand', () => {
  it('makes it ready with the chosen recording, method manual; the other candidate stays unpaired', async () => {
    const w = await ambiguousWorld();
    const chosen = '20240312-093100_out_jdoe.wav';
    const answer = await pairByHand(w, 'crmexport-2', { recording: chosen });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body['pairedCallId'], '20240312-093100_out_jdoe');
    assert.equal(answer.body['jobId'], jobId(w.id, 'pair-by-hand', chosen, 'crmexport-2.json'));
    assert.equal(
      (await w.state.calls.get(w.id, 'crmexport-2'))?.status,
      'ambiguous',
      'the API only queues; the matcher pairs',
    );

    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-092900_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['20240312-093100_out_jdoe', 'ready', 'crmexport-2.json', 'manual'],
    ]);
    const call = await w.state.calls.get(w.id, '20240312-093100_out_jdoe');
    assert.equal(call?.recording?.fileName, chosen);
    assert.equal(call?.match?.score, 1);
    assert.equal(call?.match?.details?.['by'], 'status-api');
    const candidates = call?.match?.details?.['candidates'] as Array<{ recording: string; score: number }>;
    assert.deepEqual(
      candidates.map((c) => [c.recording, c.score]),
      [
        ['20240312-092900_out_jdoe.wav', 0.654],
        ['20240312-093100_out_jdoe.wav', 0.654],
      ],
      'the candidates fuzzy pairing had found are kept',
    );
    assert.deepEqual(await w.state.fuzzy.unpairedWithin(w.id, 0, EVERYTHING), [
      '20240312-092900_out_jdoe.wav',
    ]);
    assert.deepEqual(await w.state.fuzzy.waitingWithin(w.id, 0, EVERYTHING), []);
    assert.equal((await w.state.fuzzy.pairOf(w.id, chosen))?.recordId, 'crmexport-2.json');
    assert.deepEqual((await w.state.assets.get(w.id, 'crmexport-2.json'))?.callIds, [
      '20240312-093100_out_jdoe',
    ]);
    const ready = await harness.producer.queue('calls-ready').getJob(jobId(w.id, '20240312-093100_out_jdoe'));
    assert.equal((ready?.data as { match?: { method: string } } | undefined)?.match?.method, 'manual');

    // Redelivered jobs of either side, and of the pair itself, keep the pair exactly as it is.
    const version = call?.version;
    await handleMatchRecording(w.deps, { tenantId: w.id, fileName: chosen }, context);
    await handleMatchMetadata(w.deps, { tenantId: w.id, recordId: 'crmexport-2.json' }, context);
    await handlePairByHand(
      w.deps,
      { tenantId: w.id, callId: 'crmexport-2', recordingFile: chosen, recordId: 'crmexport-2.json' },
      context,
    );
    const again = await w.state.calls.get(w.id, '20240312-093100_out_jdoe');
    assert.equal(again?.match?.method, 'manual');
    assert.equal(again?.version, version);

    // No longer waiting: a recording arriving right at its call time is not offered to it.
    await w.put('20240312-093000_out_jdoe.wav', wav);
    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-092900_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['20240312-093000_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['20240312-093100_out_jdoe', 'ready', 'crmexport-2.json', 'manual'],
    ]);
  });

  it('judges its rival again once a person pairs it', async () => {
    const w = await world();
    await w.put('crmexport-r1.json', crmExport('2024-03-12T09:30:00Z'));
    await w.put('crmexport-r2.json', crmExport('2024-03-12T09:30:00Z'));
    await w.settle();
    await w.put('20240312-093000_out_jdoe.wav', wav);
    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-093000_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['crmexport-r1', 'ambiguous', 'crmexport-r1.json', 'fuzzy'],
      ['crmexport-r2', 'ambiguous', 'crmexport-r2.json', 'fuzzy'],
    ]);
    assert.equal(
      (await pairByHand(w, 'crmexport-r1', { recording: '20240312-093000_out_jdoe.wav' })).status,
      202,
    );
    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-093000_out_jdoe', 'ready', 'crmexport-r1.json', 'manual'],
      ['crmexport-r2', 'awaiting_recording', 'crmexport-r2.json', undefined],
    ]);
    assert.deepEqual(
      (await w.state.calls.get(w.id, '20240312-093000_out_jdoe'))?.match?.details?.['rivals'],
      [{ recordId: 'crmexport-r2.json', score: 0.875 }],
    );
    assert.deepEqual(await w.state.fuzzy.waitingWithin(w.id, 0, EVERYTHING), ['crmexport-r2.json']);
  });

  it('gives way to metadata that takes the chosen recording by name: the record is ambiguous again', async () => {
    const w = await ambiguousWorld();
    const chosen = '20240312-093100_out_jdoe.wav';
    assert.equal((await pairByHand(w, 'crmexport-2', { recording: chosen })).status, 202);
    await w.settle();
    await w.put('20240312-093100_out_jdoe.json', metadataJson({ filename: undefined }));
    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-092900_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['20240312-093100_out_jdoe', 'ready', '20240312-093100_out_jdoe.json', 'name'],
      ['crmexport-2', 'ambiguous', 'crmexport-2.json', 'fuzzy'],
    ]);
    assert.equal(await w.state.fuzzy.pairOf(w.id, chosen), null);
    assert.deepEqual(await w.state.fuzzy.waitingWithin(w.id, 0, EVERYTHING), ['crmexport-2.json']);
    assert.deepEqual((await w.state.assets.get(w.id, 'crmexport-2.json'))?.callIds, ['crmexport-2']);
  });
});

describe('pairing a recording waiting for metadata by hand', () => {
  it('pairs it with metadata that references a recording by a name that never came', async () => {
    const w = await world();
    await w.put('20240312-093000_out_jdoe.wav', wav);
    await w.put('late.json', metadataJson({ filename: '20240312-093000_out_jdoe_TYPO.wav' }));
    await w.settle();
    assert.deepEqual(await statuses(w), [
      ['20240312-093000_out_jdoe', 'awaiting_metadata', undefined, undefined],
      ['late', 'awaiting_recording', 'late.json', undefined],
    ]);
    const answer = await pairByHand(w, '20240312-093000_out_jdoe', { metadata: 'late.json' });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    await w.settle();
    assert.deepEqual(await statuses(w), [['20240312-093000_out_jdoe', 'ready', 'late.json', 'manual']]);
    const call = await w.state.calls.get(w.id, '20240312-093000_out_jdoe');
    assert.deepEqual(call?.match, { method: 'manual', score: 1, details: { by: 'status-api' } });
    assert.deepEqual(await w.state.fuzzy.unpairedWithin(w.id, 0, EVERYTHING), []);

    // A redelivered match of the metadata keeps the pair, still manual.
    await handleMatchMetadata(w.deps, { tenantId: w.id, recordId: 'late.json' }, context);
    assert.deepEqual(await statuses(w), [['20240312-093000_out_jdoe', 'ready', 'late.json', 'manual']]);
  });
});

describe('refusals', () => {
  it('answers 404 for an unknown call or other side, 409 for a settled call or a taken side', async () => {
    const w = await ambiguousWorld();
    await w.put('20240312-120000_out_jdoe.wav', wav);
    await w.put('20240312-120000_out_jdoe.json', metadataJson({ filename: undefined }));
    await w.settle();
    assert.equal((await w.state.calls.get(w.id, '20240312-120000_out_jdoe'))?.status, 'ready');

    const code = async (callId: string, body: Record<string, unknown>) => {
      const answer = await pairByHand(w, callId, body);
      return [answer.status, answer.body.error?.code];
    };
    assert.deepEqual(await code('no-such-call', { recording: '20240312-092900_out_jdoe.wav' }), [
      404,
      'not-found',
    ]);
    assert.deepEqual(await code('crmexport-2', { recording: 'never-uploaded.wav' }), [
      404,
      'partner-not-found',
    ]);
    assert.deepEqual(await code('20240312-092900_out_jdoe', { metadata: 'never-uploaded.json' }), [
      404,
      'partner-not-found',
    ]);
    assert.deepEqual(await code('20240312-120000_out_jdoe', { metadata: 'crmexport-2.json' }), [
      409,
      'not-pairable',
    ]);
    assert.deepEqual(await code('crmexport-2', { recording: '20240312-120000_out_jdoe.wav' }), [
      409,
      'partner-taken',
    ]);
    assert.deepEqual(await code('20240312-092900_out_jdoe', { metadata: '20240312-120000_out_jdoe.json' }), [
      409,
      'partner-taken',
    ]);
    assert.deepEqual(await code('crmexport-2', { metadata: '20240312-120000_out_jdoe.json' }), [
      400,
      'invalid-request',
    ]);
    assert.deepEqual(await w.waiting('call-match'), [], 'nothing was queued');
    assert.equal((await w.state.calls.get(w.id, 'crmexport-2'))?.status, 'ambiguous');
  });

  it('fails the job, pairing nothing, when the chosen recording was paired by a key meanwhile', async () => {
    const w = await ambiguousWorld();
    const chosen = '20240312-092900_out_jdoe.wav';
    assert.equal((await pairByHand(w, 'crmexport-2', { recording: chosen })).status, 202);
    // Before the matcher takes the job, metadata named after the recording arrives and pairs.
    await w.put('20240312-092900_out_jdoe.json', metadataJson({ filename: undefined }));
    await w.scan();
    await w.run('metadata-parse');
    const jobs = await w.waiting('call-match');
    const pairJob = jobs.find((job) => job.name === 'pair-by-hand');
    assert.ok(pairJob, 'the pair-by-hand job waits');
    for (const job of jobs) if (job !== pairJob) await w.runJob('call-match', job);
    assert.equal((await w.state.calls.get(w.id, '20240312-092900_out_jdoe'))?.match?.method, 'name');
    await assert.rejects(
      w.runJob('call-match', pairJob),
      /already paired with 20240312-092900_out_jdoe\.json/,
    );
    const call = await w.state.calls.get(w.id, '20240312-092900_out_jdoe');
    assert.equal(call?.metadata?.fileName, '20240312-092900_out_jdoe.json');
    assert.notEqual((await w.state.calls.get(w.id, 'crmexport-2'))?.status, 'ready');
  });
});

describe('ambiguous calls that nobody decides', () => {
  it('expire retention.ambiguousDays after they were created and leave the waiting set', async () => {
    const w = await ambiguousWorld({ retention: { ambiguousDays: 10 } });
    const sweep = () => handleSweepTenant(w.deps, { tenantId: w.id }, context);
    assert.deepEqual(await w.state.fuzzy.waitingWithin(w.id, 0, EVERYTHING), ['crmexport-2.json']);

    w.clock.advance(10 * DAY - 1);
    assert.equal((await sweep()).expired, 0, 'one millisecond short of 10 days');
    w.clock.advance(1);
    assert.equal((await sweep()).expired, 1);
    const expired = await w.state.calls.get(w.id, 'crmexport-2');
    assert.equal(expired?.status, 'expired');
    assert.equal(expired?.statusReason?.code, 'ambiguous-expired');
    assert.match(expired?.statusReason?.message ?? '', /10 days/);
    assert.equal(expired?.match?.method, 'fuzzy', 'its candidates stay listed');
    assert.deepEqual(await w.state.fuzzy.waitingWithin(w.id, 0, EVERYTHING), []);
    assert.equal((await sweep()).expired, 0, 'a call expires once');
    // Its recordings wait for metadata on their own (awaitingMetadataDays, 30 by default).
    assert.equal((await w.state.calls.get(w.id, '20240312-092900_out_jdoe'))?.status, 'awaiting_metadata');

    // A new recording at its very call time is no longer offered to it.
    await w.put('20240312-093000_out_jdoe.wav', wav);
    await w.settle();
    assert.equal((await w.state.calls.get(w.id, 'crmexport-2'))?.status, 'expired');
    assert.equal((await w.state.calls.get(w.id, '20240312-093000_out_jdoe'))?.status, 'awaiting_metadata');

    // Nor is it paired by hand any more.
    const answer = await pairByHand(w, 'crmexport-2', { recording: '20240312-093000_out_jdoe.wav' });
    assert.deepEqual([answer.status, answer.body.error?.code], [409, 'not-pairable']);
  });

  it('expire after 30 days by default', async () => {
    const w = await ambiguousWorld();
    assert.equal(w.tenant.retention.ambiguousDays, 30);
    w.clock.advance(30 * DAY);
    // The two recordings expire too (awaitingMetadataDays), and the ambiguous call.
    assert.equal((await handleSweepTenant(w.deps, { tenantId: w.id }, context)).expired, 3);
    assert.equal((await w.state.calls.get(w.id, 'crmexport-2'))?.statusReason?.code, 'ambiguous-expired');
  });
});
