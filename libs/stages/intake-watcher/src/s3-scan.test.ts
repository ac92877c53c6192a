// scanSource over an S3 upload area (s3rver in a child process) and real Redis: the same
// outcomes as the local scan tests, with versions keyed by ETag, plus a worker finding a file
// it already moved to processed/ under a new ETag.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Job } from 'bullmq';
import { jobId, JobProducer, workerConnection, type QueueName, queuePrefix } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { S3UploadArea, type StoredEntry } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  startS3Server,
  uniqueNamespace,
  type S3TestServer,
  testRedisSettings,
} from '@callintake/testing';
import { startAssetJob, type ErrorReport } from '@callintake/asset-lifecycle';
import { scanSource } from './scan';

const BUCKET = 'customer-uploads';
const namespace = uniqueNamespace('intake-s3-scan');
let redis: RedisClient;
let producer: JobProducer;
let server: S3TestServer;
let tenantCount = 0;
const areas: S3UploadArea[] = [];

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  server = await startS3Server();
  await server.createBucket(BUCKET);
});

after(async () => {
  await Promise.all(areas.map((area) => area.close()));
  await server.stop();
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
});

const md5 = (content: string) => createHash('md5').update(content).digest('hex');

/** A fresh tenant under its own prefix of the shared bucket, with its own clock. */
function world(
  overrides: Record<string, unknown> = {},
  area?: (location: ReturnType<S3TestServer['location']>) => S3UploadArea,
) {
  tenantCount += 1;
  const id = `s3-scan-${tenantCount}`;
  const location = server.location(BUCKET, `tenants/${id}`);
  const tenant: TenantConfig = localTenant(join(tmpdir(), 'callintake-unused', id), {
    id,
    source: location,
    archive: server.location(BUCKET, `archive/${id}`),
    ...overrides,
  });
  assert.equal(tenant.source.kind, 's3');
  const uploadArea = area ? area(location) : new S3UploadArea(location);
  areas.push(uploadArea);
  const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
  const state = new StateStore(redis, namespace, clock);
  const scan = () => scanSource({ tenant, area: uploadArea, state, producer, logger: silentLogger() });
  const keyOf = (relative: string) => `tenants/${id}/${relative}`;
  /** Uploads data/<name> as a customer would. */
  const put = async (name: string, content: string) => {
    await server.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(`data/${name}`), Body: content }),
    );
  };
  const read = async (relative: string): Promise<string | null> => {
    try {
      const response = await server.client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(relative) }),
      );
      return (await response.Body?.transformToString()) ?? null;
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return null;
      throw error;
    }
  };
  const jobsOf = async (queue: QueueName): Promise<Job[]> => {
    const jobs = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.filter((job) => (job.data as { tenantId: string }).tenantId === id);
  };
  return { id, tenant, clock, state, area: uploadArea, scan, keyOf, put, read, jobsOf };
}

void describe('S3 source: settle interval by ETag', () => {
  void it('takes an object once its ETag held for settleSeconds; the version id is etag-<ETag>', async () => {
    const w = world({ settleSeconds: 5 });
    await w.put('20240312-093000_out_jdoe.wav', 'RIFF....WAVE');

    const first = await w.scan();
    assert.equal(first.settling, 1);
    assert.equal(first.enqueued, 0);
    assert.equal(await w.state.assets.get(w.id, '20240312-093000_out_jdoe.wav'), null);

    w.clock.advance(5_000);
    const settled = await w.scan();
    assert.equal(settled.enqueued, 1);
    const versionId = `etag-${md5('RIFF....WAVE')}`;
    const asset = await w.state.assets.get(w.id, '20240312-093000_out_jdoe.wav');
    assert.equal(asset?.kind, 'recording');
    assert.equal(asset?.versions[0]?.versionId, versionId);
    assert.equal(asset?.versions[0]?.etag, md5('RIFF....WAVE'));
    assert.equal(asset?.versions[0]?.location, 'data/20240312-093000_out_jdoe.wav');
    const job = await producer
      .queue('media-probe')
      .getJob(jobId(w.id, '20240312-093000_out_jdoe.wav', versionId));
    assert.equal(job?.name, 'probe-recording');
    assert.equal((await w.jobsOf('media-probe')).length, 1);
  });

  void it('restarts the interval when the ETag changes, even at the same size', async () => {
    const w = world({ settleSeconds: 5 });
    await w.put('a.json', '{"v":1}');
    await w.scan();

    w.clock.advance(10_000);
    await w.put('a.json', '{"v":2}'); // same size, new content: a new ETag
    const changed = await w.scan();
    assert.equal(changed.settling, 1);
    assert.equal(changed.enqueued, 0);

    w.clock.advance(5_000);
    assert.equal((await w.scan()).enqueued, 1);
    const asset = await w.state.assets.get(w.id, 'a.json');
    assert.deepEqual(
      asset?.versions.map((v) => v.versionId),
      [`etag-${md5('{"v":2}')}`],
    );
    assert.equal((await w.jobsOf('metadata-parse')).length, 1);
  });
});

