// scanSource against real Redis and a real local folder: the settle interval, temporary names,
// classification into queues, rejections at intake, and idempotence under repeats and races.
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, rename, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { jobId, JobProducer, workerConnection, type QueueName, queuePrefix } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { transitionVersion, type ErrorReport } from '@callintake/asset-lifecycle';
import { scanSource } from './scan';

const namespace = uniqueNamespace('intake-scan');
let redis: RedisClient;
let producer: JobProducer;
let folder: { path: string; remove(): Promise<void> };
let tenantCount = 0;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('intake-scan');
});

after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

/** A fresh tenant (own id, own folder, own clock) so tests share nothing but Redis. */
async function world(overrides: Record<string, unknown> = {}) {
  tenantCount += 1;
  const id = `scan-${tenantCount}`;
  const tenant: TenantConfig = localTenant(join(folder.path, id), { id, ...overrides });
  const root = join(folder.path, id, 'upload');
  await mkdir(join(root, 'data'), { recursive: true });
  const clock = manualClock(new Date('2024-03-12T10:00:00Z'));
  const state = new StateStore(redis, namespace, clock);
  const area = new LocalUploadArea(root);
  const scan = () => scanSource({ tenant, area, state, producer, logger: silentLogger() });
  /** Writes data/<name> with a fixed mtime, so its version id is predictable. */
  const put = async (name: string, content: string | Buffer, mtime = new Date('2024-03-12T09:00:00Z')) => {
    const path = join(root, 'data', name);
    await writeFile(path, content);
    await utimes(path, mtime, mtime);
    return path;
  };
  const versionIdOf = async (name: string) => {
    const info = await stat(join(root, 'data', name));
    return `${info.size}-${Math.trunc(info.mtime.getTime())}`;
  };
  const jobsOf = async (queue: QueueName): Promise<Job[]> => {
    const jobs = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.filter((job) => (job.data as { tenantId: string }).tenantId === id);
  };
  return { id, tenant, root, clock, state, area, scan, put, versionIdOf, jobsOf };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('settle interval', () => {
  it('takes a file only after it kept its size and mtime for settleSeconds', async () => {
    const w = await world({ settleSeconds: 5 });
    await w.put('a.wav', 'RIFF....WAVE');

    const first = await w.scan();
    assert.equal(first.settling, 1);
    assert.equal(first.enqueued, 0);
    assert.equal(
      await w.state.assets.get(w.id, 'a.wav'),
      null,
      'a file seen for the first time is not taken',
    );

    w.clock.advance(4_999);
    const early = await w.scan();
    assert.equal(early.settling, 1);
    assert.equal(early.enqueued, 0);
    assert.equal(await w.state.assets.get(w.id, 'a.wav'), null);

    w.clock.advance(1);
    const settled = await w.scan();
    assert.equal(settled.settling, 0);
    assert.equal(settled.enqueued, 1);
    const asset = await w.state.assets.get(w.id, 'a.wav');
    assert.equal(asset?.versions.length, 1);
    assert.equal(asset?.versions[0]?.versionId, await w.versionIdOf('a.wav'));
    assert.equal((await w.jobsOf('media-probe')).length, 1);
  });

  it('does not take a file whose size changes between scans, and restarts its interval', async () => {
    const w = await world({ settleSeconds: 5 });
    await w.put('growing.wav', 'RIFF');
    await w.scan();

    w.clock.advance(10_000);
    await w.put('growing.wav', 'RIFF....WAVE....'); // same mtime, more bytes: still uploading
    const grown = await w.scan();
    assert.equal(grown.settling, 1);
    assert.equal(grown.enqueued, 0);
    assert.equal(await w.state.assets.get(w.id, 'growing.wav'), null);

    w.clock.advance(4_000);
    assert.equal((await w.scan()).enqueued, 0, 'the interval counts from the last change');

    w.clock.advance(1_000);
    assert.equal((await w.scan()).enqueued, 1);
    const asset = await w.state.assets.get(w.id, 'growing.wav');
    assert.equal(asset?.versions.length, 1, 'the partial upload never became a version');
    assert.equal(asset?.versions[0]?.sizeBytes, 16);
  });

  it('does not take a file whose mtime changes between scans', async () => {
    const w = await world({ settleSeconds: 5 });
    await w.put('touched.json', '{}', new Date('2024-03-12T09:00:00Z'));
    await w.scan();
    w.clock.advance(6_000);
    await w.put('touched.json', '{}', new Date('2024-03-12T09:00:06Z'));
    assert.equal((await w.scan()).enqueued, 0);
    w.clock.advance(5_000);
    assert.equal((await w.scan()).enqueued, 1);
  });
});

describe('temporary names', () => {
  const names = ['.x.wav', 'x.wav.part', 'x.filepart', 'x.tmp', 'x~', 'y.wav.PARTIAL'];

  it('never takes a file under a temporary name, then takes it once renamed', async () => {
    const w = await world();
    for (const name of names) await w.put(name, 'RIFF....WAVE');

    for (let round = 0; round < 2; round++) {
      const summary = await w.scan();
      assert.equal(summary.temporary, names.length);
      assert.equal(summary.enqueued, 0);
      assert.equal(summary.rejected, 0, 'a temporary name is not rejected either: it is still uploading');
    }
    for (const name of names) assert.equal(await w.state.assets.get(w.id, name), null, name);
    assert.ok(await exists(join(w.root, 'data', 'x.tmp')), 'temporary files are left alone');

    await rename(join(w.root, 'data', 'x.wav.part'), join(w.root, 'data', 'x.wav'));
    await rename(join(w.root, 'data', '.x.wav'), join(w.root, 'data', 'hidden-no-more.wav'));
    const summary = await w.scan();
    assert.equal(summary.enqueued, 2);
    assert.equal(summary.temporary, names.length - 2);
    assert.ok(await w.state.assets.get(w.id, 'x.wav'));
    assert.ok(await w.state.assets.get(w.id, 'hidden-no-more.wav'));
  });
});

describe('classification', () => {
  it('hands each kind to its queue with a deterministic job id and its priority', async () => {
    const w = await world();
    const expected = [
      {
        name: '20240312-093000_out_jdoe.wav',
        queue: 'media-probe',
        job: 'probe-recording',
        priority: 2,
        kind: 'recording',
      },
      { name: 'Loud.MP3', queue: 'media-probe', job: 'probe-recording', priority: 2, kind: 'recording' },
      {
        name: 'call-17.json',
        queue: 'metadata-parse',
        job: 'parse-metadata',
        priority: 2,
        kind: 'call-metadata',
      },
      {
        name: 'call-18.YAML',
        queue: 'metadata-parse',
        job: 'parse-metadata',
        priority: 2,
        kind: 'call-metadata',
      },
      {
        name: 'calls_batch.csv',
        queue: 'metadata-parse',
        job: 'parse-metadata',
        priority: 2,
        kind: 'call-metadata',
      },
      {
        name: 'contacts_20240101T1200.csv',
        queue: 'crm-ingest',
        job: 'ingest-crm-batch',
        priority: 1,
        kind: 'crm-batch',
      },
      { name: 'Lead-2024.csv', queue: 'crm-ingest', job: 'ingest-crm-batch', priority: 1, kind: 'crm-batch' },
    ] as const;
    for (const [index, file] of expected.entries()) await w.put(file.name, `content ${index}`);

    const summary = await w.scan();
    assert.equal(summary.enqueued, expected.length);

    for (const file of expected) {
      const versionId = await w.versionIdOf(file.name);
      const asset = await w.state.assets.get(w.id, file.name);
      assert.equal(asset?.kind, file.kind, file.name);
      assert.equal(asset?.state, 'pending', file.name);
      assert.equal(asset?.versions[0]?.versionId, versionId);

      const job = await producer.queue(file.queue).getJob(jobId(w.id, file.name, versionId));
      assert.ok(job, `${file.name} has a job on ${file.queue}`);
      assert.equal(job.name, file.job);
      assert.equal(job.opts.priority, file.priority, `${file.name} priority`);
      assert.deepEqual(job.data, {
        tenantId: w.id,
        fileName: file.name,
        versionId,
      });
    }
    const total =
      (await w.jobsOf('media-probe')).length +
      (await w.jobsOf('metadata-parse')).length +
      (await w.jobsOf('crm-ingest')).length;
    assert.equal(total, expected.length, 'one job per file, nothing else');
  });
});

describe('rejections at intake', () => {
  it('rejects an unsupported type: moves it to data/rejected/ with an error report', async () => {
    const w = await world();
    await w.put('notes.txt', 'call me maybe');
    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);

    assert.equal(await exists(join(w.root, 'data', 'notes.txt')), false);
    assert.equal(await readFile(join(w.root, 'data', 'rejected', 'notes.txt'), 'utf8'), 'call me maybe');
    const report = JSON.parse(
      await readFile(join(w.root, 'data', 'rejected', 'notes.txt.error.json'), 'utf8'),
    ) as ErrorReport;
    assert.equal(report.file, 'notes.txt');
    assert.equal(report.version, 1);
    assert.equal(report.rejectedAt, '2024-03-12T10:00:00.000Z');
    assert.equal(report.error.code, 'unsupported-type');
    assert.match(report.error.message, /notes\.txt/);

    const asset = await w.state.assets.get(w.id, 'notes.txt');
    assert.equal(asset?.kind, 'unknown');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'unsupported-type');
    assert.equal(asset?.versions[0]?.location, 'data/rejected/notes.txt');

    const again = await w.scan();
    assert.deepEqual(
      [again.rejected, again.enqueued, again.listed],
      [0, 0, 0],
      'data/rejected/ is not scanned',
    );
  });

  it('rejects an empty file as empty-file', async () => {
    const w = await world();
    await w.put('empty.wav', '');
    assert.equal((await w.scan()).rejected, 1);
    assert.equal(await exists(join(w.root, 'data', 'rejected', 'empty.wav')), true);
    const report = JSON.parse(
      await readFile(join(w.root, 'data', 'rejected', 'empty.wav.error.json'), 'utf8'),
    ) as ErrorReport;
    assert.equal(report.error.code, 'empty-file');
    assert.equal((await w.state.assets.get(w.id, 'empty.wav'))?.reason?.code, 'empty-file');
    assert.equal((await w.jobsOf('media-probe')).length, 0);
  });

  it('reports a file in a customer sub-folder as nested-directory and leaves it in place', async () => {
    const w = await world();
    await mkdir(join(w.root, 'data', 'sub'));
    await writeFile(join(w.root, 'data', 'sub', 'x.wav'), 'RIFF....WAVE');

    const summary = await w.scan();
    assert.equal(summary.rejected, 1);
    assert.equal(summary.enqueued, 0);
    const asset = await w.state.assets.get(w.id, 'sub/x.wav');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'nested-directory');
    assert.equal(await exists(join(w.root, 'data', 'sub', 'x.wav')), true, 'the customer folder is theirs');
    assert.equal(await exists(join(w.root, 'data', 'rejected')), false);
    assert.equal((await w.jobsOf('media-probe')).length, 0);

    const again = await w.scan();
    assert.equal(again.rejected, 0, 'reported once');
    assert.equal((await w.state.assets.get(w.id, 'sub/x.wav'))?.versions.length, 1);
  });

  it('rejects a symlink as unsupported-type and neither follows nor moves it', async () => {
    const w = await world();
    const target = join(w.root, '..', 'elsewhere.wav');
    await writeFile(target, 'RIFF....WAVE');
    await symlink(target, join(w.root, 'data', 'link.wav'));

    assert.equal((await w.scan()).rejected, 1);
    const asset = await w.state.assets.get(w.id, 'link.wav');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'unsupported-type');
    assert.match(asset?.reason?.message ?? '', /symbolic link/);
    assert.ok((await lstat(join(w.root, 'data', 'link.wav'))).isSymbolicLink(), 'the link stays where it is');
    assert.equal(await readFile(target, 'utf8'), 'RIFF....WAVE');
    assert.equal((await w.jobsOf('media-probe')).length, 0);
  });
});

