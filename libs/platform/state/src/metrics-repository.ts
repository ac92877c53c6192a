// Pipeline metrics that outlive a process: the status API is a separate process from the
// workers, so what it exports must live in Redis. Counters and histograms are hash fields,
// incremented inside the same Lua script that makes the state transition they count (an asset
// version becoming rejected or processed, a call first becoming ready). A transition happens
// once, so a retried or redelivered job never counts twice, and no count is lost to a crash
// between "done" and "counted". Labels are reason codes, asset kinds, stages and, for the few
// per-tenant series the alerts need (file outcomes, last upload), tenant ids: tenants are tens,
// not thousands. Never file names, so the series stay few. Each tenant's counters live in the
// tenant's own keys (one slot on Redis Cluster, with the rest of the transition's keys); a read
// adds up the tenants it is given.
import { readEvictionPolicy, type RedisClient } from './redis-client';
import type { IndexOp } from './cas';
import type { Keys } from './keys';

/** Upper bounds (seconds) of the latency buckets; +Inf is implied. Upload areas settle in seconds. */
export const STAGE_BUCKETS_SECONDS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400,
] as const;

/**
 * `seen_to_captured`: a version first seen → its content captured (per asset kind).
 * `captured_to_ready`: the last of a call's files captured → the call first ready (matching).
 * `seen_to_ready`: the last of a call's files first seen → the call first ready (end to end).
 */
export const STAGES = ['seen_to_captured', 'captured_to_ready', 'seen_to_ready'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageHistogram {
  stage: Stage;
  kind: string;
  /** Cumulative counts, one per bound of STAGE_BUCKETS_SECONDS. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

export interface PipelineMetrics {
  /** Asset versions rejected, by kind and reason code. */
  rejections: Array<{ kind: string; reason: string; count: number }>;
  /** Rows of batch files (metadata, CRM) rejected while the rest of the file was accepted. */
  rejectedRows: Array<{ kind: string; reason: string; count: number }>;
  /** Asset versions that ended `failed`, by kind. */
  failures: Array<{ kind: string; count: number }>;
  /** File versions per tenant by how they ended (processed, rejected, failed). */
  tenantFiles: Array<{ tenant: string; outcome: TenantOutcome; count: number }>;
  stages: StageHistogram[];
}

/** How a file version ended, counted per tenant: the rejection rate and failures per tenant. */
export const TENANT_OUTCOMES = ['processed', 'rejected', 'failed'] as const;
export type TenantOutcome = (typeof TENANT_OUTCOMES)[number];

const SEPARATOR = '|';

/** An increment of the rejection counter, to run inside the transition's script. */
export function rejectionOps(keys: Keys, tenantId: string, kind: string, reason: string): IndexOp[] {
  return [
    { op: 'HINCRBY', key: keys.metricsRejections(tenantId), field: `${kind}${SEPARATOR}${reason}`, by: 1 },
  ];
}

/** An increment of the failed-files counter (by kind, i.e. by the stage that failed). */
export function failureOps(keys: Keys, tenantId: string, kind: string): IndexOp[] {
  return [{ op: 'HINCRBY', key: keys.metricsFailures(tenantId), field: kind, by: 1 }];
}

/** One more version of the tenant's that ended `outcome` (inside the transition's script). */
export function tenantOutcomeOps(keys: Keys, tenantId: string, outcome: TenantOutcome): IndexOp[] {
  return [{ op: 'HINCRBY', key: keys.metricsTenantFiles(tenantId), field: outcome, by: 1 }];
}

/**
 * Notes an upload of the tenant's, seen at `seenAtMs`: written when a version first leaves
 * `pending`, which every version does once, shortly after it was seen (taken, rejected at
 * intake, superseded or vanished). A version that leaves `pending` late (a long backlog) can set
 * the time back by its wait; the reader also takes the newest asset's first-seen time.
 */
export function tenantUploadOps(keys: Keys, tenantId: string, seenAtMs: number): IndexOp[] {
  if (!Number.isFinite(seenAtMs)) return [];
  return [{ op: 'ZADD', key: keys.metricsTenantLastUpload(tenantId), score: seenAtMs, member: tenantId }];
}

export function rejectedRowOps(
  keys: Keys,
  tenantId: string,
  kind: string,
  reasons: Record<string, number>,
): IndexOp[] {
  return Object.entries(reasons)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => ({
      op: 'HINCRBY',
      key: keys.metricsRejectedRows(tenantId),
      field: `${kind}${SEPARATOR}${reason}`,
      by: count,
    }));
}

/** One observation of a stage's duration; negative durations (clock skew between hosts) count as 0. */
export function stageOps(
  keys: Keys,
  tenantId: string,
  stage: Stage,
  kind: string,
  seconds: number,
): IndexOp[] {
  if (!Number.isFinite(seconds)) return [];
  const value = Math.max(0, seconds);
  const bucket = STAGE_BUCKETS_SECONDS.findIndex((bound) => value <= bound);
  const prefix = `${stage}${SEPARATOR}${kind}${SEPARATOR}`;
  const key = keys.metricsStages(tenantId);
  return [
    { op: 'HINCRBY', key, field: `${prefix}${bucket === -1 ? 'inf' : `b${bucket}`}`, by: 1 },
    { op: 'HINCRBY', key, field: `${prefix}count`, by: 1 },
    { op: 'HINCRBYFLOAT', key, field: `${prefix}sum`, by: Number(value.toFixed(6)) },
  ];
}