void describe('S3 source: rejections at intake', () => {
  void it('moves an unsupported file to data/rejected/ with its error report', async () => {
    const w = world();
    await w.put('notes.txt', 'call me maybe');

    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);

    assert.equal(await w.read('data/notes.txt'), null);
    assert.equal(await w.read('data/rejected/notes.txt'), 'call me maybe');
    const report = JSON.parse((await w.read('data/rejected/notes.txt.error.json')) ?? 'null') as ErrorReport;
    assert.equal(report.file, 'notes.txt');
    assert.equal(report.version, 1);
    assert.equal(report.error.code, 'unsupported-type');
    const asset = await w.state.assets.get(w.id, 'notes.txt');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.versions[0]?.location, 'data/rejected/notes.txt');

    const again = await w.scan();
    assert.deepEqual(
      [again.rejected, again.enqueued, again.listed],
      [0, 0, 0],
      'data/rejected/ is not scanned',
    );
  });

  void it('reports an object under a customer "folder" as nested-directory and leaves it in place', async () => {
    const w = world();
    await w.put('sub/x.wav', 'RIFF....WAVE');

    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);
    const asset = await w.state.assets.get(w.id, 'sub/x.wav');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'nested-directory');
    assert.equal(await w.read('data/sub/x.wav'), 'RIFF....WAVE', 'the customer folder is theirs');
    assert.equal(await w.read('data/rejected/sub/x.wav.error.json'), null);
    assert.equal((await w.jobsOf('media-probe')).length, 0);

    assert.equal((await w.scan()).rejected, 0, 'reported once');
    assert.equal((await w.state.assets.get(w.id, 'sub/x.wav'))?.versions.length, 1);
  });
});

/**
 * On AWS a CopyObject of a multipart upload gets a plain MD5 ETag, so the copy in processed/
 * no longer matches the version id. s3rver keeps the ETag, so this reports a new one for
 * processed/ as AWS would.
 */
class AwsLikeCopies extends S3UploadArea {
  override async stat(path: string): Promise<StoredEntry | null> {
    const entry = await super.stat(path);
    if (entry?.etag && path.startsWith('data/processed/')) return { ...entry, etag: `${entry.etag}-copied` };
    return entry;
  }
}

void describe('S3 source: a worker finding its file already moved', () => {
  void it('takes the copy in processed/ with a new ETag and the same size, for a version it started', async () => {
    const w = world({}, (location) => new AwsLikeCopies(location));
    await w.put('call.json', '{"call":1}');
    await w.scan();
    const versionId = `etag-${md5('{"call":1}')}`;
    const deps = { state: w.state, tenant: () => w.tenant, uploadArea: () => w.area };
    const job = { tenantId: w.id, fileName: 'call.json', versionId };

    const started = await startAssetJob(deps, job);
    assert.equal(started?.location, 'data/call.json');
    await w.area.move('data/call.json', 'data/processed/call.json'); // then the run stopped

    const resumed = await startAssetJob(deps, job);
    assert.equal(resumed?.location, 'data/processed/call.json');
    assert.equal(resumed?.entry.sizeBytes, '{"call":1}'.length);
  });

  void it('does not take a same-size copy in processed/ for a version no run started', async () => {
    const w = world({}, (location) => new AwsLikeCopies(location));
    await w.put('other.json', '{"other":1}');
    await w.scan();
    const versionId = `etag-${md5('{"other":1}')}`;
    await server.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: w.keyOf('data/processed/other.json'),
        Body: '{"other":2}',
      }),
    );
    await server.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: w.keyOf('data/other.json') }));

    const deps = { state: w.state, tenant: () => w.tenant, uploadArea: () => w.area };
    assert.equal(await startAssetJob(deps, { tenantId: w.id, fileName: 'other.json', versionId }), null);
    const version = (await w.state.assets.get(w.id, 'other.json'))?.versions[0];
    assert.equal(version?.state, 'ignored');
    assert.equal(version?.reason?.code, 'vanished');
  });
});
