// Lua scripts run by their SHA1 (EVALSHA): the script text is sent once per server, not with
// every call. A server that does not know it yet (restarted, flushed, another cluster node)
// answers NOSCRIPT, and the call is made once with EVAL, which also loads it.
import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

export interface LuaScript {
  source: string;
  sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export async function evalScript(
  redis: RedisClient,
  script: LuaScript,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
