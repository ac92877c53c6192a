// Captured recordings and metadata records, plus the name index that pairs them.
import type { Redis } from 'ioredis';
import { getJson, mutateJson } from './cas';
import type { Keys } from './keys';
import type { MetadataRecord, RecordingRecord } from './records';

export class RecordingRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  get(tenantId: string, fileName: string): Promise<RecordingRecord | null> {
    return getJson<RecordingRecord>(this.redis, this.keys.recording(tenantId, fileName));
  }

  async put(record: RecordingRecord, pairingStem: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.recording(record.tenantId, record.fileName), JSON.stringify(record))
      .hset(this.keys.nameKey(record.tenantId, pairingStem), 'recording', record.fileName)
      .exec();
  }

  async setCallId(tenantId: string, fileName: string, callId: string): Promise<void> {
    await mutateJson<RecordingRecord>(this.redis, this.keys.recording(tenantId, fileName), (current) =>
      current && current.callId !== callId ? { next: { ...current, callId } } : { next: undefined },
    );
  }
}

export class MetadataRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  get(tenantId: string, recordId: string): Promise<MetadataRecord | null> {
    return getJson<MetadataRecord>(this.redis, this.keys.metadata(tenantId, recordId));
  }

  async put(record: MetadataRecord, pairingStem: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.metadata(record.tenantId, record.recordId), JSON.stringify(record))
      .hset(this.keys.nameKey(record.tenantId, pairingStem), 'metadata', record.recordId)
      .exec();
  }

  /** Reads many records in one round trip, in the order asked; null where absent. */
  async getMany(tenantId: string, recordIds: string[]): Promise<Array<MetadataRecord | null>> {
    if (recordIds.length === 0) return [];
    const raws = await this.redis.mget(recordIds.map((id) => this.keys.metadata(tenantId, id)));
    return raws.map((raw) => (raw === null ? null : (JSON.parse(raw) as MetadataRecord)));
  }

  /** Stores many records in one round trip; a stem registers the record for name pairing. */
  async putMany(entries: Array<{ record: MetadataRecord; pairingStem?: string }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { record, pairingStem } of entries) {
      pipeline.set(this.keys.metadata(record.tenantId, record.recordId), JSON.stringify(record));
      if (pairingStem)
        pipeline.hset(this.keys.nameKey(record.tenantId, pairingStem), 'metadata', record.recordId);
    }
    await pipeline.exec();
  }

  async setCallId(tenantId: string, recordId: string, callId: string): Promise<void> {
    await mutateJson<MetadataRecord>(this.redis, this.keys.metadata(tenantId, recordId), (current) =>
      current && current.callId !== callId ? { next: { ...current, callId } } : { next: undefined },
    );
  }
}

export class NameIndex {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async lookup(tenantId: string, stem: string): Promise<{ recording?: string; metadata?: string }> {
    const entry = await this.redis.hgetall(this.keys.nameKey(tenantId, stem));
    return {
      ...(entry['recording'] ? { recording: entry['recording'] } : {}),
      ...(entry['metadata'] ? { metadata: entry['metadata'] } : {}),
    };
  }
}
