// The OpenAPI document served at /openapi.json and the page at /docs (CONTRACT.md "Status API").
// Written by hand: the routes are few, and list queries are checked in code, not by schemas.
import { QUEUE_NAMES } from '@callintake/queues';
import {
  ASSET_STATES,
  CALL_STATUSES,
  CRM_OBJECT_TYPES,
  MATCH_METHODS,
  REASON_CODES,
  SPEAKER_ROLES,
  SPEAKER_SOURCES,
} from '@callintake/schemas';
import { API_ERROR_CODES, type ApiErrorCode } from './errors';
import { DEFAULT_LIMIT, MAX_LIMIT } from './query';
import { pairAcceptedSchema, pairBodySchema } from './pair-body';
import { registerRecordingSchema } from './recording-body';

type Json = Record<string, unknown>;

const crmObjectProperties = {
  type: { type: 'string', enum: [...CRM_OBJECT_TYPES] },
  id: { type: 'string' },
  record: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
};
/** A CRM object linked from a referenced one (CrmLink.links); its own links are not followed. */
const crmLinkedObject = (type: string) => ({
  type: 'object',
  required: ['type', 'id', 'record'],
  properties: { ...crmObjectProperties, type: { type: 'string', const: type } },
});

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
  const pairSummary =
    'pairs a waiting call by hand: an ambiguous or awaiting_recording call with a recording, an awaiting_metadata call with metadata; queues a pair-by-hand job for the matcher';
  const pairBase = tenantRoute(
    pairSummary,
    [{ name: 'callId', in: 'path', required: true, schema: { type: 'string' } }],
    pairAcceptedSchema,
    '202',
  );
  const pairRoute = {
    ...pairBase,
    requestBody: { required: true, content: json(ref('PairCall')) },
    responses: {
      ...pairBase.responses,
      '404': errorResponse(['unknown-tenant', 'not-found', 'partner-not-found']),
      '409': errorResponse(['not-pairable', 'partner-taken']),
    },
  };
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
            crm: {
              type: 'object',
              description: 'the CRM objects its metadata names, by reference field (contactId, accountId...)',
              additionalProperties: ref('CrmLink'),
            },
            match: {
              type: 'object',
              description:
                'how the call was paired; manual: chosen by a person (details.by, and the candidates fuzzy pairing had listed)',
              required: ['method', 'score'],
              properties: {
                method: { type: 'string', enum: [...MATCH_METHODS] },
                score: { type: 'number' },
                details: { type: 'object' },
              },
            },
            callTime: {
              type: 'string',
              format: 'date-time',
              description:
                "the call's start: the metadata's own time, else the recording name's (an end-of-call name, " +
                'tenant filenameTime end, less the probed duration)',
            },
            warnings: { type: 'array', items: ref('Reason') },
            statusReason: {
              ...ref('Reason'),
              description:
                'why a call is not ready, when known: expired, or the reason the file that would complete it ' +
                'was rejected (file names that file)',
            },
            lineage: {
              type: 'array',
              description:
                'every file that gave the call its recording or metadata, oldest first; current false: ' +
                'replaced by a later version or another file for the same call (warning metadata-replaced)',
              items: ref('CallSource'),
            },
            speakers: {
              type: 'object',
              description:
                'who speaks on each channel; only for a two-channel recording whose agent channel is known ' +
                "(the metadata field agentChannel, else the tenant's recording.agentChannel)",
              required: ['left', 'right', 'source'],
              properties: {
                left: { type: 'string', enum: [...SPEAKER_ROLES] },
                right: { type: 'string', enum: [...SPEAKER_ROLES] },
                source: { type: 'string', enum: [...SPEAKER_SOURCES] },
              },
            },
          },
        },
        Reason: {
          type: 'object',
          description: 'why a file, row or call was rejected or flagged (README "Reason codes")',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: [...REASON_CODES] },
            message: { type: 'string' },
            field: { type: 'string' },
            line: { type: 'integer', description: 'row of a CSV (the header is line 1)' },
            file: {
              type: 'string',
              description:
                'another file the reason is about: the first of two duplicates, the metadata a newer source ' +
                'replaced, or the rejected file a waiting call needs',
            },
          },
        },
        CallSource: {
          type: 'object',
          required: ['kind', 'fileName', 'version', 'current'],
          properties: {
            kind: { type: 'string', enum: ['recording', 'metadata'] },
            fileName: { type: 'string' },
            line: { type: 'integer' },
            version: { type: 'integer' },
            receivedAt: {
              type: 'string',
              format: 'date-time',
              description: 'when that version was uploaded',
            },
            current: { type: 'boolean' },
          },
        },
        CrmLink: {
          type: 'object',
          description:
            'a CRM object a call names; record null: not stored yet (filled in if it arrives within ' +
            "the tenant's crm.lateResolveDays)",
          required: ['type', 'id', 'record'],
          properties: {
            ...crmObjectProperties,
            links: {
              type: 'object',
              description:
                "one level of links: an opportunity's or contact's account, a case's contact and account " +
                "(record columns named in the tenant's crm.links); a linked object's own links are not followed",
              properties: {
                accountId: crmLinkedObject('accounts'),
                contactId: crmLinkedObject('contacts'),
              },
            },
          },
        },
        Asset: {
          type: 'object',
          description: 'CONTRACT.md "Asset (file)"',
          required: ['name', 'kind', 'state', 'callIds', 'versions', 'firstSeenAt'],
          properties: {
            name: { type: 'string' },
            state: { type: 'string', enum: [...ASSET_STATES] },
            reason: ref('Reason'),
            warnings: { type: 'array', items: ref('Reason') },
          },
        },
        RegisterRecording: registerRecordingSchema,
        PairCall: pairBodySchema,
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
      '/v1/tenants/{tenant}/calls/{callId}/pair': { post: pairRoute },
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
