// The documents the status API serves and takes, as zod schemas: the source of the route schemas
// fastify validates with and @fastify/swagger publishes (json-schema.ts, openapi.ts). A schema with
// an `id` becomes a named component of the OpenAPI document. The domain types (Call, Asset, ...)
// stay the truth: the checks at the end fail the type check when a schema and its type disagree,
// so a field added to `Call` cannot be left out of the document.
import { z } from 'zod';
import { QUEUE_NAMES } from '@callintake/queues';
import {
  AGENT_CHANNELS,
  ASSET_KINDS,
  ASSET_STATES,
  CALL_STATUSES,
  CRM_LINK_FIELDS,
  CRM_OBJECT_TYPES,
  CRM_REFERENCE_FIELDS,
  MATCH_METHODS,
  REASON_CODES,
  SPEAKER_ROLES,
  SPEAKER_SOURCES,
  type Asset,
  type AssetVersion,
  type Call,
  type CallMatch,
  type CallMetadata,
  type CallRecording,
  type CallSource,
  type CallSpeakers,
  type CrmLink,
  type CrmLinkedObject,
  type Reason,
  type VersionAttempts,
} from '@callintake/schemas';
import type { TenantOverview } from './console/overview';
import { API_ERROR_CODES, type ApiErrorCode } from './errors';
import { DEFAULT_LIMIT, MAX_LIMIT } from './query';

const timestamp = (description?: string) =>
  z.string().meta({ format: 'date-time', ...(description ? { description } : {}) });
const count = () => z.int().min(0);

// --- The call document (CONTRACT.md "Call") ---------------------------------------------------

export const reasonSchema = z
  .object({
    code: z.enum(REASON_CODES),
    message: z.string(),
    field: z.string().optional(),
    line: z.int().optional().describe('row of a CSV (the header is line 1)'),
    file: z
      .string()
      .optional()
      .describe(
        'another file the reason is about: the first of two duplicates, the metadata a newer source ' +
          'replaced, or the rejected file a waiting call needs',
      ),
  })
  .meta({
    id: 'Reason',
    description: 'why a file, row or call was rejected or flagged (README "Reason codes")',
  });

export const callRecordingSchema = z
  .object({
    fileName: z.string(),
    archiveUri: z.string().describe('where the archived recording is'),
    container: z.string().describe('wav, mp3, ..., or unknown for a registered recording that did not say'),
    codec: z.string().optional(),
    durationSec: z.number().min(0).optional(),
    channels: z.int().min(1).optional(),
    sampleRateHz: z.int().min(1).optional(),
    sizeBytes: count(),
    speakerSeparation: z
      .enum(['channels', 'diarization'])
      .optional()
      .describe('channels: two or more channels to tell speakers apart; diarization: mono'),
    probed: z
      .boolean()
      .describe('false for formats accepted without a parser (arf) and registered recordings'),
  })
  .meta({ id: 'CallRecording', description: "the call's recording and what probing learned about it" });

export const callMetadataSchema = z
  .object({
    fileName: z.string(),
    version: z.int().min(1),
    line: z
      .int()
      .optional()
      .describe('row of a batch CSV (the header is line 1); absent for single-record files'),
    fields: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .describe('every field of the metadata, flat: the canonical ones mapped, the others as sent'),
  })
  .meta({ id: 'CallMetadata', description: "the call's metadata record" });

export const callSpeakersSchema = z
  .object({
    left: z.enum(SPEAKER_ROLES),
    right: z.enum(SPEAKER_ROLES),
    source: z
      .enum(SPEAKER_SOURCES)
      .describe("metadata: the call's agentChannel field; tenant: the tenant's recording.agentChannel"),
  })
  .meta({
    id: 'CallSpeakers',
    description:
      'who speaks on each channel; only for a two-channel recording whose agent channel is known ' +
      `(the metadata field agentChannel, one of ${AGENT_CHANNELS.join(', ')}, else the tenant's recording.agentChannel)`,
  });

const crmRecord = z.record(z.string(), z.string()).nullable();

