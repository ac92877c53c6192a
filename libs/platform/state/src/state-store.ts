import type { RedisClient } from './redis-client';
import { AssetRepository } from './asset-repository';
import { CallRepository } from './call-repository';
import {
  ExternalIdIndex,
  FuzzyIndex,
  MetadataRepository,
  NameIndex,
  RecordingRepository,
} from './capture-repositories';
import { rememberJson } from './cas';
import type { Clock } from './clock';
import { CrmRepository } from './crm-repository';
import { CrmWaitingIndex } from './crm-waiting-index';
import { Keys, type KeysOptions } from './keys';
import { withLock, type LockOptions } from './lock';
import { MetricsRepository } from './metrics-repository';
import { ObservationRepository } from './observation-repository';
import { isCluster } from './redis-client';

/** Every repository over one Redis connection and key namespace. */
export class StateStore {
  readonly keys: Keys;
  readonly assets: AssetRepository;
  readonly observations: ObservationRepository;
  readonly recordings: RecordingRepository;
  readonly metadata: MetadataRepository;
  readonly names: NameIndex;
  readonly externalIds: ExternalIdIndex;
  readonly fuzzy: FuzzyIndex;
  readonly calls: CallRepository;
  readonly crm: CrmRepository;
  readonly crmWaiting: CrmWaitingIndex;
  readonly metrics: MetricsRepository;

  constructor(
    readonly redis: RedisClient,
    namespace: string,
    readonly clock: Clock,
    /** Hash-tagged keys by default exactly when `redis` is a cluster client. */
    options: KeysOptions = {},
  ) {
    this.keys = new Keys(namespace, { hashTags: options.hashTags ?? isCluster(redis) });
    this.assets = new AssetRepository(redis, this.keys, clock);
    this.observations = new ObservationRepository(redis, this.keys);
    this.recordings = new RecordingRepository(redis, this.keys);
    this.metadata = new MetadataRepository(redis, this.keys);
    this.names = new NameIndex(redis, this.keys);
    this.externalIds = new ExternalIdIndex(redis, this.keys);
    this.fuzzy = new FuzzyIndex(redis, this.keys);
    this.calls = new CallRepository(redis, this.keys);
    this.crm = new CrmRepository(redis, this.keys);
    this.crmWaiting = new CrmWaitingIndex(redis, this.keys);
    this.metrics = new MetricsRepository(redis, this.keys);
  }

  /**
   * Reads the JSON documents at `keys` (from `this.keys`) in one round trip for the
   * compare-and-sets about to change them, which then need no read of their own.
   */
  async warm(keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    const raws = await this.redis.mget(unique);
    unique.forEach((key, index) => rememberJson(this.redis, key, raws[index] ?? null, true));
  }

  lock<T>(tenantId: string, scope: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    return withLock(this.redis, this.keys.lock(tenantId, scope), work, options);
  }
}
