// Fuzzy pairing quality (issue 6): precision and recall over the generated, labelled data set,
// whichever order the files arrive in. The pure rules run over thousands of calls in memory;
// a smaller slice runs through the real match handlers over Redis and must pair the same way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pairingKey } from '@callintake/naming';
import { JobProducer, workerConnection, type JobContext, queuePrefix } from '@callintake/queues';
import { StateStore, systemClock, type RedisClient } from '@callintake/state';
import { silentLogger } from '@callintake/telemetry';
import { localTenant, removeNamespace, uniqueNamespace, testRedisSettings } from '@callintake/testing';
import {
  datasetTenant,
  generateFuzzyDataset,
  pairingQuality,
  type FuzzyDataset,
  type PairingQuality,
} from '../test/fuzzy-dataset';
import { InMemoryFuzzyPairing } from '../test/fuzzy-memory';
import { handleMatchMetadata, handleMatchRecording } from './match-handler';

const MIN_PRECISION = 0.99;
const MIN_RECALL = 0.95;

type Order = 'as they arrive' | 'recordings first' | 'metadata first';

function inOrder(dataset: FuzzyDataset, order: Order): FuzzyDataset['arrivals'] {
  const recordings = dataset.recordings.map((recording) => ({ kind: 'recording' as const, recording }));
  const metadata = dataset.metadata.map((record) => ({ kind: 'metadata' as const, metadata: record }));
  if (order === 'recordings first') return [...recordings, ...metadata];
  if (order === 'metadata first') return [...metadata, ...recordings];
  return dataset.arrivals;
}

async function pairInMemory(dataset: FuzzyDataset, order: Order, withDirectory = true) {
  const tenant = datasetTenant(
    localTenant('/nonexistent', { id: 'quality' }),
    withDirectory ? dataset.users : [],
  );
  const engine = new InMemoryFuzzyPairing(tenant);
  for (const arrival of inOrder(dataset, order)) {
    if (arrival.kind === 'recording') await engine.addRecording(arrival.recording);
    else await engine.addMetadata(arrival.metadata);
  }
  return engine;
}

const describeQuality = (quality: PairingQuality) =>
  `precision ${quality.precision.toFixed(4)} (${quality.correctPairs}/${quality.pairsMade}), ` +
  `recall ${quality.recall.toFixed(4)} (${quality.correctPairs}/${quality.pairableTruth})`;

describe('the labelled data set', () => {
  const dataset = generateFuzzyDataset('quality', { calls: 4000, seed: 20240312 });

  it('is the same for the same seed, and has what makes pairing hard', () => {
    const again = generateFuzzyDataset('quality', { calls: 4000, seed: 20240312 });
    assert.deepEqual(again.arrivals, dataset.arrivals);
    assert.notDeepEqual(
      generateFuzzyDataset('quality', { calls: 200, seed: 1 }).metadata,
      again.metadata.slice(0, 200),
    );
    const metadata = dataset.metadata;
    const share = (count: number) => count / metadata.length;
    assert.ok(share(metadata.filter((m) => !m.canonical.userId).length) > 0.02, 'some metadata has no user');
    assert.ok(share(metadata.filter((m) => !m.canonical.direction).length) > 0.1, 'some has no direction');
    assert.ok(
      share(metadata.filter((m) => m.canonical.durationSec === undefined).length) > 0.2,
      'no duration',
    );
    assert.ok(
      dataset.recordings.some((r) => !r.name.direction),
      'some recording names carry no direction',
    );
    assert.ok(
      dataset.truth.size < metadata.length && dataset.truth.size < dataset.recordings.length,
      'orphans',
    );
    // Back to back: a rep's next call often starts within two minutes of the last one.
    const starts = dataset.recordings
      .filter((r) => r.name.uid === '2000')
      .map((r) => Date.parse(r.name.timestamp as string))
      .sort((a, b) => a - b);
    const close = starts.slice(1).filter((start, index) => start - (starts[index] as number) < 120_000);
    assert.ok(close.length >= 5, `rep 2000 has ${close.length} calls within 2 minutes of the previous one`);
  });

  for (const order of ['as they arrive', 'recordings first', 'metadata first'] as const) {
    it(`pairs with precision >= ${MIN_PRECISION} and recall >= ${MIN_RECALL} (${order})`, async () => {
      const engine = await pairInMemory(dataset, order);
      const quality = pairingQuality(engine.pairs, dataset.truth);
      assert.ok(quality.precision >= MIN_PRECISION, describeQuality(quality));
      assert.ok(quality.recall >= MIN_RECALL, describeQuality(quality));
      // Never two metadata records on one recording.
      assert.equal(new Set(engine.pairs.values()).size, engine.pairs.size);
    });
  }

  it('needs the user directory when recordings name extensions and the CRM names emails', async () => {
    const engine = await pairInMemory(dataset, 'as they arrive', false);
    const quality = pairingQuality(engine.pairs, dataset.truth);
    assert.ok(quality.recall < MIN_RECALL, describeQuality(quality));
  });
});

