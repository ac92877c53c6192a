// The OpenAPI document served at /openapi.json and the page at /docs (CONTRACT.md "Status API").
// Written by hand: the routes are few, and list queries are checked in code, not by schemas.
import { QUEUE_NAMES } from '@callintake/queues';
import { ASSET_STATES, CALL_STATUSES, CRM_OBJECT_TYPES } from '@callintake/schemas';
import { API_ERROR_CODES, type ApiErrorCode } from './errors';
import { DEFAULT_LIMIT, MAX_LIMIT } from './query';
import { registerRecordingSchema } from './recording-body';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ 'application/json': { schema } });
const errorResponse = (codes: ApiErrorCode[]) => ({
  description: `error: ${codes.join(' or ')}`,
  content: json(ref('Error')),
});

const tenantParam = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } };
const pageParams = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  },
  { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } },
];
const pageOf = (item: string) => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } },
});

/** Responses every tenant route can give besides its own. */
const tenantErrors = {
  '400': errorResponse(['invalid-request']),
  '401': errorResponse(['unauthorized']),
  '403': errorResponse(['forbidden']),
  '404': errorResponse(['unknown-tenant', 'not-found']),
};

export function openApiDocument(): Json {
  const tenantRoute = (summary: string, parameters: Json[], ok: Json, status = '200') => ({
    summary,
    security: [{ bearer: [] }],
    parameters: [tenantParam, ...parameters],
    responses: { [status]: { description: summary, content: json(ok) }, ...tenantErrors },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'callintake status API', version: '1' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(API_ERROR_CODES) },
                message: { type: 'string' },
              },
            },
          },
        },
        Call: {
          type: 'object',
          description: 'CONTRACT.md "Call"',
          required: ['id', 'tenantId', 'status'],
          properties: {
            id: { type: 'string' },
            tenantId: { type: 'string' },
            status: { type: 'string', enum: [...CALL_STATUSES] },
          },
        },
        Asset: {
          type: 'object',
          description: 'CONTRACT.md "Asset (file)"',
          required: ['name', 'kind', 'state', 'callIds', 'versions', 'firstSeenAt'],
          properties: { name: { type: 'string' }, state: { type: 'string', enum: [...ASSET_STATES] } },
        },
        RegisterRecording: registerRecordingSchema,
      },
    },
    paths: {
      '/healthz': { get: { summary: 'liveness', responses: { '200': { description: 'alive' } } } },
      '/readyz': {
        get: {
          summary: 'readiness: Redis reachable',
          responses: { '200': { description: 'ready' }, '503': errorResponse(['redis-unavailable']) },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus text: jobs per queue and state',
          responses: {
            '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/v1/tenants/{tenant}/calls': {
        get: tenantRoute(
          'calls, newest first',
          [
            { name: 'status', in: 'query', schema: { type: 'string', enum: [...CALL_STATUSES] } },
            ...pageParams,
          ],
          pageOf('Call'),
        ),
      },
      '/v1/tenants/{tenant}/calls/{callId}': {
        get: tenantRoute(
          'one call',
          [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
          ref('Call'),
        ),
      },
      '/v1/tenants/{tenant}/files': {
        get: tenantRoute(
          'assets and their states, newest first',
          [
            { name: 'state', in: 'query', schema: { type: 'string', enum: [...ASSET_STATES] } },
            ...pageParams,
          ],
          pageOf('Asset'),
        ),
      },
      '/v1/tenants/{tenant}/files/{fileName}': {
        get: tenantRoute(
          'one asset: state, reason, call ids, versions',
          [{ name: 'fileName', in: 'path', required: true, schema: { type: 'string' } }],
          ref('Asset'),
        ),
      },
      '/v1/tenants/{tenant}/files/{fileName}/retry': {
        post: tenantRoute(
          'retries a failed or rejected file (new job ids; idempotent while the retry is pending); 409 not-retryable otherwise',
          [{ name: 'fileName', in: 'path', required: true, schema: { type: 'string' } }],
          {
            type: 'object',
            required: ['file', 'version', 'state', 'retries'],
            properties: {
              file: { type: 'string' },
              version: { type: 'integer' },
              state: { const: 'pending' },
              retries: { type: 'integer' },
            },
          },
          '202',
        ),
      },
      '/v1/tenants/{tenant}/crm/{objectType}/{id}': {
        get: tenantRoute(
          'one CRM object',
          [
            {
              name: 'objectType',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: [...CRM_OBJECT_TYPES] },
            },
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          ],
          {
            type: 'object',
            required: ['type', 'id', 'record'],
            properties: {
              type: { type: 'string' },
              id: { type: 'string' },
              record: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        ),
      },
      '/v1/tenants/{tenant}/recordings': {
        post: {
          ...tenantRoute(
            'registers a recording from another connector',
            [],
            {
              type: 'object',
              required: ['callId', 'status'],
              properties: { callId: { type: 'string' }, status: { const: 'accepted' } },
            },
            '202',
          ),
          requestBody: { required: true, content: json(ref('RegisterRecording')) },
        },
      },
      '/v1/queues': {
        get: {
          summary: 'per queue: waiting, active, delayed, failed, completed counts',
          security: [{ bearer: [] }],
          responses: {
            '200': {
              description: 'counts per queue',
              content: json({
                type: 'object',
                properties: {
                  items: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        name: { type: 'string', enum: [...QUEUE_NAMES] },
                        ...Object.fromEntries(
                          ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'].map(
                            (state) => [state, { type: 'integer' }],
                          ),
                        ),
                      },
                    },
                  },
                },
              }),
            },
            '401': errorResponse(['unauthorized']),
          },
        },
      },
    },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain page listing the routes; needs nothing from a CDN. */
export function docsPage(document: Json): string {
  const paths = document['paths'] as Record<string, Record<string, { summary?: string }>>;
  const rows = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(
      ([method, operation]) =>
        `<tr><td>${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? '')}</td></tr>`,
    ),
  );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>callintake status API</title></head><body>',
    '<h1>callintake status API</h1>',
    '<p>Every <code>/v1</code> route needs <code>Authorization: Bearer &lt;token&gt;</code>. Errors are',
    '<code>{ "error": { "code", "message" } }</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>',
    '<table><thead><tr><th>method</th><th>path</th><th>answers</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table></body></html>',
    '',
  ].join('\n');
}
