// `npm run demo`: a sample tenant end to end on this machine, with a summary a person can read.
import { resolve } from 'node:path';
import { commonEnv, loadEnv } from '@callintake/config';
import { redisSettingsOf, workerConnection } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import { unlinkMatching } from '@callintake/state';
import { ensureRedis, freePort, stopOnSignals, type ShutdownDeadline } from '@callintake/runtime';
import { createLogger } from '@callintake/telemetry';
import { randomToken, startAllServices, type AllServices } from './all-services';
import { dropSampleFiles, writeSampleTenant } from './sample-tenant';

const READY_TIMEOUT_MS = 120_000;

/** The contract's default port when free; another free one when something holds it. */
async function portOrFree(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  const free = await new Promise<boolean>((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
  return free ? preferred : freePort();
}

export async function demo(options: { exit: boolean }): Promise<number> {
  const redis = await ensureRedis();
  const sample = await writeSampleTenant(resolve(process.env['DEMO_DIR'] || '.demo'));
  const token = randomToken();
  const port = process.env['STATUS_PORT'] ? Number(process.env['STATUS_PORT']) : await portOrFree(3000);
  const namespace = process.env['REDIS_NAMESPACE'] || `demo-${Date.now().toString(36)}`;
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    REDIS_NAMESPACE: namespace,
    STATUS_PORT: String(port),
    STATUS_HOST: '127.0.0.1',
    STATUS_API_TOKENS: process.env['STATUS_API_TOKENS'] || `${token}:*`,
    LOG_LEVEL: process.env['LOG_LEVEL'] || 'warn',
  };
  const logger = createLogger({ service: 'demo', level: env.LOG_LEVEL });
  const all = await startAllServices({ service: 'demo', env, tenantsPath: sample.tenantsFile, logger });
  const cleanup = async (deadline?: ShutdownDeadline) => {
    await all.stop(deadline);
    await redis.stop?.();
  };

  console.log(`callintake demo: tenant "demo", upload folder ${sample.dataDir}`);
  console.log(
    `Redis: ${process.env['REDIS_CLUSTER_NODES'] ? `Redis Cluster ${process.env['REDIS_CLUSTER_NODES']}` : redis.stop ? `private redis-server at ${redis.url}` : redis.url} (namespace ${namespace})`,
  );
  await dropSampleFiles(sample);
  console.log(
    `dropped ${sample.expectedCallIds.length} recordings with metadata, 1 CRM batch and 1 junk file; waiting for calls...`,
  );

  const calls = await waitForReady(all, sample.expectedCallIds);
  printSummary(calls);
  const rejected = await all.runtime.state.assets.list('demo', { state: 'rejected', limit: 50 });
  for (const asset of rejected.items)
    console.log(`rejected: ${asset.name}: ${asset.reason?.code} (${asset.reason?.message})`);
  const allReady = calls.every((call) => call?.status === 'ready');
  const address = all.statusAddress ?? `http://127.0.0.1:${port}`;
  console.log(`\nStatus API: ${address}   token: ${env.STATUS_API_TOKENS.split(':')[0]}`);
  console.log(
    `  curl -H "Authorization: Bearer ${env.STATUS_API_TOKENS.split(':')[0]}" ${address}/v1/tenants/demo/calls`,
  );
  console.log(
    allReady
      ? `\nAll ${calls.length} calls are ready.`
      : '\nNot every call became ready: see the statuses above.',
  );

  if (options.exit) {
    await all.stop();
    if (!redis.stop && !process.env['REDIS_NAMESPACE']) await removeNamespace(env, namespace);
    await redis.stop?.();
    return allReady ? 0 : 1;
  }
  console.log('Services keep running; drop more files into the upload folder. Ctrl-C stops.');
  stopOnSignals(cleanup, all.runtime.logger, {
    deadlineMs: all.runtime.env.SHUTDOWN_DEADLINE_MS,
    activeJobs: () => all.activeJobs(),
  });
  return -1;
}

async function waitForReady(all: AllServices, callIds: string[]): Promise<Array<Call | null>> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const calls = await Promise.all(callIds.map((id) => all.runtime.state.calls.get('demo', id)));
    if (calls.every((call) => call?.status === 'ready') || Date.now() > deadline) return calls;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
}

function printSummary(calls: Array<Call | null>): void {
  console.log(
    '\ncall                               status     match  user              secs  ch  speakers     CRM',
  );
  for (const call of calls) {
    if (!call) continue;
    const crm = Object.values(call.crm)
      .map((link) => `${link.id}${link.record ? '' : ' (unresolved)'}`)
      .join(', ');
    console.log(
      [
        call.id.padEnd(34),
        call.status.padEnd(10),
        (call.match?.method ?? '-').padEnd(6),
        (call.userId ?? '-').padEnd(17),
        String(call.recording?.durationSec ?? '-').padStart(4),
        String(call.recording?.channels ?? '-').padStart(3),
        (call.recording?.speakerSeparation ?? '-').padEnd(12),
        crm || '-',
      ].join(' '),
    );
  }
}

/** The demo's keys in a shared Redis go when it ends; a private server goes whole. */
async function removeNamespace(env: NodeJS.ProcessEnv, namespace: string): Promise<void> {
  const redis = workerConnection(redisSettingsOf(loadEnv(commonEnv, env)), { maxRetriesPerRequest: 3 });
  try {
    await unlinkMatching(redis, `${namespace}:*`);
  } finally {
    await redis.quit();
  }
}
