import type { Reason } from './reasons';

export const CALL_STATUSES = [
  'awaiting_metadata',
  'awaiting_recording',
  'ambiguous',
  'ready',
  'expired',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** `manual`: a person chose the pair (status API `POST …/calls/{id}/pair`, matcher `pair-by-hand.ts`). */
export const MATCH_METHODS = ['name', 'reference', 'external-id', 'fuzzy', 'manual'] as const;
export type MatchMethod = (typeof MATCH_METHODS)[number];

export const CRM_OBJECT_TYPES = ['contacts', 'leads', 'opportunities', 'cases', 'accounts'] as const;
export type CrmObjectType = (typeof CRM_OBJECT_TYPES)[number];

export const CRM_REFERENCE_FIELDS = {
  contactId: 'contacts',
  leadId: 'leads',
  opportunityId: 'opportunities',
  caseId: 'cases',
  accountId: 'accounts',
} as const satisfies Record<string, CrmObjectType>;
export type CrmReferenceField = keyof typeof CRM_REFERENCE_FIELDS;

export type SpeakerSeparation = 'channels' | 'diarization';

/**
 * Which stereo channel carries the rep (tenant `recording.agentChannel`, metadata field
 * `agentChannel`); `none`: not known, or not separated by channel.
 */
export const AGENT_CHANNELS = ['left', 'right', 'none'] as const;
export type AgentChannel = (typeof AGENT_CHANNELS)[number];

export const SPEAKER_ROLES = ['agent', 'customer'] as const;
export type SpeakerRole = (typeof SPEAKER_ROLES)[number];
/** `metadata`: the call's own `agentChannel` field; `tenant`: the tenant's `recording.agentChannel`. */
export const SPEAKER_SOURCES = ['metadata', 'tenant'] as const;

/** Who speaks on each channel of a two-channel recording, and which setting said so. */
export interface CallSpeakers {
  left: SpeakerRole;
  right: SpeakerRole;
  source: (typeof SPEAKER_SOURCES)[number];
}

/** What probing learned about a media file. Absent facts were not knowable (e.g. `arf`). */
export interface MediaFacts {
  container: string;
  codec?: string;
  durationSec?: number;
  channels?: number;
  sampleRateHz?: number;
  sizeBytes: number;
  speakerSeparation?: SpeakerSeparation;
  /** False for formats we accept without a parser (WebEx `arf`). */
  probed: boolean;
}

export interface CallRecording extends MediaFacts {
  fileName: string;
  archiveUri: string;
}

export type FieldValue = string | number | boolean | null;

export interface CallMetadata {
  fileName: string;
  version: number;
  /** Row number within a batch CSV (header is line 1); absent for single-record files. */
  line?: number;
  fields: Record<string, FieldValue>;
}

/**
 * Links between CRM objects a call document follows, one level (an opportunity's account, a
 * contact's account, a case's contact and account): link field -> the type it names.
 */
export const CRM_LINK_FIELDS = {
  accountId: 'accounts',
  contactId: 'contacts',
} as const satisfies Record<string, CrmObjectType>;
export type CrmLinkField = keyof typeof CRM_LINK_FIELDS;

/** A CRM object a referenced object links to; its own links are not followed. */
export type CrmLinkedObject = Omit<CrmLink, 'links'>;

export interface CrmLink {
  type: CrmObjectType;
  id: string;
  /** null when the reference could not be resolved (yet: see matcher `crm-links.ts`). */
  record: Record<string, string> | null;
  /** The objects `record` names in its link columns (tenant `crm.links`); absent when none. */
  links?: Partial<Record<CrmLinkField, CrmLinkedObject>>;
}

export interface CallMatch {
  method: MatchMethod;
  score: number;
  details?: Record<string, unknown>;
}

/**
 * One file (a version of it; a row of a batch) that gave a call its recording or metadata. A
 * call's lineage keeps every source it ever had: the current ones, and metadata a later source
 * replaced (SPEC "Updates": one identity per call whatever file carries its metadata).
 */
export interface CallSource {
  kind: 'recording' | 'metadata';
  fileName: string;
  /** Row of a batch CSV. */
  line?: number;
  version: number;
  /** When that file version was first seen in the upload area (absent for registered recordings). */
  receivedAt?: string;
  /** False once another source replaced it. */
  current: boolean;
}

export interface Call {
  id: string;
  tenantId: string;
  status: CallStatus;
  callTime?: string;
  userId?: string;
  direction?: string;
  recording?: CallRecording;
  /** Only for a two-channel recording whose agent channel is known (matcher `speakers.ts`). */
  speakers?: CallSpeakers;
  metadata?: CallMetadata;
  crm: Partial<Record<CrmReferenceField, CrmLink>>;
  match?: CallMatch;
  warnings: Reason[];
  /**
   * Why the call is not ready, when we know: it expired, or the file that would complete it was
   * rejected (that file's reason, with `file` naming it).
   */
  statusReason?: Reason;
  /** Every file that gave this call its recording or metadata, oldest first. */
  lineage?: CallSource[];
  /** Bumped on every material change; `calls-updated` job ids carry it. */
  version: number;
  /** When the call first became ready, and at which version (later versions are updates). */
  readyAt?: string;
  readyVersion?: number;
  createdAt: string;
  updatedAt: string;
}
