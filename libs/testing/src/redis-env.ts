// Which Redis the tests talk to: the single test Redis (REDIS_URL, else 127.0.0.1:6379), or,
// when REDIS_CLUSTER_NODES is set (npm test's cluster pass), a Redis Cluster. Tests build their
// connections and the env of the services they start from here, so one test file runs in
// either mode unchanged. (libs/testing imports no lib of ours: every lib's tests import it.)
export const TEST_REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

const clusterVariable = process.env['REDIS_CLUSTER_NODES'] ?? '';

/** The cluster's seed nodes in the cluster pass (host:port,…); empty for a single Redis. */
export const TEST_REDIS_CLUSTER_NODES: Array<{ host: string; port: number }> = clusterVariable
  .split(',')
  .filter(Boolean)
  .map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });

export function testRedisMode(): 'single' | 'cluster' {
  return TEST_REDIS_CLUSTER_NODES.length > 0 ? 'cluster' : 'single';
}

/** Connection settings (RedisSettings of @callintake/queues) for a test's own namespace. */
export function testRedisSettings(namespace: string): {
  url: string;
  namespace: string;
  clusterNodes: Array<{ host: string; port: number }>;
} {
  return { url: TEST_REDIS_URL, namespace, clusterNodes: TEST_REDIS_CLUSTER_NODES };
}

/** The Redis variables of a service or Runtime a test starts, in this run's mode. */
export function testRedisEnv(): { REDIS_URL: string; REDIS_CLUSTER_NODES?: string } {
  return {
    REDIS_URL: TEST_REDIS_URL,
    ...(clusterVariable ? { REDIS_CLUSTER_NODES: clusterVariable } : {}),
  };
}
