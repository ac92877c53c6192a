// One type for the two shapes Redis comes in: a single server (ioredis `Redis`) or a Redis
// Cluster (ioredis `Cluster`, REDIS_CLUSTER_NODES). Both answer the same commands; a cluster
// routes each by its key's slot, so a command without a key (INFO, CONFIG, SCAN) reaches one
// node only: `masters` is how to ask every node.
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/** The servers that hold keys: the one server, or every master of the cluster. */
export function masters(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * Calls `visit` with every key matching `pattern`, a thousand at a time, on every master
 * (SCAN, never KEYS). Keys a slot migration moves during the walk may be missed or seen twice.
 */
export async function scanKeys(
  redis: RedisClient,
  pattern: string,
  visit: (keys: string[], node: Redis) => Promise<void>,
): Promise<void> {
  // A cluster client knows its masters once it has read the slot map.
  if (isCluster(redis) && redis.status !== 'ready')
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('end', () => reject(new Error('Redis Cluster connection ended before it was ready')));
    });
  for (const node of masters(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await visit(keys, node);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Removes every key matching `pattern` on every master (one UNLINK per key: slots differ). */
export async function unlinkMatching(redis: RedisClient, pattern: string): Promise<void> {
  await scanKeys(redis, pattern, async (keys, node) => {
    await keys.reduce((pipeline, key) => pipeline.unlink(key), node.pipeline()).exec();
  });
}

/**
 * Redis's maxmemory-policy from `CONFIG GET`, or from `INFO memory` where CONFIG is disabled
 * (managed Redis); undefined when neither answers. A cluster evicts on whichever master runs
 * out: the first master that does not say noeviction is the answer.
 */
export async function readEvictionPolicy(redis: RedisClient): Promise<string | undefined> {
  const policies = await Promise.all(masters(redis).map((node) => readNodeEvictionPolicy(node)));
  return policies.find((policy) => policy !== 'noeviction') ?? policies[0];
}

async function readNodeEvictionPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string' && reply[1]) return reply[1];
  } catch {
    // CONFIG renamed or refused (ACL, managed services): INFO usually still answers.
  }
  try {
    const info = await redis.info('memory');
    const match = /^maxmemory_policy:(\S+)/m.exec(info);
    if (match?.[1]) return match[1];
  } catch {
    // Refused too: the caller warns.
  }
  return undefined;
}