export const crmLinkedObjectSchema = z
  .object({ type: z.enum(CRM_OBJECT_TYPES), id: z.string(), record: crmRecord })
  .meta({
    id: 'CrmLinkedObject',
    description:
      'a CRM object a referenced one links to (accountId: accounts, contactId: contacts); its own links are not followed',
  });

export const crmLinkSchema = z
  .object({
    type: z.enum(CRM_OBJECT_TYPES),
    id: z.string(),
    record: crmRecord.describe('the stored record; null: not stored yet'),
    links: z
      .partialRecord(
        z.enum(Object.keys(CRM_LINK_FIELDS) as [keyof typeof CRM_LINK_FIELDS]),
        crmLinkedObjectSchema,
      )
      .optional()
      .describe(
        "one level of links: an opportunity's or contact's account, a case's contact and account " +
          "(record columns named in the tenant's crm.links); absent when none",
      ),
  })
  .meta({
    id: 'CrmLink',
    description:
      'a CRM object a call names; record null: not stored yet (filled in if it arrives within ' +
      "the tenant's crm.lateResolveDays)",
  });

export const callMatchSchema = z
  .object({
    method: z.enum(MATCH_METHODS),
    score: z.number(),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'manual: who paired it (by) and the candidates fuzzy pairing had listed; fuzzy: the candidates',
      ),
  })
  .meta({
    id: 'CallMatch',
    description: 'how the call was paired; manual: chosen by a person (POST …/calls/{callId}/pair)',
  });

export const callSourceSchema = z
  .object({
    kind: z.enum(['recording', 'metadata']),
    fileName: z.string(),
    line: z.int().optional().describe('row of a batch CSV'),
    version: z.int().min(1),
    receivedAt: timestamp('when that version was uploaded; absent for registered recordings').optional(),
    current: z.boolean().describe('false once another source replaced it'),
  })
  .meta({
    id: 'CallSource',
    description: 'one file (a version of it; a row of a batch) that gave the call a side',
  });

