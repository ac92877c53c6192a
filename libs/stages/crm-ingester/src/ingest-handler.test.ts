// The CRM handler's part in late CRM resolution: after storing a batch's objects it queues a
// `refresh-call-crm` job for every call waiting for one of them within the tenant's window,
// before the job ends, so a run that stops halfway queues the same jobs again.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fingerprintOf } from '@callintake/asset-lifecycle';
import { JobProducer, jobId, workerConnection, type JobData, queuePrefix } from '@callintake/queues';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { LocalUploadArea, type UploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { handleIngestCrmBatch } from './ingest-handler';

const namespace = uniqueNamespace('crm-ingest');
const DAY = 86_400_000;
let redis: RedisClient;
let producer: JobProducer;
let folder: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('crm-ingest');
});
after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

/** An upload area whose first move fails: the run stops after capture, before it is recorded. */
function failingFirstMove(area: UploadArea): UploadArea {
  let failed = false;
  return new Proxy(area, {
    get(target, property, receiver) {
      if (property === 'move' && !failed)
        return async () => {
          failed = true;
          throw new Error('disk went away');
        };
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('a CRM batch that calls were waiting for', () => {
  it('queues one refresh per waiting call and object, within the window, the same again after a crash', async () => {
    const tenant = localTenant(folder.path, { id: 'late', crm: { lateResolveDays: 2 } });
    const root = join(folder.path, 'upload');
    await mkdir(join(root, 'data'), { recursive: true });
    const clock = manualClock(new Date('2024-03-22T10:00:00Z'));
    const now = clock.now().getTime();
    const state = new StateStore(redis, namespace, clock);
    const contact = (id: string) => [{ type: 'contacts' as const, id }];
    await state.crmWaiting.register('late', 'call-a', contact('C-1'), now - DAY, 2 * DAY);
    await state.crmWaiting.register('late', 'call-b', contact('C-1'), now - 3 * DAY, 5 * DAY);
    await state.crmWaiting.register('late', 'call-c', contact('C-2'), now, 2 * DAY);
    await state.crmWaiting.register('late', 'call-d', [{ type: 'accounts', id: 'C-3' }], now, 2 * DAY);

    const name = 'contacts_20240322.csv';
    await writeFile(join(root, 'data', name), 'id,name\nC-1,Ann\nC-2,Bob\nC-3,Cy\nC-1,Ann B\n');
    const area = new LocalUploadArea(root);
    const entry = await area.stat(`data/${name}`);
    assert.ok(entry);
    const { version } = await state.assets.recordVersion('late', name, 'crm-batch', {
      versionId: fingerprintOf(entry),
      sizeBytes: entry.sizeBytes,
      modifiedAt: entry.modifiedAt.toISOString(),
      location: entry.path,
    });
    const job = { tenantId: 'late', fileName: name, versionId: version.versionId };
    const context = { jobId: 'crm', attempt: 1, logger: silentLogger() };
    const deps = (uploadArea: UploadArea) => ({
      state,
      producer,
      tenant: () => tenant,
      uploadArea: () => uploadArea,
    });

    await assert.rejects(handleIngestCrmBatch(deps(failingFirstMove(area)), job, context), /disk went away/);
    const refreshes = async () =>
      (await producer.queue('call-match').getJobs(['waiting'])).filter(
        (queued) => queued.name === 'refresh-call-crm',
      );
    const queued = await refreshes();
    assert.deepEqual(queued.map((queuedJob) => queuedJob.id).sort(), [
      jobId('late', 'call-a', 'crm', 'contacts', 'C-1', version.versionId),
      jobId('late', 'call-c', 'crm', 'contacts', 'C-2', version.versionId),
    ]);
    const payload = queued.find((queuedJob) => queuedJob.id?.includes('call-a'))
      ?.data as JobData<'refresh-call-crm'>;
    assert.deepEqual(payload, {
      tenantId: 'late',
      callId: 'call-a',
      objectType: 'contacts',
      objectId: 'C-1',
    });

    await handleIngestCrmBatch(deps(area), job, { ...context, attempt: 2 });
    assert.equal((await state.assets.get('late', name))?.state, 'processed');
    assert.equal((await refreshes()).length, 2, 'the retry queued the same job ids');
  });
});
