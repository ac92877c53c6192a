import type { RedisClient } from './redis-client';
import type { CrmObjectType } from '@callintake/schemas';
import type { Keys } from './keys';

export class CrmRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async get(tenantId: string, type: CrmObjectType, id: string): Promise<Record<string, string> | null> {
    const raw = await this.redis.get(this.keys.crmObject(tenantId, type, id));
    return raw === null ? null : (JSON.parse(raw) as Record<string, string>);
  }

  /** Many objects in one round trip, in the order asked; null for each one not stored. */
  async getMany(
    tenantId: string,
    objects: ReadonlyArray<{ type: CrmObjectType; id: string }>,
  ): Promise<Array<Record<string, string> | null>> {
    if (objects.length === 0) return [];
    const raw = await this.redis.mget(objects.map(({ type, id }) => this.keys.crmObject(tenantId, type, id)));
    return raw.map((value) => (value === null ? null : (JSON.parse(value) as Record<string, string>)));
  }

  /** Upserts whole records (a later row replaces the record), pipelined. */
  async upsertMany(
    tenantId: string,
    type: CrmObjectType,
    records: Array<{ id: string; record: Record<string, string> }>,
  ): Promise<void> {
    if (records.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { id, record } of records)
      pipeline.set(this.keys.crmObject(tenantId, type, id), JSON.stringify(record));
    await pipeline.exec();
  }
}
