// A file we cannot process ends `failed`, visibly, and a retry after the fix finishes it: the
// issue's own case, a tenant whose archive root is unusable (a regular file). Real workers
// (intake-watcher, media-prober, metadata-parser, matcher) on Redis, few attempts, short backoff.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { retryFile } from '@callintake/asset-lifecycle';
import { encodeWav } from '@callintake/media';
import { Runtime, type RunningService, type ServiceName } from '@callintake/runtime';
import type { Asset } from '@callintake/schemas';
import { startService } from '@callintake/services';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  testRedisEnv,
  uniqueNamespace,
  waitFor,
} from '@callintake/testing';

const STEM = '20240312-091500_outbound_1001';
const SERVICES: ServiceName[] = ['intake-watcher', 'media-prober', 'metadata-parser', 'matcher'];
const namespace = uniqueNamespace('failed-retry');
let folder: Awaited<ReturnType<typeof tempDir>>;
let runtime: Runtime;
const services: RunningService[] = [];

before(async () => {
  folder = await tempDir('failed-retry');
  await mkdir(join(folder.path, 'upload', 'data'), { recursive: true });
  // The archive root is a regular file: every archive write fails until someone fixes it.
  await writeFile(join(folder.path, 'archive'), 'not a folder');
  runtime = await Runtime.create({
    service: 'test',
    env: { ...testRedisEnv(), REDIS_NAMESPACE: namespace, JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '20' },
    tenants: [localTenant(folder.path, { settleSeconds: 0, pollSeconds: 1 })],
    logger: silentLogger(),
  });
  for (const name of SERVICES) services.push(await startService(name, runtime));
});

after(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await runtime.close();
  await removeNamespace(namespace);
  await folder.remove();
});

const asset = (name: string) => runtime.state.assets.get('acme', name);

void describe('a file that fails every attempt', () => {
  void it('ends failed with processing-failed and its attempts, stays in data/, and a retry after the fix finishes it', async () => {
    await writeFile(
      join(folder.path, 'upload', 'data', `${STEM}.wav`),
      encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.5 }),
    );
    await writeFile(
      join(folder.path, 'upload', 'data', `${STEM}.json`),
      JSON.stringify({ datetime: '2024-03-12T09:15:00Z', email: 'ana@example.com', direction: 'outbound' }),
    );

    const failed = await waitFor(
      async () => {
        const recording = await asset(`${STEM}.wav`);
        return recording?.state === 'failed' ? recording : undefined;
      },
      { what: 'the recording to fail', timeoutMs: 30_000 },
    );
    const version = failed.versions[0];
    assert.equal(failed.reason?.code, 'processing-failed');
    assert.match(failed.reason?.message ?? '', /^failed after 3 of 3 attempts: /);
    assert.equal(version?.attempts?.count, 3);
    assert.equal(version?.attempts?.of, 3);
    assert.doesNotMatch(
      failed.reason?.message ?? '',
      new RegExp(folder.path.replace(/[/.]/g, '\\$&')),
      'no host paths',
    );
    assert.equal(version?.location, `data/${STEM}.wav`, 'the file stays where the customer put it');
    const metrics = await runtime.state.metrics.read([...runtime.tenants.keys()]);
    assert.deepEqual(metrics.failures, [{ kind: 'recording', count: 1 }]);

    // Later scans leave it alone; the metadata waits for it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal((await asset(`${STEM}.wav`))?.state, 'failed');

    await rm(join(folder.path, 'archive'));
    const retried = await retryFile(runtime, 'acme', `${STEM}.wav`);
    assert.equal(retried.status, 'queued');
    const done = await waitFor(
      async () => {
        const recording: Asset | null = await asset(`${STEM}.wav`);
        const call = await runtime.state.calls.get('acme', STEM);
        return recording?.state === 'processed' && call?.status === 'ready' ? recording : undefined;
      },
      { what: 'the retried recording to make its call ready', timeoutMs: 30_000 },
    );
    assert.equal(done.versions[0]?.retries, 1);
    assert.equal(done.reason, undefined);
  });
});
