// Compare-and-set of one JSON document plus its index updates, in one Lua script. We cannot
// use WATCH/MULTI: workers share one connection across concurrent jobs, and WATCH is
// per-connection, so one job's EXEC would silently drop another's watch.
import type { Redis } from 'ioredis';

export type IndexOp =
  | { op: 'ZADD'; key: string; score: number; member: string }
  | { op: 'ZREM'; key: string; member: string }
  | { op: 'HSET'; key: string; field: string; value: string }
  | { op: 'HDEL'; key: string; field: string }
  | { op: 'HINCRBY'; key: string; field: string; by: number }
  | { op: 'HINCRBYFLOAT'; key: string; field: string; by: number };

const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3]) end
local ops = cjson.decode(ARGV[4])
for _, op in ipairs(ops) do
  local key = KEYS[op[2]]
  if op[1] == 'ZADD' then redis.call('ZADD', key, op[3], op[4])
  elseif op[1] == 'ZREM' then redis.call('ZREM', key, op[3])
  elseif op[1] == 'HSET' then redis.call('HSET', key, op[3], op[4])
  elseif op[1] == 'HDEL' then redis.call('HDEL', key, op[3])
  elseif op[1] == 'HINCRBY' then redis.call('HINCRBY', key, op[3], op[4])
  elseif op[1] == 'HINCRBYFLOAT' then redis.call('HINCRBYFLOAT', key, op[3], op[4])
  end
end
return 1
`;

export interface Mutation<T> {
  /** The new document; null deletes it; undefined leaves everything unchanged. */
  next: T | null | undefined;
  ops?: IndexOp[];
}

export async function getJson<T>(redis: Redis, key: string): Promise<T | null> {
  const raw = await redis.get(key);
  return raw === null ? null : (JSON.parse(raw) as T);
}

/**
 * Reads the document at `key`, lets `change` decide the next one, and writes it only if the
 * document is still what was read; otherwise reads again. `change` must be pure.
 */
export async function mutateJson<T>(
  redis: Redis,
  key: string,
  change: (current: T | null) => Mutation<T>,
): Promise<{ before: T | null; after: T | null; changed: boolean }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const raw = await redis.get(key);
    const before = raw === null ? null : (JSON.parse(raw) as T);
    const { next, ops = [] } = change(before);
    if (next === undefined) return { before, after: before, changed: false };
    const keys = [key];
    const encodedOps = ops.map((op) => {
      keys.push(op.key);
      const index = keys.length;
      switch (op.op) {
        case 'ZADD':
          return [op.op, index, op.score, op.member];
        case 'ZREM':
          return [op.op, index, op.member];
        case 'HSET':
          return [op.op, index, op.field, op.value];
        case 'HDEL':
          return [op.op, index, op.field];
        case 'HINCRBY':
        case 'HINCRBYFLOAT':
          // As a string: cjson would print a large float in exponent form, which HINCRBYFLOAT refuses.
          return [op.op, index, op.field, String(op.by)];
      }
    });
    const written = await redis.eval(
      CAS_SCRIPT,
      keys.length,
      ...keys,
      raw === null ? '0' : '1',
      raw ?? '',
      next === null ? '' : JSON.stringify(next),
      JSON.stringify(encodedOps),
    );
    if (written === 1) return { before, after: next, changed: true };
  }
  throw new Error(`could not update ${key}: too much contention`);
}
