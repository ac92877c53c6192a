// The tenants file (CONTRACT.md "Tenants file"): schema, defaults and validation that names
// every bad key at once. Secrets are never values here, only names of files or env variables.
import { z } from 'zod';
import { AGENT_CHANNELS, CRM_OBJECT_TYPES } from './call';

const CANONICAL_FIELDS = [
  'callTime',
  'userId',
  'direction',
  'recordingFile',
  'externalCallId',
  'durationSec',
  'contactId',
  'leadId',
  'opportunityId',
  'caseId',
  'accountId',
  'agentChannel',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];
export const canonicalFields: readonly CanonicalField[] = CANONICAL_FIELDS;

function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const relativeOrAbsolutePath = z.string().min(1, 'must be a non-empty path');

const localLocation = z.strictObject({ kind: z.literal('local'), root: relativeOrAbsolutePath });

const s3Location = z.strictObject({
  kind: z.literal('s3'),
  bucket: z.string().min(1),
  prefix: z.string().default(''),
  region: z.string().default('us-east-1'),
  endpoint: z.url().optional(),
  forcePathStyle: z.boolean().default(false),
  /** Names of env variables holding the keys; the SDK's default chain is used when absent. */
  accessKeyIdEnv: z.string().optional(),
  secretAccessKeyEnv: z.string().optional(),
});

const sftpLocation = z
  .strictObject({
    kind: z.literal('sftp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1),
    privateKeyFile: z.string().optional(),
    /**
     * The server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`). When set,
     * a server presenting another key is refused (no man in the middle). When absent, any key
     * is accepted: set it for every production tenant.
     */
    hostKeySha256: z
      .string()
      .regex(
        /^SHA256:[A-Za-z0-9+/]{43}$/,
        'must be an OpenSSH SHA256 fingerprint, e.g. SHA256:abc… (ssh-keygen -lf key.pub)',
      )
      .optional(),
    passphraseEnv: z.string().optional(),
    passwordEnv: z.string().optional(),
    root: z.string().default('/'),
  })
  .refine((sftp) => Boolean(sftp.privateKeyFile) !== Boolean(sftp.passwordEnv), {
    message: 'give exactly one of privateKeyFile or passwordEnv',
    path: ['privateKeyFile'],
  });

const sourceLocation = z.discriminatedUnion('kind', [localLocation, sftpLocation, s3Location]);
const archiveLocation = z.discriminatedUnion('kind', [localLocation, s3Location]);

const FIELD_TYPES = ['string', 'integer', 'decimal', 'boolean', 'datetime', 'enum'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const fieldMapping = z
  .strictObject({
    /** A canonical field, or any other name for a custom field. */
    to: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a field name'),
    type: z.enum(FIELD_TYPES).default('string'),
    /** datetime: a Luxon format string (e.g. "MM/dd/yyyy HH:mm"); ISO 8601 when absent. */
    format: z.string().optional(),
    /** datetime: the value is a Unix epoch in seconds or milliseconds. */
    epoch: z.enum(['s', 'ms']).optional(),
    /** datetime without an offset: read in this zone (default: the tenant's timezone). */
    timezone: z.string().refine(isIanaZone, 'must be an IANA time zone').optional(),
    /** enum: source value -> our value; matching is case-insensitive. */
    values: z.record(z.string(), z.string()).optional(),
  })
  .refine((mapping) => mapping.type !== 'enum' || mapping.values !== undefined, {
    message: 'an enum field needs values',
    path: ['values'],
  })
  .superRefine(agentChannelValues);
export type FieldMapping = z.infer<typeof fieldMapping>;

const AGENT_CHANNEL_HINT = `must be ${AGENT_CHANNELS.slice(0, -1).join(', ')} or ${AGENT_CHANNELS.at(-1)}`;

/**
 * An enum mapped to `agentChannel` may only give left, right or none: a typo in the tenants
 * file is named at start rather than rejecting every row that uses it.
 */
function agentChannelValues(
  mapping: { to: string; values?: Record<string, string> | undefined },
  ctx: z.RefinementCtx,
): void {
  if (mapping.to !== 'agentChannel') return;
  for (const [source, value] of Object.entries(mapping.values ?? {})) {
    if (!(AGENT_CHANNELS as readonly string[]).includes(value.trim().toLowerCase()))
      ctx.addIssue({
        code: 'custom',
        message: `${AGENT_CHANNEL_HINT} (agentChannel)`,
        path: ['values', source],
      });
  }
}

const DEFAULT_DIRECTIONS: Record<string, string> = {
  inbound: 'inbound',
  outbound: 'outbound',
  internal: 'internal',
  screenshare: 'screenshare',
  in: 'inbound',
  out: 'outbound',
};

/**
 * One person in a tenant's optional user directory: every way the tenant's systems name them
 * (extension, email, employee id...). A recording's uid and a metadata userId name the same
 * user when both are aliases of one person (SPEC "Pairing" 4).
 */
const directoryUser = z.strictObject({
  id: z.string().min(1, 'must be a non-empty user id'),
  aliases: z.array(z.string().trim().min(1, 'must be a non-empty alias')).min(1, 'list at least one alias'),
});

/** Aliases match case-insensitively, so one alias may name one person only. */
const userDirectory = z.array(directoryUser).superRefine((users, ctx) => {
  const ids = new Set<string>();
  const owners = new Map<string, string>();
  users.forEach((user, index) => {
    if (ids.has(user.id))
      ctx.addIssue({ code: 'custom', message: `duplicate user id "${user.id}"`, path: [index, 'id'] });
    ids.add(user.id);
    user.aliases.forEach((alias, aliasIndex) => {
      const owner = owners.get(alias.toLowerCase());
      if (owner !== undefined && owner !== user.id)
        ctx.addIssue({
          code: 'custom',
          message: `alias "${alias}" already names user "${owner}"`,
          path: [index, 'aliases', aliasIndex],
        });
      else owners.set(alias.toLowerCase(), user.id);
    });
  });
});
export type DirectoryUser = z.infer<typeof directoryUser>;

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const DURATION_HINT = 'must be a duration like 6h, 90m, 1d12h or a number of seconds, at least 60 s';

/** Seconds from `6h`, `90m`, `1d12h`, `45s` or a plain number of seconds; undefined when malformed. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = DURATION.exec(value.trim());
  if (!match || value.trim() === '') return undefined;
  const [days = '0', hours = '0', minutes = '0', seconds = '0'] = match.slice(1).map((part) => part ?? '0');
  return Number(days) * 86_400 + Number(hours) * 3_600 + Number(minutes) * 60 + Number(seconds);
}

/**
 * How often a tenant is expected to upload (`expectUploadsEvery`): the status API exports it as
 * callintake_tenant_expected_upload_interval_seconds, and an alert fires when the tenant's last
 * upload is older. Absent: no expectation, no alert.
 */
const uploadInterval = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds < 60) {
    ctx.addIssue({ code: 'custom', message: DURATION_HINT });
    return z.NEVER;
  }
  return seconds;
});

