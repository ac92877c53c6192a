// Every failure leaves the API in one shape, `{ error: { code, message } }` (CONTRACT.md), whether
// it is our own ApiError, fastify's body validation or parsing, or a route that does not exist.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidCursorError } from '@callintake/state';
import { ApiError, errorBody } from './errors';

export function replyWithError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ApiError) return reply.code(error.status).send(errorBody(error.code, error.message));
  if (error instanceof InvalidCursorError)
    return reply.code(400).send(errorBody('invalid-request', error.message));
  // fastify's own client errors (bad JSON, schema, size, content type) carry their status.
  const status = (error as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500)
    return reply.code(status).send(errorBody('invalid-request', (error as Error).message));
  request.log.error({ err: error }, 'status API error');
  return reply.code(500).send(errorBody('internal', 'internal error'));
}

export function replyNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody('not-found', `no route ${request.method} ${request.url}`));
}
