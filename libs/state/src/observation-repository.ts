// What the scanner saw of each file in data/ and since when, so a file is taken only after
// it kept the same size and mtime (or ETag) for the tenant's settle interval.
import type { Redis } from 'ioredis';
import type { Keys } from './keys';

export interface Observation {
  fingerprint: string;
  since: number;
}

export class ObservationRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async getAll(tenantId: string): Promise<Map<string, Observation>> {
    const raw = await this.redis.hgetall(this.keys.observations(tenantId));
    return new Map(Object.entries(raw).map(([name, value]) => [name, JSON.parse(value) as Observation]));
  }

  async set(tenantId: string, entries: Array<[string, Observation]>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [name, observation] of entries) {
      pipeline.hset(this.keys.observations(tenantId), name, JSON.stringify(observation));
    }
    await pipeline.exec();
  }

  async remove(tenantId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.redis.hdel(this.keys.observations(tenantId), ...names);
  }
}
