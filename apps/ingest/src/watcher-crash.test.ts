// A watcher that dies mid-scan loses and duplicates nothing: the intake-watcher process is
// killed with SIGKILL while it hands 20,000 files on, then restarted; every file ends up with
// exactly one version and exactly one job.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Asset } from '@callintake/schemas';
import { Keys } from '@callintake/state';
import { queuePrefix } from '@callintake/queues';
import {
  removeNamespace,
  spawnService,
  tempDir,
  TEST_REDIS_URL,
  uniqueNamespace,
  waitFor,
  testRedisEnv,
  testRedisSettings,
  writeLocalTenantsFile,
} from '@callintake/testing';

const FILES = Number(process.env['CRASH_FILES'] ?? 20_000);
const namespace = uniqueNamespace('crash');
let dir: Awaited<ReturnType<typeof tempDir>>;
let redis: Redis;
let probeQueue: Queue;
let env: NodeJS.ProcessEnv;

before(async () => {
  dir = await tempDir('crash');
  const tenantsFile = await writeLocalTenantsFile(dir.path, { settleSeconds: 0, pollSeconds: 1 });
  const data = join(dir.path, 'upload', 'data');
  for (let i = 0; i < FILES; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, FILES - i) }, (_, j) =>
        writeFile(join(data, `rec-${i + j}.wav`), `audio ${i + j}`),
      ),
    );
  }
  env = {
    ...testRedisEnv(),
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    LOG_LEVEL: 'warn',
  };
  redis = new Redis(TEST_REDIS_URL);
  probeQueue = new Queue('media-probe', {
    connection: redis,
    prefix: queuePrefix(testRedisSettings(namespace))('media-probe'),
  });
});

after(async () => {
  await probeQueue.close();
  await redis.quit();
  await removeNamespace(namespace);
  await dir.remove();
});

async function queued(): Promise<number> {
  const counts = await probeQueue.getJobCounts('waiting', 'prioritized');
  return (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0);
}

describe('intake watcher crash', () => {
  it('finishes on restart with every file taken exactly once', async () => {
    const first = spawnService('intake-watcher', env);
    const atKill = await waitFor(
      async () => {
        if (first.child.exitCode !== null) throw new Error(`watcher exited early: ${first.output()}`);
        const n = await queued();
        return n > 0 ? n : undefined;
      },
      { what: 'the scan to start handing files on', timeoutMs: 60_000, intervalMs: 5 },
    );
    first.child.kill('SIGKILL');
    await first.stop();
    assert.ok(atKill < FILES, `killed after the scan finished (${atKill} queued): not a mid-scan crash`);

    const second = spawnService('intake-watcher', env);
    try {
      await waitFor(async () => (await queued()) === FILES, {
        what: `all ${FILES} files queued after restart`,
        timeoutMs: 120_000,
        intervalMs: 200,
      });
    } finally {
      await second.stop();
    }

    const jobs = await probeQueue.getJobs(['waiting', 'prioritized'], 0, FILES + 10);
    assert.equal(jobs.length, FILES);
    assert.equal(
      new Set(jobs.map((job) => (job.data as { fileName: string }).fileName)).size,
      FILES,
      'one job per file',
    );

    const keys = new Keys(namespace);
    const names = Array.from({ length: FILES }, (_, i) => `rec-${i}.wav`);
    for (let i = 0; i < FILES; i += 1000) {
      const raws = await redis.mget(names.slice(i, i + 1000).map((name) => keys.asset('acme', name)));
      for (const [j, raw] of raws.entries()) {
        assert.ok(raw, `rec-${i + j}.wav has no asset`);
        const asset = JSON.parse(raw) as Asset;
        assert.equal(asset.versions.length, 1, `${asset.name} has ${asset.versions.length} versions`);
        assert.equal(asset.state, 'pending');
      }
    }
  });
});
