// The late-CRM reverse index: which calls wait for a CRM object that is not stored yet, so the
// CRM ingester finds them when the object arrives (matcher `refresh-crm.ts`). One sorted set per
// tenant, object type and id; members are call ids, scored by when the call first waited (ms).
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-client';
import type { CrmObjectType } from '@callintake/schemas';
import type { Keys } from './keys';

/** For each key with members scored at or after ARGV[1]: `{ key index (from 1), member... }`. */
const WAITING_FOR = `
local hits = {}
for index, key in ipairs(KEYS) do
  local members = redis.call('ZRANGEBYSCORE', key, ARGV[1], '+inf')
  if #members > 0 then
    table.insert(members, 1, index)
    table.insert(hits, members)
  end
end
return hits
`;

/** One CRM object, by type and id. */
export interface CrmObjectRef {
  type: CrmObjectType;
  id: string;
}

export class CrmWaitingIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /**
   * Registers the call as waiting for each object, in one round trip. A call already waiting
   * keeps its first time (NX), so registering again never extends its window. Entries older than
   * the window are pruned after the add, so an entry that ran out is never revived; a set
   * expires one window after its newest entry, so objects that never come leave nothing behind.
   */
  async register(
    tenantId: string,
    callId: string,
    objects: readonly CrmObjectRef[],
    atMs: number,
    windowMs: number,
  ): Promise<void> {
    if (objects.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { type, id } of objects) {
      const key = this.keys.crmWaiting(tenantId, type, id);
      pipeline.zadd(key, 'NX', atMs, callId);
      pipeline.zremrangebyscore(key, '-inf', `(${atMs - windowMs}`);
      pipeline.pexpire(key, Math.ceil(windowMs));
    }
    await execAll(pipeline);
  }

  /**
   * The calls that started waiting for each of `ids` (all of one type) at or after `sinceMs`;
   * ids nobody waits for are absent. A chunk of objects nobody waits for (the common case) costs
   * one EXISTS; otherwise one script looks each id up and answers only the hits, not a thousand
   * replies.
   */
  async waitingFor(
    tenantId: string,
    type: CrmObjectType,
    ids: readonly string[],
    sinceMs: number,
  ): Promise<Map<string, string[]>> {
    const waiting = new Map<string, string[]>();
    if (ids.length === 0) return waiting;
    const keys = ids.map((id) => this.keys.crmWaiting(tenantId, type, id));
    // One EXISTS over all keys is several times cheaper than looking each up, even in a script.
    if ((await this.redis.exists(...keys)) === 0) return waiting;
    const hits = (await this.redis.eval(WAITING_FOR, keys.length, ...keys, sinceMs)) as Array<
      [number, ...string[]]
    >;
    for (const [index, ...callIds] of hits) waiting.set(ids[index - 1] as string, callIds);
    return waiting;
  }

  /** Whether the call is registered as waiting for the object, whenever it started. */
  async isWaiting(tenantId: string, callId: string, object: CrmObjectRef): Promise<boolean> {
    return (await this.redis.zscore(this.keys.crmWaiting(tenantId, object.type, object.id), callId)) !== null;
  }

  /** The call holds these objects now: it waits for them no longer. */
  async release(tenantId: string, callId: string, objects: readonly CrmObjectRef[]): Promise<void> {
    if (objects.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { type, id } of objects) pipeline.zrem(this.keys.crmWaiting(tenantId, type, id), callId);
    await execAll(pipeline);
  }
}

/** A pipeline's replies; throws its first error (ioredis reports them per command, not thrown). */
async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, reply]) => reply);
}
