// Fuzzy pairing is a function of the set of files, not of their order (issue 14): the labelled
// data set in seeded random orders pairs the same and leaves the same records ambiguous, and
// that is the elimination's fixed point computed over all files at once. The match handlers
// over Redis reach the same on a permuted slice, and on the audit's case in both orders.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pairingKey } from '@callintake/naming';
import { JobProducer, workerConnection, type JobContext, queuePrefix } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import {
  StateStore,
  systemClock,
  type MetadataRecord,
  type RecordingRecord,
  type RedisClient,
} from '@callintake/state';
import { silentLogger } from '@callintake/telemetry';
import { localTenant, removeNamespace, uniqueNamespace, testRedisSettings } from '@callintake/testing';
import {
  datasetTenant,
  generateFuzzyDataset,
  pairingQuality,
  seededRandom,
  type FuzzyDataset,
} from '../test/fuzzy-dataset';
import { InMemoryFuzzyPairing, TimeIndex } from '../test/fuzzy-memory';
import { FUZZY_WINDOW_MS, metadataTimeMs, recordingTimeMs, scoreCandidate } from './fuzzy';
import { fuzzyComponent, settleComponent } from './fuzzy-settle';
import { handleMatchMetadata, handleMatchRecording } from './match-handler';

const MIN_PRECISION = 0.99;
const MIN_RECALL = 0.95;
const PERMUTATION_SEEDS = [101, 202, 303];

type Arrivals = FuzzyDataset['arrivals'];

/** Fisher-Yates with the data set's seeded generator: the same seed, the same order. */
function permuted(arrivals: Arrivals, seed: number): Arrivals {
  const random = seededRandom(seed);
  const order = [...arrivals];
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other] as Arrivals[number], order[index] as Arrivals[number]];
  }
  return order;
}

async function pairInMemory(tenant: TenantConfig, arrivals: Arrivals) {
  const engine = new InMemoryFuzzyPairing(tenant);
  for (const arrival of arrivals) {
    if (arrival.kind === 'recording') await engine.addRecording(arrival.recording);
    else await engine.addMetadata(arrival.metadata);
  }
  return engine;
}

const sorted = <T>(values: Iterable<T>) => [...values].sort();

/**
 * The definition itself, with every file at hand: the elimination's fixed point over all of
 * them, and the records it leaves with an unpaired recording within the window (ambiguous).
 */
async function fixedPoint(tenant: TenantConfig, dataset: FuzzyDataset) {
  const none = () => Promise.resolve([]);
  const recordings = new TimeIndex<RecordingRecord>();
  for (const recording of dataset.recordings)
    recordings.add(recordingTimeMs(recording, tenant), recording.fileName, recording);
  const metadata = new TimeIndex<MetadataRecord>();
  for (const record of dataset.metadata) metadata.add(metadataTimeMs(record), record.recordId, record);
  const source = {
    recordingsWithin: (fromMs: number, toMs: number) => Promise.resolve(recordings.within(fromMs, toMs)),
    metadataWithin: (fromMs: number, toMs: number) => Promise.resolve(metadata.within(fromMs, toMs)),
    recordingNamesWithin: (fromMs: number, toMs: number) =>
      Promise.resolve(recordings.within(fromMs, toMs).map((recording) => recording.fileName)),
    pairsByRecordingWithin: none,
    pairsByMetadataWithin: none,
  };
  const component = await fuzzyComponent(
    { metadata: dataset.metadata, recordings: dataset.recordings },
    source,
    tenant,
  );
  const pairs = settleComponent(component);
  const taken = new Set(pairs.values());
  const ambiguous = dataset.metadata
    .filter((record) => !pairs.has(record.recordId))
    .filter((record) => {
      const at = metadataTimeMs(record);
      return recordings
        .within(at - FUZZY_WINDOW_MS, at + FUZZY_WINDOW_MS)
        .some((recording) => !taken.has(recording.fileName));
    })
    .map((record) => record.recordId);
  return { pairs, ambiguous: sorted(ambiguous) };
}

