// A short Redis lock for work that must not interleave across replicas (pairing one key,
// scanning one tenant). Released only by its owner. Its time-to-live is short and renewed
// while the owner works, so a holder that dies (SIGKILL, OOM) blocks others for one TTL at
// most, however long the work itself takes.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client';
import { evalScript, luaScript } from './lua';

const RELEASE = luaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`,
);
const RENEW = luaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`,
);

export interface LockOptions {
  /** How long the lock outlives a holder that stopped renewing it. */
  ttlMs?: number;
  /** How long to wait for the lock before giving up (the job then retries). */
  waitMs?: number;
}

export async function withLock<T>(
  redis: RedisClient,
  key: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const ttlMs = options.ttlMs ?? 15_000;
  const waitMs = options.waitMs ?? 30_000;
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  let delay = 5;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`lock ${key} still held after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
  const renewal = setInterval(
    () => {
      evalScript(redis, RENEW, [key], [token, String(ttlMs)]).catch(() => undefined);
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  );
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await evalScript(redis, RELEASE, [key], [token]);
  }
}