export const callSchema = z
  .object({
    id: z
      .string()
      .describe("the recording's file name without extension, or a metadata-only call's external id"),
    tenantId: z.string(),
    status: z.enum(CALL_STATUSES),
    callTime: timestamp(
      "the call's start: the metadata's own time, else the recording name's (an end-of-call name, " +
        'tenant filenameTime end, less the probed duration)',
    ).optional(),
    userId: z.string().optional().describe('the rep'),
    direction: z
      .string()
      .optional()
      .describe('inbound or outbound, or a value the tenant mapping passes through'),
    recording: callRecordingSchema.optional(),
    speakers: callSpeakersSchema.optional(),
    metadata: callMetadataSchema.optional(),
    crm: z
      .partialRecord(
        z.enum(Object.keys(CRM_REFERENCE_FIELDS) as [keyof typeof CRM_REFERENCE_FIELDS]),
        crmLinkSchema,
      )
      .describe('the CRM objects its metadata names, by reference field (contactId, accountId...)'),
    match: callMatchSchema.optional(),
    warnings: z.array(reasonSchema),
    statusReason: reasonSchema
      .optional()
      .describe(
        'why a call is not ready, when known: expired, or the reason the file that would complete it ' +
          'was rejected (file names that file)',
      ),
    lineage: z
      .array(callSourceSchema)
      .optional()
      .describe(
        'every file that gave the call its recording or metadata, oldest first; current false: ' +
          'replaced by a later version or another file for the same call (warning metadata-replaced)',
      ),
    version: z.int().min(1).describe('bumped on every material change; calls-updated job ids carry it'),
    readyAt: timestamp('when the call first became ready').optional(),
    readyVersion: z.int().min(1).optional().describe('its version then; later versions are updates'),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .meta({ id: 'Call', description: 'CONTRACT.md "Call"' });

// --- The file document (CONTRACT.md "Asset (file)") -------------------------------------------

export const versionAttemptsSchema = z
  .object({
    count: count().describe('attempts that failed (one killed mid-job counts once its stall is detected)'),
    of: z.int().min(1).describe('how many attempts a job gets (JOB_ATTEMPTS when it was queued)'),
    lastError: z.string().describe('the last failure, without secrets or paths outside the upload area'),
    lastAttemptAt: timestamp(),
  })
  .meta({
    id: 'VersionAttempts',
    description: 'failed processing attempts so far, while retrying and once failed',
  });

export const assetVersionSchema = z
  .object({
    versionId: z.string().describe('this content as listed: size + mtime (local, SFTP) or ETag (S3)'),
    number: z.int().min(1),
    seq: z.int().optional().describe("order in which the tenant's files were first seen"),
    sizeBytes: count(),
    modifiedAt: timestamp(),
    etag: z.string().optional(),
    sha256: z.string().optional().describe('content hash, once captured'),
    seenAt: timestamp('when this version was first seen'),
    state: z.enum(ASSET_STATES),
    reason: reasonSchema.optional(),
    location: z.string().describe('where the file sits in the upload area now, relative to the tenant root'),
    attempts: versionAttemptsSchema.optional(),
    retries: count().optional().describe('how often someone retried it after it failed or was rejected'),
  })
  .meta({ id: 'AssetVersion', description: 'one uploaded content of a file name' });

export const assetSchema = z
  .object({
    tenantId: z.string(),
    name: z.string(),
    kind: z.enum(ASSET_KINDS),
    state: z.enum(ASSET_STATES),
    reason: reasonSchema.optional().describe('why it was rejected or failed'),
    warnings: z.array(reasonSchema),
    callIds: z.array(z.string()).describe('the calls it gave a recording or metadata to'),
    versions: z.array(assetVersionSchema).describe('oldest first'),
    firstSeenAt: timestamp(),
    updatedAt: timestamp(),
  })
  .meta({ id: 'Asset', description: 'CONTRACT.md "Asset (file)": a file of the upload area and its state' });

// --- Other answers ---------------------------------------------------------------------------

export const pageOf = <Item extends z.ZodType>(item: Item) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  });

export const crmObjectSchema = z.object({
  type: z.enum(CRM_OBJECT_TYPES),
  id: z.string(),
  record: z.record(z.string(), z.string()),
});

export const queueCountsSchema = z.object({
  items: z.array(
    z.object({
      name: z.enum(QUEUE_NAMES),
      waiting: count(),
      prioritized: count(),
      active: count(),
      delayed: count(),
      failed: count(),
      completed: count(),
    }),
  ),
});

export const tenantListSchema = z.object({
  items: z.array(z.object({ id: z.string() })).describe('the tenants the token may read, by id'),
});

export const tenantOverviewSchema = z
  .object({
    tenant: z.string(),
    filesByState: z.record(z.enum(ASSET_STATES), count()),
    rejectionsByReason: z
      .array(z.object({ code: z.string(), count: count() }))
      .describe('reason codes of the newest rejectedSampled rejected files, most frequent first'),
    rejectedSampled: count(),
    callsByStatus: z.record(z.enum(CALL_STATUSES), count()),
    lastUploadAt: timestamp("when the tenant's newest file version was first seen")
      .nullable()
      .describe('null before its first upload'),
  })
  .meta({ id: 'TenantOverview', description: "one tenant at a glance (the console's first page)" });

export const retryAcceptedSchema = z.object({
  file: z.string(),
  version: z.int().min(1),
  state: z.literal('pending'),
  retries: count(),
});

export const recordingAcceptedSchema = z.object({ callId: z.string(), status: z.literal('accepted') });

export const pairAcceptedSchema = z.object({
  jobId: z.string().describe('the pair-by-hand job on the call-match queue'),
  callId: z.string().describe('the call named in the path'),
  pairedCallId: z
    .string()
    .describe("the ready call the pair makes: the recording's call (a metadata-only call joins it)"),
  recording: z.string(),
  metadata: z.object({ fileName: z.string(), line: z.int().optional() }),
  status: z.literal('queued'),
});

