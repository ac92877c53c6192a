// Connection settings for one Redis and for a Redis Cluster: which client, which credentials,
// and which key prefix each queue gets (no server needed: nothing connects).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { isCluster } from '@callintake/state';
import { producerConnection, queuePrefix, workerConnection } from './connection';
import { QUEUE_NAMES } from './registry';

const nodes = [
  { host: '10.0.0.1', port: 7000 },
  { host: '10.0.0.2', port: 7001 },
];

describe('Redis connections', () => {
  it('are one Redis without cluster nodes, a Cluster with them', () => {
    const single = workerConnection({ url: 'redis://127.0.0.1:1', namespace: '' }, { lazyConnect: true });
    const cluster = workerConnection(
      { url: 'redis://127.0.0.1:1', namespace: '', clusterNodes: nodes },
      { lazyConnect: true },
    );
    try {
      assert.ok(single instanceof Redis);
      assert.equal(isCluster(single), false);
      assert.ok(cluster instanceof Cluster);
      assert.equal(isCluster(cluster), true);
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });

  it("take a cluster's credentials and TLS from REDIS_URL, and keep each role's retry rules", () => {
    const settings = { url: 'rediss://app:s%3Acret@ignored:6379', namespace: '', clusterNodes: nodes };
    const worker = workerConnection(settings, { lazyConnect: true }) as Cluster;
    const producer = producerConnection(settings, { lazyConnect: true }) as Cluster;
    try {
      assert.equal(worker.options.redisOptions?.username, 'app');
      assert.equal(worker.options.redisOptions?.password, 's:cret');
      assert.deepEqual(worker.options.redisOptions?.tls, {});
      // Workers wait out a Redis outage; producers in request paths fail fast.
      assert.equal(worker.options.redisOptions?.maxRetriesPerRequest, null);
      assert.equal(producer.options.redisOptions?.maxRetriesPerRequest, 3);
      assert.equal(producer.options.enableOfflineQueue, false);
      // While a slot has no master, workers wait about 2 minutes; producers a few seconds.
      const patience = (cluster: Cluster) =>
        (cluster.options.maxRedirections ?? 0) * (cluster.options.retryDelayOnClusterDown ?? 0);
      assert.ok(patience(worker) >= 120_000, String(patience(worker)));
      assert.ok(patience(producer) <= 5_000, String(patience(producer)));
    } finally {
      worker.disconnect();
      producer.disconnect();
    }
  });
});

describe('queue prefixes', () => {
  it('are bull (or <namespace>:bull) for every queue on one Redis', () => {
    for (const queue of QUEUE_NAMES) {
      assert.equal(queuePrefix({ namespace: '' })(queue), 'bull');
      assert.equal(queuePrefix({ namespace: 'demo' })(queue), 'demo:bull');
    }
  });

  it("hash-tag each queue on a cluster, so a queue's keys share a slot and queues spread", () => {
    const prefix = queuePrefix({ namespace: '', clusterNodes: nodes });
    assert.equal(prefix('calls-ready'), 'bull:{calls-ready}');
    assert.equal(
      queuePrefix({ namespace: 'demo', clusterNodes: nodes })('media-probe'),
      'demo:bull:{media-probe}',
    );
    assert.equal(new Set(QUEUE_NAMES.map(prefix)).size, QUEUE_NAMES.length);
  });
});
