// The retention sweep against real Redis and a real upload folder, with files brought to their
// state by the real scan and handlers and time moved by a manual clock.
import assert from 'node:assert/strict';
import { lstat, mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanSource } from '@callintake/intake-watcher';
import { handleMatchRecording } from '@callintake/matcher';
import { encodeWav } from '@callintake/media';
import { handleProbeRecording, type ProbeDeps } from '@callintake/media-prober';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import { handleSweepTenant } from '@callintake/retention';
import type { TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { LocalArchiveStore, LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';

const namespace = uniqueNamespace('retention');
let redis: RedisClient;
let producer: JobProducer;
let folder: { path: string; remove(): Promise<void> };
let tenantCount = 0;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('retention');
});

after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

const DAY = 24 * 3600_000;
const logger = silentLogger();
const context = { jobId: 'test', attempt: 1, logger };

async function world() {
  tenantCount += 1;
  const id = `sweep-${tenantCount}`;
  const base = join(folder.path, id);
  const tenant: TenantConfig = localTenant(base, { id });
  const root = join(base, 'upload');
  await mkdir(join(root, 'data'), { recursive: true });
  const clock = manualClock(new Date('2024-03-01T00:00:00Z'));
  const state = new StateStore(redis, namespace, clock);
  const area = new LocalUploadArea(root);
  const deps: ProbeDeps = {
    state,
    producer,
    tenant: (tenantId) => (tenantId === id ? tenant : undefined),
    uploadArea: () => area,
    archive: () => new LocalArchiveStore(join(base, 'archive')),
  };
  const path = (relative: string) => join(root, relative);

  /** Drops a recording in data/ and records it as a pending version, as a scan would. */
  async function upload(
    name: string,
    // Each name its own bytes: the same bytes under a second name are a duplicate-content.
    content: string | Buffer = encodeWav({
      sampleRateHz: 8000,
      channels: 1,
      durationSec: 0.5,
      uniqueTag: name,
    }),
  ) {
    await writeFile(path(`data/${name}`), content);
    const mtime = new Date(clock.now().getTime() - 60_000);
    await utimes(path(`data/${name}`), mtime, mtime);
    await scanSource({ tenant, area, state, producer, logger });
    const asset = await state.assets.get(id, name);
    return asset?.versions.at(-1)?.versionId ?? assert.fail(`${name} was not taken`);
  }

  /** Uploads, probes and matches a recording: processed, and a call awaiting its metadata. */
  async function process(name: string) {
    const versionId = await upload(name);
    await handleProbeRecording(deps, { tenantId: id, fileName: name, versionId }, context);
    await handleMatchRecording(deps, { tenantId: id, fileName: name }, context);
  }

  const sweep = () => handleSweepTenant(deps, { tenantId: id }, context);
  return { id, clock, state, path, upload, process, sweep };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('purging the upload area', () => {
  it('purges a processed file purgeAfterDays after it was first seen, and keeps a younger one', async () => {
    const w = await world();
    await w.process('old.wav');
    w.clock.advance(5 * DAY);
    await w.process('young.wav');

    w.clock.advance(2 * DAY - 1);
    assert.deepEqual(await w.sweep(), { purged: 0, kept: 2, expired: 0 }, 'one millisecond short of 7 days');

    w.clock.advance(1);
    assert.deepEqual(await w.sweep(), { purged: 1, kept: 1, expired: 0 });
    assert.equal(await exists(w.path('data/processed/old.wav')), false);
    const old = await w.state.assets.get(w.id, 'old.wav');
    assert.equal(old?.state, 'purged');
    assert.equal(old?.versions[0]?.state, 'purged');

    assert.equal(await exists(w.path('data/processed/young.wav')), true);
    assert.equal((await w.state.assets.get(w.id, 'young.wav'))?.state, 'processed');
  });

  it('purges a rejected file and its error report, keeping the reason', async () => {
    const w = await world();
    await w.upload('notes.txt', 'not a call');
    assert.equal(await exists(w.path('data/rejected/notes.txt.error.json')), true);

    w.clock.advance(7 * DAY);
    assert.deepEqual(await w.sweep(), { purged: 2, kept: 0, expired: 0 });
    assert.equal(await exists(w.path('data/rejected/notes.txt')), false);
    assert.equal(await exists(w.path('data/rejected/notes.txt.error.json')), false);
    const asset = await w.state.assets.get(w.id, 'notes.txt');
    assert.equal(asset?.state, 'purged');
    assert.equal(asset?.reason?.code, 'unsupported-type');
  });

  it('purges files left in a customer sub-folder and symlinks in data/, once due, without touching link targets', async () => {
    const w = await world();
    await mkdir(w.path('data/sub'), { recursive: true });
    await writeFile(w.path('data/sub/x.wav'), 'misplaced');
    const target = join(folder.path, `${w.id}-outside.txt`);
    await writeFile(target, 'not ours');
    await symlink(target, w.path('data/link.wav'));
    await scanSource({
      tenant: localTenant(join(folder.path, w.id), { id: w.id }),
      area: new LocalUploadArea(w.path('')),
      state: w.state,
      producer,
      logger,
    });
    assert.equal((await w.state.assets.get(w.id, 'sub/x.wav'))?.reason?.code, 'nested-directory');
    assert.equal((await w.state.assets.get(w.id, 'link.wav'))?.state, 'rejected');

    w.clock.advance(7 * DAY - 1);
    assert.deepEqual(await w.sweep(), { purged: 0, kept: 2, expired: 0 });
    w.clock.advance(1);
    assert.deepEqual(await w.sweep(), { purged: 2, kept: 0, expired: 0 });
    assert.equal(await exists(w.path('data/sub/x.wav')), false);
    assert.equal(
      await lstat(w.path('data/link.wav')).then(
        () => true,
        () => false,
      ),
      false,
      'the link is gone',
    );
    assert.equal(await exists(target), true, 'what it pointed to is untouched');
    assert.equal((await w.state.assets.get(w.id, 'sub/x.wav'))?.state, 'purged');
  });

  it('purges leftovers under temporary names once they are purgeAfterDays old, however they are named', async () => {
    const w = await world();
    const leftovers = ['call.wav.part', '.call.wav.swp', 'upload.filepart', 'x.tmp', 'y.wav~'];
    const old = new Date(w.clock.now().getTime() - 7 * DAY - 1_000);
    for (const name of leftovers) {
      await writeFile(w.path(`data/${name}`), 'half an upload');
      await utimes(w.path(`data/${name}`), old, old);
    }
    await writeFile(w.path('data/fresh.wav.part'), 'still uploading');
    assert.deepEqual(await w.sweep(), { purged: leftovers.length, kept: 1, expired: 0 });
    for (const name of leftovers) assert.equal(await exists(w.path(`data/${name}`)), false, name);
    assert.equal(await exists(w.path('data/fresh.wav.part')), true, 'a younger temporary file stays');
  });

  it('never purges a file still pending, however old', async () => {
    const w = await world();
    await w.upload('waiting.wav');
    w.clock.advance(60 * DAY);
    await w.sweep();
    assert.equal(await exists(w.path('data/waiting.wav')), true);
    assert.equal((await w.state.assets.get(w.id, 'waiting.wav'))?.state, 'pending');
  });

  it('keeps a processed file while a newer version of it is still pending', async () => {
    const w = await world();
    await w.process('redo.wav');
    w.clock.advance(1 * DAY);
    await w.upload('redo.wav', encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 0.75 }));
    w.clock.advance(30 * DAY);
    assert.equal((await w.sweep()).purged, 0);
    assert.equal(await exists(w.path('data/processed/redo.wav')), true);
    assert.equal(await exists(w.path('data/redo.wav')), true);
    assert.deepEqual(
      (await w.state.assets.get(w.id, 'redo.wav'))?.versions.map((v) => v.state),
      ['processed', 'pending'],
    );
  });
});

