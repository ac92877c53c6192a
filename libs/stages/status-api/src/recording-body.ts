// The body of POST /v1/tenants/:tenant/recordings: its TypeScript shape and the JSON schema
// fastify validates it with (also published in the OpenAPI document).
export interface RegisterRecordingBody {
  externalId: string;
  location: string;
  source?: string;
  container?: string;
  codec?: string;
  durationSec?: number;
  channels?: number;
  sampleRateHz?: number;
  sizeBytes?: number;
}

export const registerRecordingSchema = {
  type: 'object',
  required: ['externalId', 'location'],
  additionalProperties: false,
  properties: {
    externalId: { type: 'string', minLength: 1, maxLength: 512 },
    location: { type: 'string', minLength: 1, description: 'where the media is, e.g. s3://bucket/key' },
    source: { type: 'string' },
    container: { type: 'string' },
    codec: { type: 'string' },
    durationSec: { type: 'number', minimum: 0 },
    channels: { type: 'integer', minimum: 1 },
    sampleRateHz: { type: 'integer', minimum: 1 },
    sizeBytes: { type: 'integer', minimum: 0 },
  },
} as const;
