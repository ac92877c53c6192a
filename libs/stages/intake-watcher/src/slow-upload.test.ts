// A file still being written is never taken: a writer appends to a large file over several
// seconds while scans run every 100 ms, on the real clock and a real folder.
import assert from 'node:assert/strict';
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import { StateStore, systemClock, type RedisClient } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { scanSource } from './scan';

const namespace = uniqueNamespace('slow-upload');
let redis: RedisClient;
let producer: JobProducer;
let folder: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('slow-upload');
});
after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('partial uploads', () => {
  it('takes a file written slowly over several seconds only after it stopped changing for the settle interval', async () => {
    const tenant = localTenant(folder.path, { id: 'slow', settleSeconds: 1 });
    const root = join(folder.path, 'upload');
    await mkdir(join(root, 'data'), { recursive: true });
    const state = new StateStore(redis, namespace, systemClock);
    const area = new LocalUploadArea(root);
    const path = join(root, 'data', '20240312-101500_outbound_7.wav');
    const chunk = Buffer.alloc(64 * 1024, 1);

    let writing = true;
    let lastWriteAt = 0;
    const writer = (async () => {
      // 80 chunks, one every 50 ms: 5 MiB over about 4 s, never idle as long as the settle interval.
      for (let i = 0; i < 80; i++) {
        await appendFile(path, chunk);
        lastWriteAt = Date.now();
        await sleep(50);
      }
      writing = false;
    })();

    let scansWhileWriting = 0;
    let takenAt = 0;
    while (!takenAt) {
      await scanSource({ tenant, area, state, producer, logger: silentLogger() });
      const asset = await state.assets.get('slow', '20240312-101500_outbound_7.wav');
      if (asset) takenAt = Date.now();
      else if (writing) scansWhileWriting++;
      assert.ok(!(asset && writing), 'a file was taken while it was still being written');
      await sleep(100);
    }
    await writer;

    assert.ok(
      scansWhileWriting >= 20,
      `the scans raced the writer (${scansWhileWriting} scans while writing)`,
    );
    assert.ok(
      takenAt - lastWriteAt >= 1000,
      `taken ${takenAt - lastWriteAt} ms after the last write; the settle interval is 1000 ms`,
    );
    const asset = await state.assets.get('slow', '20240312-101500_outbound_7.wav');
    assert.equal(asset?.versions.length, 1);
    assert.equal(asset?.versions[0]?.sizeBytes, (await stat(path)).size);
    assert.equal(asset?.versions[0]?.sizeBytes, 80 * chunk.length);
  });
});
