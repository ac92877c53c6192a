import { ensureRedis, stopOnSignals } from '@callintake/runtime';
import { startAllServices } from './all-services';

export async function up(options: { tenantsPath?: string }): Promise<void> {
  const redis = await ensureRedis();
  const env = { ...process.env, REDIS_URL: redis.url };
  const all = await startAllServices({
    service: 'ingest',
    env,
    ...(options.tenantsPath ? { tenantsPath: options.tenantsPath } : {}),
  });
  all.runtime.logger.info(
    {
      redis: redis.stop ? `private redis-server at ${redis.url}` : 'external',
      tenants: [...all.runtime.tenants.keys()],
      statusApi: all.statusAddress,
    },
    'all services running',
  );
  stopOnSignals(
    async (deadline) => {
      await all.stop(deadline);
      await redis.stop?.();
    },
    all.runtime.logger,
    { deadlineMs: all.runtime.env.SHUTDOWN_DEADLINE_MS, activeJobs: () => all.activeJobs() },
  );
}
