import type { RedisClient } from './redis-client';
import type { Call, CallStatus } from '@callintake/schemas';
import { getJson, mutateJson, type IndexOp, type Mutation } from './cas';
import type { Keys } from './keys';
import { stageOps } from './metrics-repository';

/** When the files a call is made of arrived: the latest first-seen and captured times of its parts. */
export interface CallTiming {
  seenAt?: string;
  capturedAt?: string;
}
import { pageOf, type Page, type PageRequest } from './pagination';

export class CallRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  get(tenantId: string, callId: string): Promise<Call | null> {
    return getJson<Call>(this.redis, this.keys.call(tenantId, callId));
  }

  /** Many calls in one round trip, in the order asked (null where there is none). */
  async getMany(tenantId: string, callIds: string[]): Promise<Array<Call | null>> {
    if (callIds.length === 0) return [];
    const raws = await this.redis.mget(callIds.map((id) => this.keys.call(tenantId, id)));
    return raws.map((raw) => (raw === null ? null : (JSON.parse(raw) as Call)));
  }

  /**
   * Atomically replaces a call (or creates it), keeping the newest-first and status indexes.
   * With `timing`, the mutation that first makes the call ready also records its stage latencies.
   */
  async mutate(
    tenantId: string,
    callId: string,
    change: (current: Call | null) => Call | null | undefined,
    timing?: CallTiming,
  ): Promise<{ before: Call | null; after: Call | null; changed: boolean }> {
    return mutateJson<Call>(this.redis, this.keys.call(tenantId, callId), (current): Mutation<Call> => {
      const next = change(current);
      if (next === undefined) return { next };
      const ops = this.indexOps(tenantId, callId, current, next);
      if (timing && next?.readyAt && !current?.readyAt)
        ops.push(...this.readyOps(tenantId, next.readyAt, timing));
      return { next, ops };
    });
  }

  private readyOps(tenantId: string, readyAt: string, timing: CallTiming): IndexOp[] {
    const ready = Date.parse(readyAt);
    const since = (at: string | undefined) => (at ? (ready - Date.parse(at)) / 1000 : Number.NaN);
    return [
      ...stageOps(this.keys, tenantId, 'captured_to_ready', 'call', since(timing.capturedAt)),
      ...stageOps(this.keys, tenantId, 'seen_to_ready', 'call', since(timing.seenAt)),
    ];
  }

  list(tenantId: string, request: PageRequest & { status?: CallStatus }): Promise<Page<Call>> {
    const index = request.status
      ? this.keys.callStatusIndex(tenantId, request.status)
      : this.keys.callIndex(tenantId);
    return pageOf(this.redis, index, request, (id) => this.keys.call(tenantId, id));
  }

  private indexOps(tenantId: string, callId: string, before: Call | null, after: Call | null): IndexOp[] {
    const ops: IndexOp[] = [];
    if (before)
      ops.push({ op: 'ZREM', key: this.keys.callStatusIndex(tenantId, before.status), member: callId });
    if (!after) {
      ops.push({ op: 'ZREM', key: this.keys.callIndex(tenantId), member: callId });
      return ops;
    }
    // Newest first by call time; calls without one yet sort by when we created them.
    const score = Date.parse(after.callTime ?? after.createdAt);
    ops.push({ op: 'ZADD', key: this.keys.callIndex(tenantId), score, member: callId });
    ops.push({ op: 'ZADD', key: this.keys.callStatusIndex(tenantId, after.status), score, member: callId });
    return ops;
  }
}
