// Redis connections for the two roles BullMQ distinguishes: workers block and must retry
// forever (maxRetriesPerRequest: null); producers in request paths fail fast instead of
// queueing commands while Redis is away. Either a single server (REDIS_URL) or a Redis
// Cluster (REDIS_CLUSTER_NODES, with credentials and TLS still taken from REDIS_URL).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClient } from '@callintake/state';
import type { QueueName } from './registry';

export interface ClusterNode {
  host: string;
  port: number;
}

export interface RedisSettings {
  url: string;
  /** Namespace for every key we write; BullMQ queues live under `<namespace>:bull` unless it is empty. */
  namespace: string;
  /** Seed nodes of a Redis Cluster: when given, every connection is a cluster client. */
  clusterNodes?: readonly ClusterNode[];
}

/** The settings of REDIS_URL, REDIS_NAMESPACE and REDIS_CLUSTER_NODES (validated by loadEnv). */
export function redisSettingsOf(env: {
  REDIS_URL: string;
  REDIS_NAMESPACE: string;
  REDIS_CLUSTER_NODES: readonly ClusterNode[];
}): RedisSettings {
  return { url: env.REDIS_URL, namespace: env.REDIS_NAMESPACE, clusterNodes: env.REDIS_CLUSTER_NODES };
}

export function inClusterMode(settings: Pick<RedisSettings, 'clusterNodes'>): boolean {
  return (settings.clusterNodes?.length ?? 0) > 0;
}

export function workerConnection(settings: RedisSettings, extra: RedisOptions = {}): RedisClient {
  return connect(
    settings,
    { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...extra },
    WAIT_OUT_CLUSTER_DOWN,
  );
}

export function producerConnection(settings: RedisSettings, extra: RedisOptions = {}): RedisClient {
  return connect(
    settings,
    { maxRetriesPerRequest: 3, enableOfflineQueue: false, lazyConnect: false, ...extra },
    FAIL_FAST_CLUSTER_DOWN,
  );
}

/**
 * How long a cluster command keeps retrying while a slot has no master (CLUSTERDOWN: a master
 * down and no replica promoted yet) or is moving: each retry counts as a redirection. Workers
 * ride out a failover, about 2 minutes, as they wait for a single Redis that restarts; request
 * paths give up within seconds.
 */
const WAIT_OUT_CLUSTER_DOWN = { maxRedirections: 400, retryDelayOnClusterDown: 300 } as const;
const FAIL_FAST_CLUSTER_DOWN = { maxRedirections: 16, retryDelayOnClusterDown: 300 } as const;

function connect(
  settings: RedisSettings,
  options: RedisOptions,
  patience: { maxRedirections: number; retryDelayOnClusterDown: number },
): RedisClient {
  if (!inClusterMode(settings)) return new Redis(settings.url, options);
  const { enableOfflineQueue, lazyConnect, enableReadyCheck, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...credentialsOf(settings.url), ...perNode },
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(enableReadyCheck !== undefined ? { enableReadyCheck } : {}),
    // A failover or a slot migration answers MOVED/ASK/TRYAGAIN/CLUSTERDOWN for a while:
    // follow and retry instead of failing the job.
    ...patience,
    retryDelayOnMoved: 50,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    // Managed clusters (ElastiCache, MemoryDB) announce names a TLS certificate is issued for:
    // connect by name, not by the looked-up address.
    dnsLookup: (address, callback) => callback(null, address),
  };
  return new Cluster([...(settings.clusterNodes ?? [])], clusterOptions);
}

/** Username, password, database and TLS from REDIS_URL: a cluster's nodes share them. */
function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * BullMQ's key prefix. With the default (empty) namespace it is BullMQ's own default `bull`,
 * so downstream consumers read `calls-ready` with no configuration.
 */
export function bullPrefix(settings: Pick<RedisSettings, 'namespace'>): string {
  return settings.namespace ? `${settings.namespace}:bull` : 'bull';
}

/** Which prefix each queue's keys sit under. */
export type QueuePrefix = (queue: QueueName) => string;

/**
 * Single server: every queue under bullPrefix (`bull`). Cluster: each queue under its own hash
 * tag, `bull:{calls-ready}`, so a queue's keys share a slot (BullMQ's scripts need that) and
 * the queues spread over the masters. Downstream consumers use the same prefix.
 */
export function queuePrefix(settings: Pick<RedisSettings, 'namespace' | 'clusterNodes'>): QueuePrefix {
  const base = bullPrefix(settings);
  return inClusterMode(settings) ? (queue) => `${base}:{${queue}}` : () => base;
}

export async function waitForReady(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
