// Bearer tokens (CONTRACT.md "Status API"): the scope a request's token grants, or 401.
import type { FastifyRequest } from 'fastify';
import type { TokenScope } from '@callintake/config';
import { ApiError } from './errors';

export function bearerScope(request: FastifyRequest, tokens: ReadonlyMap<string, TokenScope>): TokenScope {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  const scope = match ? tokens.get(match[1] as string) : undefined;
  if (!scope) throw new ApiError('unauthorized', 'send Authorization: Bearer <token> with a valid token');
  return scope;
}

/**
 * The onRequest hook of /v1 routes that read no single tenant. onRequest runs before the body is
 * parsed or validated, so a caller without a valid token learns nothing about a route's schema.
 */
export function requireToken(tokens: ReadonlyMap<string, TokenScope>) {
  return async (request: FastifyRequest): Promise<void> => {
    bearerScope(request, tokens);
  };
}
