// Everything a service needs, built once at start from validated configuration: Redis
// connections, state, the job producer, tenants and their storage adapters.
import { commonEnv, loadEnv, loadTenantsFile, type EnvValues } from '@callintake/config';
import {
  JobProducer,
  producerConnection,
  queuePrefix,
  redisSettingsOf,
  type JobRetryPolicy,
  type QueuePrefix,
  waitForReady,
  workerConnection,
  type RedisSettings,
} from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { StateStore, systemClock, type Clock, type RedisClient } from '@callintake/state';
import { openArchive, openUploadArea, type ArchiveStore, type UploadArea } from '@callintake/storage';
import { createLogger, type Logger } from '@callintake/telemetry';
import { settleBy } from './shutdown';
import { checkEvictionPolicy, warnUnpinnedSftpHosts } from './startup-checks';

export type CommonEnv = EnvValues<typeof commonEnv>;

export interface RuntimeOptions {
  service: string;
  env?: NodeJS.ProcessEnv;
  /** Wins over INGEST_TENANTS. */
  tenantsPath?: string;
  /** Already loaded tenants (tests, demo); wins over both paths. */
  tenants?: TenantConfig[];
  clock?: Clock;
  logger?: Logger;
}

export class Runtime {
  readonly tenants: Map<string, TenantConfig>;
  /** Each queue's BullMQ prefix (one for all on a single Redis; one per queue on a cluster). */
  readonly queuePrefix: QueuePrefix;
  private readonly areas = new Map<string, UploadArea>();
  private readonly archives = new Map<string, ArchiveStore>();

  private constructor(
    readonly env: CommonEnv,
    readonly settings: RedisSettings,
    /** Shared by workers and state: retries forever, so a Redis restart pauses work instead of failing it. */
    readonly redis: RedisClient,
    /** For request paths (status API): fails fast while Redis is away. */
    readonly producerRedis: RedisClient,
    readonly state: StateStore,
    readonly producer: JobProducer,
    readonly logger: Logger,
    tenants: TenantConfig[],
  ) {
    this.tenants = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    this.queuePrefix = queuePrefix(settings);
    // Fail at start, not at first use, for a tenant whose storage kind we cannot open.
    for (const tenant of tenants) {
      this.uploadArea(tenant);
      this.archive(tenant);
    }
  }

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const env = loadEnv(commonEnv, options.env ?? process.env);
    const logger = options.logger ?? createLogger({ service: options.service, level: env.LOG_LEVEL });
    const tenants =
      options.tenants ?? (await loadTenantsFile(options.tenantsPath ?? env.INGEST_TENANTS)).tenants;
    const settings = redisSettingsOf(env);
    const redis = workerConnection(settings);
    const producerRedis = producerConnection(settings);
    for (const connection of [redis, producerRedis])
      connection.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
    try {
      await Promise.all([waitForReady(redis), waitForReady(producerRedis)]);
      await checkEvictionPolicy(redis, { allowEviction: env.REDIS_ALLOW_EVICTION, logger });
    } catch (error) {
      redis.disconnect();
      producerRedis.disconnect();
      throw error;
    }
    warnUnpinnedSftpHosts(tenants, logger);
    const state = new StateStore(redis, env.REDIS_NAMESPACE || 'callintake', options.clock ?? systemClock);
    const producer = new JobProducer(redis, queuePrefix(settings), retryPolicyOf(env));
    return new Runtime(env, settings, redis, producerRedis, state, producer, logger, tenants);
  }

  /** JOB_ATTEMPTS and JOB_BACKOFF_MS, for every JobProducer a service makes. */
  get retryPolicy(): JobRetryPolicy {
    return retryPolicyOf(this.env);
  }

  tenant = (tenantId: string): TenantConfig | undefined => this.tenants.get(tenantId);

  uploadArea = (tenant: TenantConfig): UploadArea => {
    let area = this.areas.get(tenant.id);
    if (!area) {
      area = openUploadArea(tenant.source);
      this.areas.set(tenant.id, area);
    }
    return area;
  };

  archive = (tenant: TenantConfig): ArchiveStore => {
    let archive = this.archives.get(tenant.id);
    if (!archive) {
      archive = openArchive(tenant.archive);
      this.archives.set(tenant.id, archive);
    }
    return archive;
  };

  /**
   * Closes queues, stores and Redis by `by` (epoch ms; default SHUTDOWN_DEADLINE_MS from now)
   * whatever Redis does: `quit` waits for Redis to answer, so when it has not by then (Redis
   * down or frozen) the connections are dropped with `disconnect`.
   */
  async close(options: { by?: number } = {}): Promise<void> {
    const by = options.by ?? Date.now() + this.env.SHUTDOWN_DEADLINE_MS;
    const stores = [...this.areas.values(), ...this.archives.values()];
    const closed = await settleBy(
      Promise.all([this.producer.close(), ...stores.map((store) => store.close())]),
      by,
    );
    if (closed.outcome === 'error')
      this.logger.warn({ err: closed.error }, 'error while closing queues and stores');
    if (closed.outcome === 'timeout')
      this.logger.warn('queues and stores did not close by the shutdown deadline');
    const quit = await settleBy(Promise.all([this.redis.quit(), this.producerRedis.quit()]), by);
    if (quit.outcome !== 'done') {
      this.redis.disconnect();
      this.producerRedis.disconnect();
    }
  }
}

function retryPolicyOf(env: CommonEnv): JobRetryPolicy {
  return { attempts: env.JOB_ATTEMPTS, backoffDelayMs: env.JOB_BACKOFF_MS };
}