describe('idempotence', () => {
  it('adds nothing on a second scan: no new version, no new job', async () => {
    const w = await world();
    await w.put('a.wav', 'RIFF....WAVE');
    await w.put('a.json', '{}');
    assert.equal((await w.scan()).enqueued, 2);

    const again = await w.scan();
    assert.equal(again.enqueued, 0);
    assert.equal(again.unchanged, 2);
    assert.equal((await w.state.assets.get(w.id, 'a.wav'))?.versions.length, 1);
    assert.equal((await w.state.assets.get(w.id, 'a.json'))?.versions.length, 1);
    assert.equal((await w.jobsOf('media-probe')).length, 1);
    assert.equal((await w.jobsOf('metadata-parse')).length, 1);
  });

  it('skips a recently taken file still waiting for its worker, and retakes it after 10 minutes', async () => {
    const w = await world({ settleSeconds: 0 });
    await w.put('waiting.wav', 'RIFF....WAVE');
    assert.equal((await w.scan()).enqueued, 1);
    // The job is lost (say, removed by hand): a recent take is trusted, a stale one is not.
    for (const job of await w.jobsOf('media-probe')) await job.remove();
    w.clock.advance(60_000);
    const soon = await w.scan();
    assert.equal(soon.unchanged, 1);
    assert.equal((await w.jobsOf('media-probe')).length, 0, 'skipped without a round trip per file');
    w.clock.advance(10 * 60_000);
    await w.scan();
    assert.equal((await w.jobsOf('media-probe')).length, 1, 'retaken: the job is back');
    assert.equal((await w.state.assets.get(w.id, 'waiting.wav'))?.versions.length, 1);
  });

  it('makes one version and one job from two concurrent scans of the same tenant', async () => {
    const w = await world();
    await w.put('race.wav', 'RIFF....WAVE');
    const summaries = await Promise.all([w.scan(), w.scan(), w.scan()]);
    assert.equal(
      summaries.reduce((sum, s) => sum + s.enqueued, 0),
      1,
      'exactly one scan created the version',
    );
    assert.equal((await w.state.assets.get(w.id, 'race.wav'))?.versions.length, 1);
    assert.equal((await w.jobsOf('media-probe')).length, 1);
  });

  it('survives concurrent scans rejecting the same files: both finish, one version each', async () => {
    const w = await world();
    await w.put('notes.txt', 'not a call');
    await w.put('empty.wav', '');
    await Promise.all([w.scan(), w.scan()]);
    for (const name of ['notes.txt', 'empty.wav']) {
      const asset = await w.state.assets.get(w.id, name);
      assert.equal(asset?.versions.length, 1, name);
      assert.equal(asset?.state, 'rejected', name);
      assert.equal(await exists(join(w.root, 'data', 'rejected', name)), true, name);
      assert.equal(await exists(join(w.root, 'data', 'rejected', `${name}.error.json`)), true, name);
    }
  });

  it('finishes the move of a file whose version was already processed (re-upload or crash before move)', async () => {
    const w = await world();
    await w.put('done.json', '{}');
    await w.scan();
    const versionId = await w.versionIdOf('done.json');
    await transitionVersion(w.state, { tenantId: w.id, fileName: 'done.json', versionId }, 'capture', {
      location: 'data/processed/done.json',
    });

    const summary = await w.scan();
    assert.equal(summary.unchanged, 1);
    assert.equal(await exists(join(w.root, 'data', 'done.json')), false);
    assert.equal(await exists(join(w.root, 'data', 'processed', 'done.json')), true);
    assert.equal((await w.state.assets.get(w.id, 'done.json'))?.versions.length, 1);
  });

  it('records new content under the same name as version 2 with its own job id', async () => {
    const w = await world();
    await w.put('a.wav', 'RIFF....WAVE');
    await w.scan();
    const firstId = await w.versionIdOf('a.wav');

    await w.put('a.wav', 'RIFF....WAVE, longer', new Date('2024-03-12T09:05:00Z'));
    const secondId = await w.versionIdOf('a.wav');
    assert.notEqual(secondId, firstId);
    assert.equal((await w.scan()).enqueued, 1);

    const asset = await w.state.assets.get(w.id, 'a.wav');
    assert.deepEqual(
      asset?.versions.map((v) => [v.number, v.versionId]),
      [
        [1, firstId],
        [2, secondId],
      ],
    );
    const ids = (await w.jobsOf('media-probe')).map((job) => job.id).sort();
    assert.deepEqual(ids, [jobId(w.id, 'a.wav', firstId), jobId(w.id, 'a.wav', secondId)].sort());
  });
});