const tenant = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+'),
  source: sourceLocation,
  archive: archiveLocation,
  timezone: z.string().default('UTC').refine(isIanaZone, 'must be an IANA time zone, e.g. America/New_York'),
  filenameTime: z.enum(['start', 'end']).default('start'),
  /** A file must keep its size and mtime (S3: ETag) this long before it is taken. */
  settleSeconds: z.number().min(0).default(5),
  /** How often SFTP and S3 sources are listed; local sources also react to file events. */
  pollSeconds: z.number().positive().default(30),
  /** Seconds (from `6h`, `1d`, ... or a number of seconds) between expected uploads; see uploadInterval. */
  expectUploadsEvery: uploadInterval.optional(),
  directions: z.record(z.string(), z.string()).default(DEFAULT_DIRECTIONS),
  /** Optional user directory for fuzzy pairing; without it uid and userId are compared as text. */
  users: userDirectory.default([]),
  metadata: z
    .strictObject({
      fields: z.record(z.string(), fieldMapping).default({}),
      required: z.array(z.string()).default(['callTime', 'userId']),
      /** Metadata becomes a ready call alone: recordings come from another connector. */
      metadataOnly: z.boolean().default(false),
      updateWindowHours: z.number().positive().default(48),
    })
    .prefault({}),
  crm: z
    .strictObject({
      idColumn: z.string().min(1).default('id'),
      /**
       * How long a call waits for a CRM object it names that is not stored yet, from when it was
       * assembled without it: an object arriving within this many days updates the call.
       */
      lateResolveDays: z.number().positive().default(30),
      /**
       * The record columns that name a linked object, tried in order, each exactly and then
       * ignoring case; the first non-empty value is the link. An empty list turns a link off.
       */
      links: z
        .strictObject({
          accountId: z.array(z.string().min(1)).default(['accountId', 'account_id']),
          contactId: z.array(z.string().min(1)).default(['contactId', 'contact_id']),
        })
        .prefault({}),
    })
    .prefault({}),
  recording: z
    .strictObject({
      /**
       * Which channel of a two-channel recording is the rep; a call's metadata field
       * `agentChannel` wins over it. `none`: not known (no `speakers` on the call).
       */
      agentChannel: z.enum(AGENT_CHANNELS, { error: AGENT_CHANNEL_HINT }).default('none'),
    })
    .prefault({}),
  retention: z
    .strictObject({
      purgeAfterDays: z.number().positive().default(7),
      awaitingMetadataDays: z.number().positive().default(30),
      /**
       * A call left `ambiguous` by fuzzy pairing expires this many days after it was created
       * (reason `ambiguous-expired`) unless a recording or a person (status API `…/pair`) decides.
       */
      ambiguousDays: z.number().positive().default(30),
    })
    .prefault({}),
});
export type TenantConfig = z.infer<typeof tenant>;
export type SourceLocation = z.infer<typeof sourceLocation>;
export type ArchiveLocation = z.infer<typeof archiveLocation>;

export const tenantsFileSchema = z
  .strictObject({ tenants: z.array(tenant).min(1, 'list at least one tenant') })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.tenants.forEach((t, index) => {
      if (seen.has(t.id))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate tenant id "${t.id}"`,
          path: ['tenants', index, 'id'],
        });
      seen.add(t.id);
    });
  });
export type TenantsFile = z.infer<typeof tenantsFileSchema>;

export { CRM_OBJECT_TYPES };

/** Renders zod issues as `tenants[0].source.root: message` lines, one per bad key. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
      )
      .join('');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
    return `${path || '(root)'}: ${message}`;
  });
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function parseTenantsFile(input: unknown): ParseResult<TenantsFile> {
  const result = tenantsFileSchema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: describeIssues(result.error.issues) };
}
