import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { RunningWorker } from '@callintake/queues';
import { removeNamespace, testRedisEnv, uniqueNamespace } from '@callintake/testing';
import { silentLogger } from '@callintake/telemetry';
import { startHealthServer } from './health';
import { freePort } from './redis-bootstrap';
import { Runtime } from './runtime';

const namespace = uniqueNamespace('health');
let runtime: Runtime;
let server: Server;
let base: string;
let lastProgress = Date.now();

const fakeWorker = { queue: 'call-match', lastProgressAt: () => lastProgress } as unknown as RunningWorker;

before(async () => {
  runtime = await Runtime.create({
    service: 'test',
    env: { ...testRedisEnv(), REDIS_NAMESPACE: namespace },
    tenants: [],
    logger: silentLogger(),
  });
  const port = await freePort();
  server = await startHealthServer(runtime, [fakeWorker], { port, host: '127.0.0.1', wedgedAfterMs: 1_000 });
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  server.close();
  await runtime.close();
  await removeNamespace(namespace);
});

describe('worker health', () => {
  it('is ready while Redis answers', async () => {
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('is live while idle with nothing waiting, and wedged when jobs wait without progress', async () => {
    lastProgress = Date.now() - 60_000;
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'idle with an empty queue is healthy');
    await runtime.producer.add('match-recording', { tenantId: 'acme', fileName: 'x.wav' }, { jobId: 'x' });
    const wedged = await fetch(`${base}/healthz`);
    assert.equal(wedged.status, 503);
    assert.match(JSON.stringify(await wedged.json()), /call-match: 1 jobs waiting and no progress/);
    lastProgress = Date.now();
    assert.equal(
      (await fetch(`${base}/healthz`)).status,
      200,
      'recent progress is healthy even with a backlog',
    );
  });

  it('is not ready while Redis does not answer, and names the reason', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => undefined);
    const port = await freePort();
    const unreachable = { redis: deadRedis, producer: runtime.producer } as unknown as Runtime;
    const deadServer = await startHealthServer(unreachable, [fakeWorker], { port, host: '127.0.0.1' });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), {
        error: { code: 'redis-unavailable', message: 'Redis does not answer' },
      });
    } finally {
      deadServer.close();
      deadRedis.disconnect();
    }
  });
});
