// Redis Cluster: slots move while files flow (issue 16). Every service runs as its own process
// on a private 3-master cluster; WAV + JSON pairs arrive over the run while `redis-cli --cluster
// reshard` moves every slot of the master holding the tenant's keys, and then every slot of the
// master holding the matcher's queue, to other masters. Clients see MOVED and ASK redirections
// mid-script and mid-job; nothing may be lost, duplicated, failed or left waiting.
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { encodeWav } from '@callintake/media';
import { queuePrefix, workerConnection, type QueueName, type RedisSettings } from '@callintake/queues';
import { freePort } from '@callintake/runtime';
import type { Call } from '@callintake/schemas';
import { StateStore, systemClock, type RedisClient } from '@callintake/state';
import {
  startRedisCluster,
  tempDir,
  waitFor,
  type RedisClusterHandle,
  type ReshardResult,
  type ServiceProcess,
  writeLocalTenantsFile,
  TEST_METADATA_FIELDS,
  startServices,
} from '@callintake/testing';

const SERVICES = [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'crm-ingester',
  'matcher',
  'status-api',
];
const PAIRS = 60;
const TENANT = 'acme';
const namespace = 'reshard';

let cluster: RedisClusterHandle;
let dir: Awaited<ReturnType<typeof tempDir>>;
let processes: ServiceProcess[] = [];
let redis: RedisClient;
let settings: RedisSettings;

before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  settings = cluster.settings(namespace);
  redis = workerConnection(settings);
  dir = await tempDir('reshard');
  const tenantsFile = await writeLocalTenantsFile(dir.path, {
    id: TENANT,
    settleSeconds: 0,
    pollSeconds: 1,
    metadata: { fields: TEST_METADATA_FIELDS },
  });
  const env = {
    ...cluster.env,
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    STATUS_PORT: String(await freePort()),
    STATUS_HOST: '127.0.0.1',
    STATUS_API_TOKENS: 'reshard-token:*',
    LOG_LEVEL: 'warn',
    OTEL_TRACES_EXPORTER: 'none',
    JOB_BACKOFF_MS: '200',
  };
  processes = await startServices(SERVICES, env, {
    what: 'every worker registered',
    check: async () => {
      for (const queue of ['media-probe', 'metadata-parse', 'call-match'] as const)
        if ((await queueOf(queue).getWorkersCount()) < 1) return false;
      return true;
    },
    timeoutMs: 90_000,
  });
});

const queues = new Map<QueueName, Queue>();
function queueOf(name: QueueName): Queue {
  let queue = queues.get(name);
  if (!queue) {
    queue = new Queue(name, { connection: redis, prefix: queuePrefix(settings)(name) });
    queues.set(name, queue);
  }
  return queue;
}

after(async () => {
  const codes = await Promise.all(processes.map((p) => p.stop()));
  await Promise.all([...queues.values()].map((queue) => queue.close()));
  redis?.disconnect();
  await cluster?.stop();
  await dir?.remove();
  assert.deepEqual(
    codes,
    SERVICES.map(() => 0),
    processes.map((p) => `${p.name}: ${p.output()}`).join('\n'),
  );
});

/** Every slot of the master that holds `key`, moved to the master with the fewest slots. */
async function moveMasterOf(key: string): Promise<ReshardResult> {
  const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
  const masters = await cluster.masters();
  const holder = masters.find((master) => master.slots.includes(slot));
  assert.ok(holder, `a master holds slot ${slot}`);
  const target = masters
    .filter((master) => master.id !== holder.id)
    .sort((a, b) => a.slots.length - b.slots.length)[0];
  assert.ok(target);
  const result = await cluster.reshard({ slots: holder.slots.length, from: holder.id, to: target.id });
  assert.ok(result.slots.includes(slot), `slot ${slot} of ${key} moved`);
  return result;
}

describe('Redis Cluster slot migration', () => {
  it(
    `loses nothing while the slots of the tenant's keys and of a queue move mid-run (${PAIRS} pairs)`,
    { timeout: 300_000 },
    async () => {
      const data = join(dir.path, 'upload', 'data');
      const stems = Array.from(
        { length: PAIRS },
        (_, index) => `20240301-${String(100000 + index)}_rs${index}`,
      );
      const drop = async (index: number) => {
        const stem = stems[index] as string;
        const minute = String(index % 60).padStart(2, '0');
        const json = JSON.stringify({
          datetime: `2024-03-01T10:${minute}:00Z`,
          email: `rep${index}@example.com`,
          filename: `${stem}.wav`,
          direction: index % 2 ? 'inbound' : 'outbound',
        });
        const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.5, uniqueTag: stem });
        // Written under a temporary name and renamed, as a customer's SFTP client does.
        for (const [name, body] of [
          [`${stem}.json`, json],
          [`${stem}.wav`, wav],
        ] as const) {
          await writeFile(join(data, `.${name}.part`), body);
          await rename(join(data, `.${name}.part`), join(data, name));
        }
      };

      // The drops run alongside the migrations: a third before, a third during each.
      const dropper = (async () => {
        for (let index = 0; index < PAIRS; index++) {
          await drop(index);
          await new Promise((resolve) => setTimeout(resolve, 120));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const tenantKey = `${namespace}:t:{${TENANT}}:calls`;
      const first = await moveMasterOf(tenantKey);
      const second = await moveMasterOf(`${queuePrefix(settings)('call-match')}:call-match:wait`);
      await dropper;

      const state = new StateStore(redis, namespace, systemClock);
      const calls = await waitFor(
        async () => {
          const found = await Promise.all(stems.map((stem) => state.calls.get(TENANT, stem)));
          return found.every((call) => call?.status === 'ready') ? (found as Call[]) : undefined;
        },
        { what: `all ${PAIRS} calls ready`, timeoutMs: 120_000, intervalMs: 500 },
      ).catch(async (error: unknown) => {
        const waiting = [];
        for (const stem of stems) {
          const call = await state.calls.get(TENANT, stem);
          if (call?.status !== 'ready') waiting.push(`${stem}: ${call?.status ?? 'no call'}`);
        }
        throw new Error(
          `${(error as Error).message}\nnot ready: ${waiting.join(', ')}\n${processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`,
        );
      });
      assert.equal(calls.length, PAIRS);
      for (const call of calls) assert.equal(call.match?.method, 'name', call.id);

      // Exactly one calls-ready job per call, and nothing failed for good.
      const ready = await queueOf('calls-ready').getJobs([
        'waiting',
        'completed',
        'active',
        'delayed',
        'failed',
      ]);
      const readyIds = ready.map((job) => job.id).sort();
      assert.deepEqual(readyIds, stems.map((stem) => `${TENANT}/${stem}`).sort());
      for (const queue of ['media-probe', 'metadata-parse', 'call-match'] as const)
        assert.equal(await queueOf(queue).getFailedCount(), 0, `${queue} has no failed jobs`);
      const failedFiles = await state.assets.list(TENANT, { state: 'failed', limit: 10 });
      assert.deepEqual(failedFiles.items, []);
      const rejected = await state.assets.list(TENANT, { state: 'rejected', limit: 10 });
      assert.deepEqual(rejected.items, []);

      // The migrations really moved live keys: the tenant's slot and the queue's slot changed master.
      assert.notEqual(first.from.id, first.to.id);
      assert.notEqual(second.from.id, second.to.id);
    },
  );
});
