// Redis connections for the two roles BullMQ distinguishes: workers block and must retry
// forever (maxRetriesPerRequest: null); producers in request paths fail fast instead of
// queueing commands while Redis is away.
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisSettings {
  url: string;
  /** Namespace for every key we write; BullMQ queues live under `<namespace>:bull` unless it is empty. */
  namespace: string;
}

export function workerConnection(settings: RedisSettings, extra: RedisOptions = {}): Redis {
  return new Redis(settings.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
    ...extra,
  });
}

export function producerConnection(settings: RedisSettings, extra: RedisOptions = {}): Redis {
  return new Redis(settings.url, {
    maxRetriesPerRequest: 3,
    enableOfflineQueue: false,
    lazyConnect: false,
    ...extra,
  });
}

/**
 * BullMQ's key prefix. With the default (empty) namespace it is BullMQ's own default `bull`,
 * so downstream consumers read `calls-ready` with no configuration.
 */
export function bullPrefix(settings: Pick<RedisSettings, 'namespace'>): string {
  return settings.namespace ? `${settings.namespace}:bull` : 'bull';
}

export async function waitForReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
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
