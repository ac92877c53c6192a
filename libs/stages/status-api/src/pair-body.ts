// The body of POST /v1/tenants/:tenant/calls/:callId/pair: its TypeScript shape and the JSON
// schema fastify validates it with (also published in the OpenAPI document). A call that has its
// metadata (ambiguous, awaiting_recording) names a recording; one that has its recording
// (awaiting_metadata) names a metadata file, and the row's line for a batch CSV.
export type PairBody = { recording: string } | { metadata: string; line?: number };

export const pairBodySchema = {
  oneOf: [
    {
      type: 'object',
      required: ['recording'],
      additionalProperties: false,
      properties: {
        recording: {
          type: 'string',
          minLength: 1,
          maxLength: 1024,
          description: "the recording's file name (or a registered recording's external id)",
        },
      },
    },
    {
      type: 'object',
      required: ['metadata'],
      additionalProperties: false,
      properties: {
        metadata: { type: 'string', minLength: 1, maxLength: 1024, description: 'the metadata file name' },
        line: {
          type: 'integer',
          minimum: 2,
          description: 'the row of a batch CSV (the header is line 1); absent for a single-record file',
        },
      },
    },
  ],
} as const;

/** What the API answers (202): the job queued for the matcher and the call it will make. */
export const pairAcceptedSchema = {
  type: 'object',
  required: ['jobId', 'callId', 'pairedCallId', 'recording', 'metadata', 'status'],
  properties: {
    jobId: { type: 'string', description: 'the pair-by-hand job on the call-match queue' },
    callId: { type: 'string', description: 'the call named in the path' },
    pairedCallId: {
      type: 'string',
      description: "the ready call the pair makes: the recording's call (a metadata-only call joins it)",
    },
    recording: { type: 'string' },
    metadata: {
      type: 'object',
      required: ['fileName'],
      properties: { fileName: { type: 'string' }, line: { type: 'integer' } },
    },
    status: { const: 'queued' },
  },
} as const;
