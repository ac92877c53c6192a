// Checks at start that fail loudly, before a service takes its first job: settings under which
// files would end silently, or under which a tenant's traffic could be intercepted unnoticed.
import { readEvictionPolicy, type RedisClient } from '@callintake/state';
import type { TenantConfig } from '@callintake/schemas';
import type { Logger } from '@callintake/telemetry';

/** A setting the service refuses to run with; printed as one line, without a stack trace. */
export class StartupCheckError extends Error {
  override readonly name = 'StartupCheckError';
}

/**
 * Queues and state live in Redis: a policy that evicts keys under memory pressure drops jobs
 * and file states without a trace. Refuses to start unless `allowEviction` (REDIS_ALLOW_EVICTION),
 * which starts with a warning.
 */
export async function checkEvictionPolicy(
  redis: RedisClient,
  options: { allowEviction: boolean; logger: Logger },
): Promise<void> {
  const policy = await readEvictionPolicy(redis);
  if (policy === undefined) {
    options.logger.warn(
      'could not read Redis maxmemory-policy (CONFIG GET and INFO memory were refused): make sure it is noeviction, or Redis may evict jobs and state under memory pressure',
    );
    return;
  }
  if (policy === 'noeviction') return;
  if (options.allowEviction) {
    options.logger.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is ${policy}, not noeviction: under memory pressure Redis may evict jobs and state, and files end silently (starting because REDIS_ALLOW_EVICTION=1)`,
    );
    return;
  }
  throw new StartupCheckError(
    `Redis maxmemory-policy is ${policy}: under memory pressure Redis would evict queued jobs and file states, and files would end silently. Set it to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and "maxmemory-policy noeviction" in redis.conf to keep it), or set REDIS_ALLOW_EVICTION=1 to start anyway.`,
  );
}

/** One warning per SFTP tenant without a pinned host key: any server key is accepted for it. */
export function warnUnpinnedSftpHosts(tenants: Iterable<TenantConfig>, logger: Logger): void {
  for (const tenant of tenants) {
    if (tenant.source.kind !== 'sftp' || tenant.source.hostKeySha256) continue;
    logger.warn(
      { tenant: tenant.id, host: tenant.source.host },
      `tenant ${tenant.id}: its SFTP source has no hostKeySha256, so any server key is accepted and a man in the middle would go unnoticed; set it to the server's fingerprint (ssh-keygen -lf host_key.pub)`,
    );
  }
}
