// One log line per status API request: method, route pattern, status and duration. The route is
// the pattern (`/v1/tenants/:tenant/files/:fileName`), never the URL, so neither a query string
// (the console's one-time `?token=`) nor file names reach the log; headers are never logged.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@callintake/telemetry';

export function logRequests(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Number(reply.elapsedTime.toFixed(1)),
      },
      'request',
    );
  });
}