describe('the match handlers over Redis, on a slice of the data set', () => {
  const namespace = uniqueNamespace('fuzzy-quality');
  let redis: RedisClient;
  let producer: JobProducer;
  before(() => {
    redis = workerConnection(testRedisSettings(namespace));
    producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  });
  after(async () => {
    await producer.close();
    await redis.quit();
    await removeNamespace(namespace);
  });

  // Seed 3 has a record that pairs only when it is judged again after a pair.
  for (const seed of [7, 3]) {
    it(`pair exactly as the in-memory rules do, with the same quality (seed ${seed})`, async () => {
      // Few reps for few calls, so back-to-back calls of one rep are as common as in the big set.
      const tenantId = `slice-${seed}`;
      const dataset = generateFuzzyDataset(tenantId, { calls: 400, seed, reps: 12 });
      const tenant = datasetTenant(localTenant('/nonexistent', { id: tenantId }), dataset.users);
      const state = new StateStore(redis, namespace, systemClock);
      const deps = { state, producer, tenant: () => tenant };
      const context: JobContext = { jobId: 'quality', attempt: 1, logger: silentLogger() };
      // The match-metadata jobs a pair queues (records to judge again), oldest first, as a worker
      // takes them; a job they queue in turn runs after them.
      const queue = producer.queue('call-match');
      let queuedRuns = 0;
      let pairedWhenQueued = 0;
      const runQueued = async () => {
        for (
          let [job] = await queue.getJobs(['wait'], 0, 0, true);
          job;
          [job] = await queue.getJobs(['wait'], 0, 0, true)
        ) {
          await job.remove();
          assert.equal(job.name, 'match-metadata');
          const payload = job.data as { tenantId: string; recordId: string };
          const waited = await state.fuzzy.isWaiting(tenantId, payload.recordId);
          await handleMatchMetadata(deps, payload, context);
          queuedRuns++;
          if (waited && !(await state.fuzzy.isWaiting(tenantId, payload.recordId))) pairedWhenQueued++;
        }
      };
      for (const arrival of dataset.arrivals) {
        if (arrival.kind === 'recording') {
          await state.recordings.put(arrival.recording, pairingKey(arrival.recording.fileName));
          await handleMatchRecording(deps, { tenantId, fileName: arrival.recording.fileName }, context);
        } else {
          await state.metadata.putMany([{ record: arrival.metadata }]);
          await handleMatchMetadata(deps, { tenantId, recordId: arrival.metadata.recordId }, context);
        }
        await runQueued();
      }
      assert.ok(queuedRuns > 0, 'some pairs queued records to judge again');
      if (seed === 3) assert.ok(pairedWhenQueued > 0, 'a record judged again after a pair paired');
      const paired = new Map<string, string>();
      const calls = (await state.calls.list(tenantId, { limit: 1000 })).items;
      for (const call of calls) {
        if (call.status !== 'ready') continue;
        assert.equal(call.match?.method, 'fuzzy');
        paired.set(`${call.metadata?.fileName}#${call.metadata?.line}`, call.recording?.fileName as string);
      }
      const quality = pairingQuality(paired, dataset.truth);
      assert.ok(quality.precision >= MIN_PRECISION, describeQuality(quality));
      assert.ok(quality.recall >= MIN_RECALL, describeQuality(quality));
      assert.deepEqual(paired, (await pairInMemory(dataset, 'as they arrive')).pairs);
      // Every file is in exactly one call.
      assert.equal(calls.length, dataset.recordings.length + dataset.metadata.length - paired.size);
    });
  }
});
