// What the scanner saw of each file in data/ and since when, so a file is taken only after
// it kept the same size and mtime (or ETag) for the tenant's settle interval.
import type { RedisClient } from './redis-client';
import type { Keys } from './keys';

export interface Observation {
  fingerprint: string;
  since: number;
  /** When a scan last handed this content on (recorded its version, enqueued its job). */
  takenAt?: number;
}

const WRITE_CHUNK = 1_000;

export class ObservationRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async getAll(tenantId: string): Promise<Map<string, Observation>> {
    const raw = await this.redis.hgetall(this.keys.observations(tenantId));
    return new Map(Object.entries(raw).map(([name, value]) => [name, JSON.parse(value) as Observation]));
  }

  /** Written in chunks: one pipeline of 100,000 commands held ~200 MiB at once. */
  async set(tenantId: string, entries: Array<[string, Observation]>): Promise<void> {
    for (let start = 0; start < entries.length; start += WRITE_CHUNK) {
      const fields: string[] = [];
      for (const [name, observation] of entries.slice(start, start + WRITE_CHUNK))
        fields.push(name, JSON.stringify(observation));
      await this.redis.hset(this.keys.observations(tenantId), ...fields);
    }
  }

  async remove(tenantId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.redis.hdel(this.keys.observations(tenantId), ...names);
  }
}
