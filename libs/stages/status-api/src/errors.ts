// Status API error codes: public and stable, never reused for another meaning.
export const API_ERROR_CODES = {
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'invalid-request': 400,
  'unknown-tenant': 404,
  /** A retry of a file that is neither failed nor rejected (nor already queued for a retry). */
  'not-retryable': 409,
  /** A pair by hand for a call that is ready or expired (`POST …/calls/:callId/pair`). */
  'not-pairable': 409,
  /** The recording or metadata a pair by hand names is not known for the tenant. */
  'partner-not-found': 404,
  /** It is already in another call with both sides (or replaced by a newer metadata source). */
  'partner-taken': 409,
  'redis-unavailable': 503,
  internal: 500,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get status(): number {
    return API_ERROR_CODES[this.code];
  }
}

export function errorBody(code: ApiErrorCode, message: string) {
  return { error: { code, message } };
}