describe('fuzzy pairing in any order (in memory, 4,000 calls)', () => {
  const dataset = generateFuzzyDataset('order', { calls: 4000, seed: 20240312 });
  const tenant = datasetTenant(localTenant('/nonexistent', { id: 'order' }), dataset.users);
  let expected: Awaited<ReturnType<typeof fixedPoint>>;

  before(async () => {
    expected = await fixedPoint(tenant, dataset);
  });

  const orders: Array<[string, () => Arrivals]> = [
    ['as they arrive', () => dataset.arrivals],
    ...PERMUTATION_SEEDS.map((seed): [string, () => Arrivals] => [
      `random order, seed ${seed}`,
      () => permuted(dataset.arrivals, seed),
    ]),
  ];
  for (const [order, arrivals] of orders) {
    it(`pairs the same and leaves the same records ambiguous (${order})`, async (t) => {
      const engine = await pairInMemory(tenant, arrivals());
      const quality = pairingQuality(engine.pairs, dataset.truth);
      t.diagnostic(
        `${order}: precision ${quality.precision.toFixed(4)} (${quality.correctPairs}/${quality.pairsMade}), ` +
          `recall ${quality.recall.toFixed(4)} (${quality.correctPairs}/${quality.pairableTruth}), ` +
          `${engine.ambiguous.size} ambiguous, ${engine.undone} fuzzy pairs undone`,
      );
      assert.deepEqual(sorted(engine.pairs), sorted(expected.pairs));
      assert.deepEqual(sorted(engine.ambiguous), expected.ambiguous);
      assert.ok(quality.precision >= MIN_PRECISION, `precision ${quality.precision}`);
      assert.ok(quality.recall >= MIN_RECALL, `recall ${quality.recall}`);
      assert.equal(new Set(engine.pairs.values()).size, engine.pairs.size, 'one recording, one record');
      // Some pairs were made early and undone when a contesting file came later.
      assert.ok(engine.undone > 0);
    });
  }

  it('really shuffles', () => {
    const order = permuted(dataset.arrivals, PERMUTATION_SEEDS[0] as number);
    assert.notDeepEqual(order.slice(0, 50), dataset.arrivals.slice(0, 50));
    assert.deepEqual(permuted(dataset.arrivals, PERMUTATION_SEEDS[0] as number), order);
    assert.equal(order.length, dataset.arrivals.length);
  });
});

// --- The match handlers over Redis ---------------------------------------------------------

interface RedisRun {
  addRecording(recording: RecordingRecord): Promise<void>;
  addMetadata(metadata: MetadataRecord): Promise<void>;
  /** metadata record id -> recording, of ready (fuzzily paired) calls. */
  pairs(): Promise<Map<string, string>>;
  ambiguous(): Promise<string[]>;
  statusOf(callId: string): Promise<string | undefined>;
  state: StateStore;
}

/** Files arrive one at a time; the match-metadata jobs each one queues run before the next. */
function redisRun(
  redis: RedisClient,
  producer: JobProducer,
  namespace: string,
  tenant: TenantConfig,
): RedisRun {
  const state = new StateStore(redis, namespace, systemClock);
  const deps = { state, producer, tenant: () => tenant };
  const context: JobContext = { jobId: 'order', attempt: 1, logger: silentLogger() };
  const queue = producer.queue('call-match');
  const runQueued = async () => {
    for (
      let [job] = await queue.getJobs(['wait'], 0, 0, true);
      job;
      [job] = await queue.getJobs(['wait'], 0, 0, true)
    ) {
      await job.remove();
      assert.equal(job.name, 'match-metadata');
      await handleMatchMetadata(deps, job.data as { tenantId: string; recordId: string }, context);
    }
  };
  const calls = async () => (await state.calls.list(tenant.id, { limit: 5000 })).items;
  const recordId = (call: { metadata?: { fileName: string; line?: number } }) =>
    call.metadata?.line === undefined
      ? (call.metadata?.fileName as string)
      : `${call.metadata.fileName}#${call.metadata.line}`;
  return {
    state,
    async addRecording(recording) {
      await state.recordings.put(recording, pairingKey(recording.fileName));
      await handleMatchRecording(deps, { tenantId: tenant.id, fileName: recording.fileName }, context);
      await runQueued();
    },
    async addMetadata(metadata) {
      await state.metadata.putMany([{ record: metadata }]);
      await handleMatchMetadata(deps, { tenantId: tenant.id, recordId: metadata.recordId }, context);
      await runQueued();
    },
    async pairs() {
      const paired = new Map<string, string>();
      for (const call of await calls())
        if (call.status === 'ready') {
          assert.equal(call.match?.method, 'fuzzy');
          paired.set(recordId(call), call.recording?.fileName as string);
        }
      return paired;
    },
    async ambiguous() {
      return sorted((await calls()).filter((call) => call.status === 'ambiguous').map(recordId));
    },
    async statusOf(callId) {
      return (await state.calls.get(tenant.id, callId))?.status;
    },
  };
}

