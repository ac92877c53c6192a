// Query and path checks shared by the list routes; failures are 400 invalid-request.
import { ApiError } from './errors';

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

export function pageRequest(query: { limit?: string; cursor?: string }) {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError('invalid-request', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { limit, ...(query.cursor ? { cursor: query.cursor } : {}) };
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw new ApiError('invalid-request', `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}
