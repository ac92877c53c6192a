// GET /v1/queues: pipeline-wide counts, readable by any valid token whatever its tenant scope.
import type { FastifyPluginAsync } from 'fastify';
import { QUEUE_NAMES } from '@callintake/queues';
import { requireToken } from '../auth';
import type { StatusApiDeps } from '../deps';

export const queueRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'producer' | 'tokens'>> = async (
  queues,
  { producer, tokens },
) => {
  queues.addHook('onRequest', requireToken(tokens));
  queues.get('/queues', async () => {
    const items = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const counts = await producer
          .queue(name)
          .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        return { name, ...counts };
      }),
    );
    return { items };
  });
};
