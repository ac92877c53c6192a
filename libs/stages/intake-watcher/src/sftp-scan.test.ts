// scanSource over an SFTP upload area (a real chrooted OpenSSH server) and real Redis: the same
// outcomes as the local scan tests. Files are put on the server's disk as a customer's upload
// would land there; SFTP carries mtime in whole seconds, which is all version ids need.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { jobId, JobProducer, workerConnection, type QueueName, queuePrefix } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { SftpUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  startSftpServer,
  tempDir,
  uniqueNamespace,
  type SftpTestServer,
  testRedisSettings,
} from '@callintake/testing';
import type { ErrorReport } from '@callintake/asset-lifecycle';
import { scanSource } from './scan';

const namespace = uniqueNamespace('intake-sftp-scan');
let redis: RedisClient;
let producer: JobProducer;
let server: SftpTestServer;
let archive: { path: string; remove(): Promise<void> };
let tenantCount = 0;
const areas: SftpUploadArea[] = [];

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  server = await startSftpServer();
  archive = await tempDir('intake-sftp-scan');
});

after(async () => {
  await Promise.all(areas.map((area) => area.close()));
  await server.stop();
  await archive.remove();
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
});

/** A fresh tenant in its own folder of the SFTP account, with its own clock. */
async function world() {
  tenantCount += 1;
  const id = `sftp-scan-${tenantCount}`;
  const tenant: TenantConfig = localTenant(join(archive.path, id), {
    id,
    source: {
      kind: 'sftp',
      host: server.host,
      port: server.port,
      username: server.username,
      privateKeyFile: server.privateKeyFile,
      root: `${server.root}/${id}`,
    },
  });
  assert.equal(tenant.source.kind, 'sftp');
  const root = join(server.hostPath, id);
  await mkdir(join(root, 'data'), { recursive: true });
  await server.chownToUser(root);
  const area = new SftpUploadArea(tenant.source);
  areas.push(area);
  const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
  const state = new StateStore(redis, namespace, clock);
  const scan = () => scanSource({ tenant, area, state, producer, logger: silentLogger() });
  /** Lands data/<relative> on the server as the customer's, with a fixed mtime. */
  const put = async (relative: string, content: string, mtime = new Date('2024-03-12T09:00:00Z')) => {
    const path = join(root, 'data', relative);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    await utimes(path, mtime, mtime);
    await server.chownToUser(join(root, 'data'));
  };
  const onServer = (relative: string) => join(root, relative);
  const jobsOf = async (queue: QueueName): Promise<Job[]> => {
    const jobs = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.filter((job) => (job.data as { tenantId: string }).tenantId === id);
  };
  return { id, state, scan, put, onServer, jobsOf };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('scanSource over SFTP', () => {
  it('takes a settled file: one version keyed by size and mtime, one job', async () => {
    const w = await world();
    await w.put('20240312-093000_out_jdoe.wav', 'RIFF....WAVE');

    const summary = await w.scan();
    assert.equal(summary.enqueued, 1);
    const versionId = `12-${new Date('2024-03-12T09:00:00Z').getTime()}`;
    const asset = await w.state.assets.get(w.id, '20240312-093000_out_jdoe.wav');
    assert.equal(asset?.kind, 'recording');
    assert.equal(asset?.versions[0]?.versionId, versionId);
    const job = await producer
      .queue('media-probe')
      .getJob(jobId(w.id, '20240312-093000_out_jdoe.wav', versionId));
    assert.equal(job?.name, 'probe-recording');

    const again = await w.scan();
    assert.deepEqual([again.enqueued, again.unchanged], [0, 1], 'a second scan adds nothing');
    assert.equal((await w.jobsOf('media-probe')).length, 1);
  });

  it('rejects notes.txt into data/rejected/ with notes.txt.error.json beside it', async () => {
    const w = await world();
    await w.put('notes.txt', 'call me maybe');

    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);
    assert.equal(await exists(w.onServer('data/notes.txt')), false);
    assert.equal(await readFile(w.onServer('data/rejected/notes.txt'), 'utf8'), 'call me maybe');
    const report = JSON.parse(
      await readFile(w.onServer('data/rejected/notes.txt.error.json'), 'utf8'),
    ) as ErrorReport;
    assert.equal(report.file, 'notes.txt');
    assert.equal(report.version, 1);
    assert.equal(report.error.code, 'unsupported-type');
    assert.match(report.error.message, /notes\.txt/);

    const asset = await w.state.assets.get(w.id, 'notes.txt');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.versions[0]?.location, 'data/rejected/notes.txt');
    const again = await w.scan();
    assert.deepEqual([again.rejected, again.listed], [0, 0], 'data/rejected/ is not scanned');
  });

  it('reports a file in a customer sub-folder as nested-directory and leaves it in place', async () => {
    const w = await world();
    await w.put('sub/x.wav', 'RIFF....WAVE');

    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);
    const asset = await w.state.assets.get(w.id, 'sub/x.wav');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'nested-directory');
    assert.equal(await exists(w.onServer('data/sub/x.wav')), true, 'the customer folder is theirs');
    assert.equal(await exists(w.onServer('data/rejected')), false);
    assert.equal((await w.jobsOf('media-probe')).length, 0);
    assert.equal((await w.scan()).rejected, 0, 'reported once');
  });
});
