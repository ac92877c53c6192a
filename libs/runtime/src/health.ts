// Health endpoints for worker services (the status API has its own): liveness fails when a
// worker is wedged (jobs are waiting but it has made no progress for a while), readiness
// when Redis does not answer. Kubernetes restarts the first and stops routing to the second.
import { createServer, type Server } from 'node:http';
import type { RunningWorker } from '@callintake/queues';
import type { Runtime } from './runtime';

export interface HealthOptions {
  port: number;
  host?: string;
  /** No progress for this long while jobs wait means wedged. */
  wedgedAfterMs?: number;
}

export async function livenessProblems(
  workers: RunningWorker[],
  runtime: Runtime,
  wedgedAfterMs: number,
  now = Date.now(),
): Promise<string[]> {
  const problems: string[] = [];
  for (const running of workers) {
    const idleMs = now - running.lastProgressAt();
    if (idleMs < wedgedAfterMs) continue;
    const counts = await runtime.producer.queue(running.queue).getJobCounts('waiting', 'prioritized');
    const backlog = (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0);
    if (backlog > 0)
      problems.push(
        `${running.queue}: ${backlog} jobs waiting and no progress for ${Math.round(idleMs / 1000)} s`,
      );
  }
  return problems;
}

export async function startHealthServer(
  runtime: Runtime,
  workers: RunningWorker[],
  options: HealthOptions,
): Promise<Server> {
  const wedgedAfterMs = options.wedgedAfterMs ?? 5 * 60_000;
  const server = createServer((request, response) => {
    const reply = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const check = async () => {
      if (request.url === '/healthz') {
        const problems = await livenessProblems(workers, runtime, wedgedAfterMs).catch(() => [] as string[]);
        return problems.length ? reply(503, { status: 'wedged', problems }) : reply(200, { status: 'ok' });
      }
      if (request.url === '/readyz') {
        const pong = await Promise.race([
          runtime.redis.ping().catch(() => 'down'),
          new Promise((r) => setTimeout(() => r('timeout'), 2_000)),
        ]);
        return pong === 'PONG'
          ? reply(200, { status: 'ready' })
          : reply(503, { error: { code: 'redis-unavailable', message: 'Redis does not answer' } });
      }
      return reply(404, { error: { code: 'not-found', message: 'try /healthz or /readyz' } });
    };
    check().catch(() => reply(500, { error: { code: 'internal', message: 'health check failed' } }));
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '0.0.0.0', resolve));
  return server;
}