describe('recordings waiting for metadata', () => {
  it('expire awaitingMetadataDays after the call was created, with a reason', async () => {
    const w = await world();
    await w.process('20240301-000000_in_ann.wav');
    w.clock.advance(20 * DAY);
    await w.process('20240321-000000_in_bob.wav');
    assert.equal((await w.state.calls.get(w.id, '20240301-000000_in_ann'))?.status, 'awaiting_metadata');

    w.clock.advance(10 * DAY - 1);
    assert.equal((await w.sweep()).expired, 0, 'one millisecond short of 30 days');

    w.clock.advance(1);
    assert.equal((await w.sweep()).expired, 1);
    const expired = await w.state.calls.get(w.id, '20240301-000000_in_ann');
    assert.equal(expired?.status, 'expired');
    assert.equal(expired?.statusReason?.code, 'expired');
    assert.match(expired?.statusReason?.message ?? '', /30 days/);
    assert.equal(expired?.version, 2);
    assert.equal(expired?.updatedAt, w.clock.now().toISOString());
    assert.equal(
      (await w.state.calls.list(w.id, { status: 'awaiting_metadata', limit: 10 })).items.length,
      1,
    );
    assert.equal((await w.state.calls.get(w.id, '20240321-000000_in_bob'))?.status, 'awaiting_metadata');

    assert.equal((await w.sweep()).expired, 0, 'a call expires once');
  });
});
