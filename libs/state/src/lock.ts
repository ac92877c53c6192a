// A short Redis lock for work that must not interleave across replicas (pairing one key).
// Released only by its owner; expires on its own if the owner dies.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export async function withLock<T>(
  redis: Redis,
  key: string,
  work: () => Promise<T>,
  ttlMs = 30_000,
  waitMs = 30_000,
): Promise<T> {
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  let delay = 5;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`lock ${key} still held after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