describe('the match handlers over Redis, in any order', () => {
  const namespace = uniqueNamespace('fuzzy-order');
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

  for (const seed of [5]) {
    it(`pair a randomly ordered slice exactly as the in-memory rules do (400 calls, order seed ${seed})`, async (t) => {
      const tenantId = `order-slice-${seed}`;
      const dataset = generateFuzzyDataset(tenantId, { calls: 400, seed: 7, reps: 12 });
      const tenant = datasetTenant(localTenant('/nonexistent', { id: tenantId }), dataset.users);
      const arrivals = permuted(dataset.arrivals, seed);
      const run = redisRun(redis, producer, namespace, tenant);
      for (const arrival of arrivals) {
        if (arrival.kind === 'recording') await run.addRecording(arrival.recording);
        else await run.addMetadata(arrival.metadata);
      }
      const memory = await pairInMemory(tenant, arrivals);
      const paired = await run.pairs();
      const quality = pairingQuality(paired, dataset.truth);
      t.diagnostic(
        `precision ${quality.precision.toFixed(4)}, recall ${quality.recall.toFixed(4)}, ` +
          `${memory.undone} fuzzy pairs undone in memory`,
      );
      assert.ok(memory.undone > 0, 'the order made some pairs to undo');
      assert.deepEqual(sorted(paired), sorted(memory.pairs));
      assert.deepEqual(await run.ambiguous(), sorted(memory.ambiguous));
      // The same as the files in their own order, in memory.
      assert.deepEqual(sorted(memory.pairs), sorted((await pairInMemory(tenant, dataset.arrivals)).pairs));
    });
  }

  describe("the audit's case: one recording, two look-alike metadata records", () => {
    const tenant = (id: string) => localTenant('/nonexistent', { id, timezone: 'UTC' });
    const recording = (tenantId: string): RecordingRecord => ({
      tenantId,
      fileName: '20240312-093000_out_jdoe.wav',
      versionId: 'v1',
      version: 1,
      facts: { container: 'wav', sizeBytes: 1000, probed: true, durationSec: 60 },
      archiveUri: 'file:///archive/20240312-093000_out_jdoe.wav',
      sha256: '0'.repeat(64),
      name: {
        pattern: 'timestamp',
        timestamp: '2024-03-12T09:30:00.000Z',
        direction: 'outbound',
        uid: 'jdoe',
      },
      warnings: [],
      capturedAt: '2024-03-12T10:00:00.000Z',
    });
    const metadata = (tenantId: string, line: number): MetadataRecord => {
      const canonical = {
        callTime: '2024-03-12T09:30:05.000Z',
        userId: 'jdoe@acme.test',
        direction: 'outbound',
        durationSec: 60,
      };
      return {
        tenantId,
        recordId: `crm-export.csv#${line}`,
        fileName: 'crm-export.csv',
        version: 1,
        line,
        fields: { ...canonical },
        canonical,
        sha256: String(line).padStart(64, '0'),
        receivedAt: '2024-03-12T10:00:00.000Z',
      };
    };
    const orders = {
      'recording first': ['R', 'M1', 'M2'],
      'metadata first': ['M1', 'M2', 'R'],
      'between the two': ['M1', 'R', 'M2'],
    } as const;

    for (const [order, steps] of Object.entries(orders)) {
      it(`leaves both records ambiguous and the recording unpaired (${order})`, async () => {
        const id = `audit-${order.replaceAll(' ', '-')}`;
        const config = tenant(id);
        const files = { R: recording(id), M1: metadata(id, 2), M2: metadata(id, 3) };
        assert.ok((scoreCandidate(files.M1, files.R, config)?.score ?? 0) >= 0.9, 'a clear winner alone');

        const engine = new InMemoryFuzzyPairing(config);
        const run = redisRun(redis, producer, namespace, config);
        const pairsAfter: number[] = [];
        for (const step of steps) {
          if (step === 'R') {
            await engine.addRecording(files.R);
            await run.addRecording(files.R);
          } else {
            await engine.addMetadata(files[step]);
            await run.addMetadata(files[step]);
          }
          pairsAfter.push((await run.pairs()).size);
        }
        if (order === 'recording first') assert.deepEqual(pairsAfter, [0, 1, 0], 'M2 undid the pair M1 made');

        assert.deepEqual(engine.pairs, new Map());
        assert.deepEqual(sorted(engine.ambiguous), ['crm-export.csv#2', 'crm-export.csv#3']);
        assert.deepEqual(await run.pairs(), new Map());
        assert.deepEqual(await run.ambiguous(), ['crm-export.csv#2', 'crm-export.csv#3']);
        assert.equal(await run.statusOf('20240312-093000_out_jdoe'), 'awaiting_metadata');
        assert.ok(await run.state.fuzzy.isUnpaired(id, files.R.fileName));
        assert.equal(await run.state.fuzzy.pairOf(id, files.R.fileName), null);
        // Each lists the recording as its candidate and the other as its rival.
        for (const [line, rival] of [
          [2, 'crm-export.csv#3'],
          [3, 'crm-export.csv#2'],
        ] as const) {
          const details = (await run.state.calls.get(id, `crm-export-${line}`))?.match?.details;
          assert.deepEqual(
            (details?.['candidates'] as Array<{ recording: string }>).map((c) => c.recording),
            [files.R.fileName],
          );
          assert.deepEqual(
            (details?.['rivals'] as Array<{ recordId: string }>).map((r) => r.recordId),
            [rival],
          );
        }
      });
    }
  });
});
