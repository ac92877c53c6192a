// Checks at start that fail loudly, before a service takes its first job: settings under which
// files would end silently, or under which a tenant's traffic could be intercepted unnoticed.
import type { Redis } from 'ioredis';
import { masters, type RedisClient } from '@callintake/state';
import type { TenantConfig } from '@callintake/schemas';
import type { Logger } from '@callintake/telemetry';

/** A setting the service refuses to run with; printed as one line, without a stack trace. */
export class StartupCheckError extends Error {
  override readonly name = 'StartupCheckError';
}

/**
 * Redis's maxmemory-policy from `CONFIG GET`, or from `INFO memory` where CONFIG is disabled
 * (managed Redis); undefined when neither answers.
 */
export async function readEvictionPolicy(redis: RedisClient): Promise<string | undefined> {
  // A cluster evicts on whichever master runs out: every master must say noeviction.
  const policies = await Promise.all(masters(redis).map((node) => readNodeEvictionPolicy(node)));
  return policies.find((policy) => policy !== 'noeviction') ?? policies[0];
}

async function readNodeEvictionPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string' && reply[1]) return reply[1];
  } catch {
    // CONFIG renamed or refused (ACL, managed services): INFO usually still answers.
  }
  try {
    const info = await redis.info('memory');
    const match = /^maxmemory_policy:(\S+)/m.exec(info);
    if (match?.[1]) return match[1];
  } catch {
    // Refused too: the caller warns.
  }
  return undefined;
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
