import type { Reason } from './reasons';

export const CALL_STATUSES = [
  'awaiting_metadata',
  'awaiting_recording',
  'ambiguous',
  'ready',
  'expired',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const MATCH_METHODS = ['name', 'reference', 'external-id', 'fuzzy'] as const;
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

export interface CrmLink {
  type: CrmObjectType;
  id: string;
  /** null when the reference could not be resolved. */
  record: Record<string, string> | null;
}

export interface CallMatch {
  method: MatchMethod;
  score: number;
  details?: Record<string, unknown>;
}

export interface Call {
  id: string;
  tenantId: string;
  status: CallStatus;
  callTime?: string;
  userId?: string;
  direction?: string;
  recording?: CallRecording;
  metadata?: CallMetadata;
  crm: Partial<Record<CrmReferenceField, CrmLink>>;
  match?: CallMatch;
  warnings: Reason[];
  statusReason?: Reason;
  /** Bumped on every material change; `calls-updated` job ids carry it. */
  version: number;
  /** When the call first became ready, and at which version (later versions are updates). */
  readyAt?: string;
  readyVersion?: number;
  createdAt: string;
  updatedAt: string;
}
