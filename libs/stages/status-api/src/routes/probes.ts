// Liveness, readiness and Prometheus metrics: read by orchestrators and scrapers, which hold no
// token, so this context has no auth hook.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { StatusApiDeps } from '../deps';
import { errorBody } from '../errors';
import { renderMetrics } from '../metrics';
import { apiRoute } from '../openapi';

const liveness = apiRoute({
  method: 'GET',
  operationId: 'getLiveness',
  tags: ['operations'],
  summary: 'liveness',
  auth: false,
  response: { description: 'alive', schema: z.object({ status: z.literal('ok') }) },
  errors: [],
});

const readiness = apiRoute({
  method: 'GET',
  operationId: 'getReadiness',
  tags: ['operations'],
  summary: 'readiness: Redis reachable',
  auth: false,
  response: { description: 'ready', schema: z.object({ status: z.literal('ready') }) },
  errors: ['redis-unavailable'],
});

const metrics = apiRoute({
  method: 'GET',
  operationId: 'getMetrics',
  tags: ['operations'],
  summary: 'Prometheus text',
  description:
    'Jobs per queue and state, job outcomes, oldest waiting job, files by state, tenant upload ages, ' +
    'process metrics (README "Observability").',
  auth: false,
  response: {
    description: 'metrics in the Prometheus text format 0.0.4',
    schema: z.string(),
    contentType: 'text/plain',
  },
  errors: [],
});

export interface ProbeOptions extends Pick<StatusApiDeps, 'state' | 'producer' | 'tenants'> {
  /** More Prometheus text to append to /metrics (job outcomes, process metrics: ../observability). */
  moreMetrics?: () => Promise<string>;
}

export const probeRoutes: FastifyPluginAsync<ProbeOptions> = async (
  probes,
  { state, producer, tenants, moreMetrics },
) => {
  probes.get('/healthz', liveness, async () => ({ status: 'ok' }));
  probes.get('/readyz', readiness, async (_request, reply) => {
    try {
      await state.redis.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send(errorBody('redis-unavailable', 'Redis does not answer'));
    }
  });
  probes.get('/metrics', metrics, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    // Every configured tenant, so one that never uploaded still has its expected interval.
    const [pipeline, more] = await Promise.all([
      renderMetrics(producer, state.metrics, { tenants: tenants.values() }),
      moreMetrics?.() ?? '',
    ]);
    return pipeline + more;
  });
};
