// Every Redis key we own, in one place. Tenant ids are [a-z0-9-]+, so `<ns>:<tenant>:` never
// collides; names come last so any character in a file name is safe.
//
// Every key belongs to one tenant, metrics included: a script or transaction touches one
// tenant's keys only, so on Redis Cluster (`hashTags`) each tenant's keys share a slot via the
// hash tag `{<tenant>}` and every multi-key script stays on one node. Single-server key names
// carry no tag (as before cluster support), so existing state keeps its names.
export interface KeysOptions {
  /** Redis Cluster: wrap the tenant id in a hash tag. */
  hashTags?: boolean;
}

export class Keys {
  readonly hashTags: boolean;

  constructor(
    readonly namespace: string,
    options: KeysOptions = {},
  ) {
    this.hashTags = options.hashTags ?? false;
  }

  private t(tenantId: string): string {
    return this.hashTags ? `${this.namespace}:t:{${tenantId}}` : `${this.namespace}:t:${tenantId}`;
  }
  tenantPattern(tenantId: string): string {
    return `${this.t(tenantId)}:*`;
  }
  allPattern(): string {
    return `${this.namespace}:*`;
  }

  /** What the scanner last saw of each file still in data/, for the settle interval. */
  observations(tenantId: string): string {
    return `${this.t(tenantId)}:observations`;
  }
  asset(tenantId: string, name: string): string {
    return `${this.t(tenantId)}:asset:${name}`;
  }
  assetIndex(tenantId: string): string {
    return `${this.t(tenantId)}:assets`;
  }
  assetStateIndex(tenantId: string, state: string): string {
    return `${this.t(tenantId)}:assets:state:${state}`;
  }
  /** Per-tenant counter: the order in which versions were first seen. */
  seenSeq(tenantId: string): string {
    return `${this.t(tenantId)}:seen-seq`;
  }
  /** CRM batch versions not yet ingested, scored by when they were seen (the priority lane). */
  crmPending(tenantId: string): string {
    return `${this.t(tenantId)}:crm-pending`;
  }
  recording(tenantId: string, fileName: string): string {
    return `${this.t(tenantId)}:recording:${fileName}`;
  }
  metadata(tenantId: string, recordId: string): string {
    return `${this.t(tenantId)}:metadata:${recordId}`;
  }
  /** Pairing by name: lower-cased stem -> which recording and which metadata record carry it. */
  nameKey(tenantId: string, stem: string): string {
    return `${this.t(tenantId)}:by-name:${stem}`;
  }
  /** A recording's content (sha256) -> the recording first captured with it (duplicate-content). */
  recordingContent(tenantId: string, sha256: string): string {
    return `${this.t(tenantId)}:recording-content:${sha256}`;
  }
  /** Pairing by external id: lower-cased id -> the one recording and one metadata record claiming it. */
  externalIdKey(tenantId: string, id: string): string {
    return `${this.t(tenantId)}:by-external-id:${id}`;
  }
  /** Recordings waiting for metadata, scored by their call time (ms): fuzzy pairing's candidates. */
  unpairedRecordings(tenantId: string): string {
    return `${this.t(tenantId)}:unpaired-recordings`;
  }
  /**
   * Fuzzy-eligible metadata records waiting for a recording (awaiting_recording or ambiguous),
   * scored by their call time (ms): what a newly arrived recording is offered to.
   */
  waitingMetadata(tenantId: string): string {
    return `${this.t(tenantId)}:waiting-metadata`;
  }
  /** Fuzzy pairs: recording file name -> the metadata record it was paired with, and how. */
  fuzzyPairs(tenantId: string): string {
    return `${this.t(tenantId)}:fuzzy-pairs`;
  }
  /**
   * Standing fuzzy pairs (recording file name) scored by the recording's call time (ms), and by
   * the metadata record's: a later file near them may undo them, so they stay in the pool.
   */
  fuzzyPairsByRecordingTime(tenantId: string): string {
    return `${this.t(tenantId)}:fuzzy-pairs-by-recording-time`;
  }
  fuzzyPairsByMetadataTime(tenantId: string): string {
    return `${this.t(tenantId)}:fuzzy-pairs-by-metadata-time`;
  }
  /** The counter that numbers fuzzy pairs (`seq`), so a pair made again is told from the first. */
  fuzzyPairSeq(tenantId: string): string {
    return `${this.t(tenantId)}:fuzzy-pair-seq`;
  }
  call(tenantId: string, callId: string): string {
    return `${this.t(tenantId)}:call:${callId}`;
  }
  callIndex(tenantId: string): string {
    return `${this.t(tenantId)}:calls`;
  }
  callStatusIndex(tenantId: string, status: string): string {
    return `${this.t(tenantId)}:calls:status:${status}`;
  }
  crmObject(tenantId: string, type: string, id: string): string {
    return `${this.t(tenantId)}:crm:${type}:${id}`;
  }
  /**
   * Calls waiting for a CRM object that is not stored yet (a reference or link with record
   * null), scored by when each call first waited (ms): the late-resolution reverse index.
   */
  crmWaiting(tenantId: string, type: string, id: string): string {
    return `${this.t(tenantId)}:crm-waiting:${type}:${id}`;
  }
  /**
   * Pipeline metrics (metrics-repository.ts), per tenant so that the transition's script that
   * counts them stays in the tenant's slot; readers add the tenants up.
   */
  metricsRejections(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:rejections`;
  }
  metricsRejectedRows(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:rejected-rows`;
  }
  metricsFailures(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:failures`;
  }
  metricsStages(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:stages`;
  }
  /** A tenant's file outcomes (`<outcome>` -> count). */
  metricsTenantFiles(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:files`;
  }
  /** The newest upload the tenant's versions came from (seen time, ms). */
  metricsTenantLastUpload(tenantId: string): string {
    return `${this.t(tenantId)}:metrics:last-upload`;
  }
  lock(tenantId: string, scope: string): string {
    return `${this.t(tenantId)}:lock:${scope}`;
  }
}