/** `{ error: { code, message } }`, with the codes a response can carry. */
export const errorSchema = (codes: readonly ApiErrorCode[]) =>
  z.object({
    error: z.object({ code: z.enum(codes as [ApiErrorCode, ...ApiErrorCode[]]), message: z.string() }),
  });

/** Every error answer; each route's document names the codes it can give (errors.ts: stable codes). */
export const apiErrorSchema = errorSchema(Object.keys(API_ERROR_CODES) as ApiErrorCode[]).meta({
  id: 'Error',
  description:
    'every error answer of the API: a stable code (never reused for another meaning) and a message',
});

// --- Parameters and bodies -------------------------------------------------------------------

export const tenantParams = z.object({ tenant: z.string().describe('tenant id') });

/** Query strings take parameters they do not name (a cache buster is no error). */
export const pageQuery = z.looseObject({
  limit: z.int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
});

export const registerRecordingBody = z
  .strictObject({
    externalId: z.string().min(1).max(512),
    location: z.string().min(1).describe('where the media is, e.g. s3://bucket/key'),
    source: z.string().optional(),
    container: z.string().optional(),
    codec: z.string().optional(),
    durationSec: z.number().min(0).optional(),
    channels: z.int().min(1).optional(),
    sampleRateHz: z.int().min(1).optional(),
    sizeBytes: count().optional(),
  })
  .meta({ id: 'RegisterRecording', description: 'a recording another connector holds' });
export type RegisterRecordingBody = z.output<typeof registerRecordingBody>;

/**
 * A call that has its metadata (ambiguous, awaiting_recording) names a recording; one that has its
 * recording (awaiting_metadata) names a metadata file, and the row's line for a batch CSV.
 */
export const pairBody = z
  .union([
    z.strictObject({
      recording: z
        .string()
        .min(1)
        .max(1024)
        .describe("the recording's file name (or a registered recording's external id)"),
    }),
    z.strictObject({
      metadata: z.string().min(1).max(1024).describe('the metadata file name'),
      line: z
        .int()
        .min(2)
        .optional()
        .describe('the row of a batch CSV (the header is line 1); absent for a single-record file'),
    }),
  ])
  .meta({
    id: 'PairCall',
    description: 'the other side of the call: a recording, or a metadata file (and row)',
  });
export type PairBody = z.output<typeof pairBody>;

// --- The schemas and the domain types agree --------------------------------------------------

/** True when A and B have the same keys and each is assignable to the other. */
type SameShape<A, B> = [keyof A, keyof B] extends [keyof B, keyof A]
  ? [A, B] extends [B, A]
    ? true
    : false
  : false;
const agrees = <_Check extends true>() => undefined;
agrees<SameShape<z.output<typeof reasonSchema>, Reason>>();
agrees<SameShape<z.output<typeof callRecordingSchema>, CallRecording>>();
agrees<SameShape<z.output<typeof callMetadataSchema>, CallMetadata>>();
agrees<SameShape<z.output<typeof callSpeakersSchema>, CallSpeakers>>();
agrees<SameShape<z.output<typeof crmLinkedObjectSchema>, CrmLinkedObject>>();
agrees<SameShape<z.output<typeof crmLinkSchema>, CrmLink>>();
agrees<SameShape<NonNullable<z.output<typeof crmLinkSchema>['links']>, NonNullable<CrmLink['links']>>>();
agrees<SameShape<z.output<typeof callMatchSchema>, CallMatch>>();
agrees<SameShape<z.output<typeof callSourceSchema>, CallSource>>();
agrees<SameShape<z.output<typeof callSchema>, Call>>();
agrees<SameShape<z.output<typeof callSchema>['crm'], Call['crm']>>();
agrees<SameShape<z.output<typeof versionAttemptsSchema>, VersionAttempts>>();
agrees<SameShape<z.output<typeof assetVersionSchema>, AssetVersion>>();
agrees<SameShape<z.output<typeof assetSchema>, Asset>>();
agrees<SameShape<z.output<typeof tenantOverviewSchema>, TenantOverview>>();
