// GET /v1/queues: pipeline-wide counts, readable by any valid token whatever its tenant scope.
import type { FastifyPluginAsync } from 'fastify';
import { QUEUE_NAMES } from '@callintake/queues';
import { requireToken } from '../auth';
import type { StatusApiDeps } from '../deps';
import { apiRoute } from '../openapi';
import { queueCountsSchema } from '../schemas';

const listQueues = apiRoute({
  method: 'GET',
  operationId: 'listQueues',
  tags: ['queues'],
  summary: 'per queue: waiting, prioritized, active, delayed, failed, completed counts',
  description: 'Any valid token, whatever its tenant scope.',
  auth: true,
  response: { description: 'counts per queue', schema: queueCountsSchema },
  errors: ['unauthorized'],
});

export const queueRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'producer' | 'tokens'>> = async (
  queues,
  { producer, tokens },
) => {
  queues.addHook('onRequest', requireToken(tokens));
  queues.get('/queues', listQueues, async () => {
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
