// Compare-and-set of one JSON document plus its index updates, in one Lua script. We cannot
// use WATCH/MULTI: workers share one connection across concurrent jobs, and WATCH is
// per-connection, so one job's EXEC would silently drop another's watch.
//
// Round trips: the script answers a lost compare with the document as it is now, so a retry
// needs no read of its own; and a document this process read or wrote lately is taken as the
// expected one without reading it first (a guess: a wrong one only costs the round trip the
// read would have, since the script refuses it and answers with the real one). A change is only
// ever decided on a document the script then confirms, so the guesses change no outcome.
import type { RedisClient } from './redis-client';
import { evalScript, luaScript } from './lua';

export type IndexOp =
  | { op: 'ZADD'; key: string; score: number; member: string }
  | { op: 'ZREM'; key: string; member: string }
  | { op: 'HSET'; key: string; field: string; value: string }
  | { op: 'HDEL'; key: string; field: string }
  | { op: 'HINCRBY'; key: string; field: string; by: number }
  | { op: 'HINCRBYFLOAT'; key: string; field: string; by: number };

// Answers {1} when written, else {0} and the document as it is ({0} alone: there is none).
const CAS_SCRIPT = luaScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return {0, current} end
elseif current ~= ARGV[2] then
  if current then return {0, current} end
  return {0}
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
return {1}
`);

export interface Mutation<T> {
  /** The new document; null deletes it; undefined leaves everything unchanged. */
  next: T | null | undefined;
  ops?: IndexOp[];
}

/**
 * Documents this process read or wrote lately, per connection: the guesses mutateJson starts
 * from. `freshUntil`: read just now for the step about to change it (StateStore.warm), so a
 * change may be judged unneeded on it as on its own read; once, and only for a moment (a step
 * that failed before its change leaves no lasting trust behind).
 */
interface Guess {
  raw: string | null;
  freshUntil: number;
}
const FRESH_MS = 250;
const GUESSES = new WeakMap<RedisClient, Map<string, Guess>>();
const GUESS_LIMIT = 2_000;
/** Bigger documents are not kept (a guess is only worth a round trip). */
const GUESS_MAX_CHARS = 256 * 1024;

/**
 * Notes what a key holds now (null: nothing), as just read or written: mutateJson of that key
 * may then skip its read. For repositories that read documents by other means (MGET, pipelines).
 */
export function rememberJson(redis: RedisClient, key: string, raw: string | null, fresh = false): void {
  let guesses = GUESSES.get(redis);
  if (!guesses) {
    guesses = new Map();
    GUESSES.set(redis, guesses);
  }
  guesses.delete(key);
  if (raw !== null && raw.length > GUESS_MAX_CHARS) return;
  guesses.set(key, { raw, freshUntil: fresh ? Date.now() + FRESH_MS : 0 });
  if (guesses.size > GUESS_LIMIT) guesses.delete(guesses.keys().next().value as string);
}

function guessOf(redis: RedisClient, key: string): { raw: string | null; fresh: boolean } | undefined {
  const guess = GUESSES.get(redis)?.get(key);
  if (!guess) return undefined;
  const fresh = guess.freshUntil >= Date.now();
  guess.freshUntil = 0;
  return { raw: guess.raw, fresh };
}

export async function getJson<T>(redis: RedisClient, key: string): Promise<T | null> {
  const raw = await redis.get(key);
  rememberJson(redis, key, raw);
  return raw === null ? null : (JSON.parse(raw) as T);
}

/**
 * Reads the document at `key`, lets `change` decide the next one, and writes it only if the
 * document is still what was read; otherwise decides again on the document as it is. `change`
 * must be pure: it may be called more than once.
 */
export async function mutateJson<T>(
  redis: RedisClient,
  key: string,
  change: (current: T | null) => Mutation<T>,
): Promise<{ before: T | null; after: T | null; changed: boolean }> {
  // What the key is believed to hold, and whether Redis said so just now (else it is a guess).
  const guess = guessOf(redis, key);
  let known: { raw: string | null } | undefined = guess;
  let confirmed = guess?.fresh === true;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!known) {
      known = { raw: await redis.get(key) };
      confirmed = true;
    }
    const raw = known.raw;
    const before = raw === null ? null : (JSON.parse(raw) as T);
    let mutation: Mutation<T>;
    try {
      mutation = change(before);
    } catch (error) {
      // Refused on a guess: only the document as it is may refuse.
      if (!confirmed) {
        known = undefined;
        continue;
      }
      throw error;
    }
    const { next, ops = [] } = mutation;
    if (next === undefined) {
      // Nothing to do, on a guess: only the document as it is may say so.
      if (!confirmed) {
        known = undefined;
        continue;
      }
      rememberJson(redis, key, raw);
      return { before, after: before, changed: false };
    }
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
    const nextRaw = next === null ? '' : JSON.stringify(next);
    const reply = (await evalScript(redis, CAS_SCRIPT, keys, [
      raw === null ? '0' : '1',
      raw ?? '',
      nextRaw,
      JSON.stringify(encodedOps),
    ])) as [number, string?];
    if (reply[0] === 1) {
      rememberJson(redis, key, next === null ? null : nextRaw);
      return { before, after: next, changed: true };
    }
    // Lost the compare: decide again on what the script found.
    known = { raw: reply[1] ?? null };
    confirmed = true;
  }
  throw new Error(`could not update ${key}: too much contention`);
}
