// Paging shared by the list routes. The route schemas check the query (schemas.ts pageQuery), so
// a bad limit or an unknown state is 400 invalid-request before a handler runs.
export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

export function pageRequest(query: { limit: number; cursor?: string | undefined }) {
  return { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) };
}
