// Liveness, readiness and Prometheus metrics: read by orchestrators and scrapers, which hold no
// token, so this context has no auth hook.
import type { FastifyPluginAsync } from 'fastify';
import type { StatusApiDeps } from '../deps';
import { errorBody } from '../errors';
import { renderMetrics } from '../metrics';

export interface ProbeOptions extends Pick<StatusApiDeps, 'state' | 'producer' | 'tenants'> {
  /** More Prometheus text to append to /metrics (job outcomes, process metrics: ../observability). */
  moreMetrics?: () => Promise<string>;
}

export const probeRoutes: FastifyPluginAsync<ProbeOptions> = async (
  probes,
  { state, producer, tenants, moreMetrics },
) => {
  probes.get('/healthz', async () => ({ status: 'ok' }));
  probes.get('/readyz', async (_request, reply) => {
    try {
      await state.redis.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send(errorBody('redis-unavailable', 'Redis does not answer'));
    }
  });
  probes.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    // Every configured tenant, so one that never uploaded still has its expected interval.
    const [pipeline, more] = await Promise.all([
      renderMetrics(producer, state.metrics, { tenants: tenants.values() }),
      moreMetrics?.() ?? '',
    ]);
    return pipeline + more;
  });
};