/** The fields of the tenants' hashes, added up. */
function sumHashes(hashes: Array<Record<string, string>>): Record<string, string> {
  const sums = new Map<string, number>();
  for (const hash of hashes)
    for (const [field, value] of Object.entries(hash))
      sums.set(field, (sums.get(field) ?? 0) + Number(value));
  return Object.fromEntries([...sums].map(([field, value]) => [field, String(value)]));
}

function counters(raw: Record<string, string>) {
  return Object.entries(raw)
    .map(([field, count]) => {
      const [kind = '', reason = ''] = field.split(SEPARATOR);
      return { kind, reason, count: Number(count) };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.reason.localeCompare(b.reason));
}

export class MetricsRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** The counters of these tenants (the configured ones), added up; tenant files per tenant. */
  async read(tenantIds: readonly string[]): Promise<PipelineMetrics> {
    const tenants = [...new Set(tenantIds)];
    const all = (key: (tenantId: string) => string) =>
      Promise.all(tenants.map((tenant) => this.redis.hgetall(key(tenant))));
    const [rejections, rejectedRows, stages, failures, files] = await Promise.all([
      all((tenant) => this.keys.metricsRejections(tenant)).then(sumHashes),
      all((tenant) => this.keys.metricsRejectedRows(tenant)).then(sumHashes),
      all((tenant) => this.keys.metricsStages(tenant)).then(sumHashes),
      all((tenant) => this.keys.metricsFailures(tenant)).then(sumHashes),
      all((tenant) => this.keys.metricsTenantFiles(tenant)),
    ]);
    const tenantFiles = Object.fromEntries(
      files.flatMap((hash, index) =>
        Object.entries(hash).map(([outcome, count]) => [`${tenants[index]}${SEPARATOR}${outcome}`, count]),
      ),
    );
    const histograms = new Map<string, StageHistogram>();
    for (const [field, raw] of Object.entries(stages)) {
      const [stage, kind = '', part = ''] = field.split(SEPARATOR);
      if (!(STAGES as readonly string[]).includes(stage as string)) continue;
      const id = `${stage}${SEPARATOR}${kind}`;
      let histogram = histograms.get(id);
      if (!histogram) {
        histogram = {
          stage: stage as Stage,
          kind,
          buckets: STAGE_BUCKETS_SECONDS.map(() => 0),
          count: 0,
          sumSeconds: 0,
        };
        histograms.set(id, histogram);
      }
      const value = Number(raw);
      if (part === 'count') histogram.count = value;
      else if (part === 'sum') histogram.sumSeconds = value;
      else if (part.startsWith('b')) {
        // Stored per bucket; Prometheus buckets are cumulative.
        const index = Number(part.slice(1));
        for (let i = index; i < histogram.buckets.length; i++)
          histogram.buckets[i] = (histogram.buckets[i] ?? 0) + value;
      }
    }
    return {
      rejections: counters(rejections),
      rejectedRows: counters(rejectedRows),
      failures: Object.entries(failures)
        .map(([kind, count]) => ({ kind, count: Number(count) }))
        .sort((a, b) => a.kind.localeCompare(b.kind)),
      tenantFiles: counters(tenantFiles).flatMap(({ kind: tenant, reason: outcome, count }) =>
        (TENANT_OUTCOMES as readonly string[]).includes(outcome)
          ? [{ tenant, outcome: outcome as TenantOutcome, count }]
          : [],
      ),
      stages: [...histograms.values()].sort(
        (a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || a.kind.localeCompare(b.kind),
      ),
    };
  }
  /**
   * Each tenant's newest upload (epoch seconds): the later of the newest version noted by
   * tenantUploadOps and the first-seen time of its newest asset (the per-tenant asset index is
   * scored by it), for these tenants (the configured ones). A tenant with no upload yet is left out.
   */
  async lastUploads(tenantIds: readonly string[]): Promise<Array<{ tenant: string; seconds: number }>> {
    const tenants = [...new Set(tenantIds)];
    const newest = await Promise.all(
      tenants.map((tenant) =>
        Promise.all([
          this.redis.zscore(this.keys.metricsTenantLastUpload(tenant), tenant),
          this.redis.zrange(this.keys.assetIndex(tenant), -1, -1, 'WITHSCORES'),
        ]),
      ),
    );
    return tenants
      .map((tenant, index) => {
        const [noted, asset] = newest[index] ?? [null, []];
        const scores = [Number(noted ?? Number.NaN), Number(asset[1] ?? Number.NaN)].filter(Number.isFinite);
        return { tenant, seconds: Math.max(...scores) / 1000 };
      })
      .filter(({ seconds }) => Number.isFinite(seconds))
      .sort((a, b) => a.tenant.localeCompare(b.tenant));
  }

  /** Redis's maxmemory-policy (readEvictionPolicy); anything but noeviction loses jobs under pressure. */
  evictionPolicy(): Promise<string | undefined> {
    return readEvictionPolicy(this.redis);
  }
}
