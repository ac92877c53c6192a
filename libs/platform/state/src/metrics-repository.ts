// Pipeline metrics that outlive a process: the status API is a separate process from the
// workers, so what it exports must live in Redis. Counters and histograms are hash fields,
// incremented inside the same Lua script that makes the state transition they count (an asset
// version becoming rejected or processed, a call first becoming ready). A transition happens
// once, so a retried or redelivered job never counts twice, and no count is lost to a crash
// between "done" and "counted". Tenant-agnostic by design: labels are reason codes, asset kinds
// and stages, never tenant ids or file names, so the series stay few.
import type { Redis } from 'ioredis';
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
  stages: StageHistogram[];
}

const SEPARATOR = '|';

/** An increment of the rejection counter, to run inside the transition's script. */
export function rejectionOps(keys: Keys, kind: string, reason: string): IndexOp[] {
  return [{ op: 'HINCRBY', key: keys.metricsRejections(), field: `${kind}${SEPARATOR}${reason}`, by: 1 }];
}

/** An increment of the failed-files counter (by kind, i.e. by the stage that failed). */
export function failureOps(keys: Keys, kind: string): IndexOp[] {
  return [{ op: 'HINCRBY', key: keys.metricsFailures(), field: kind, by: 1 }];
}

export function rejectedRowOps(keys: Keys, kind: string, reasons: Record<string, number>): IndexOp[] {
  return Object.entries(reasons)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => ({
      op: 'HINCRBY',
      key: keys.metricsRejectedRows(),
      field: `${kind}${SEPARATOR}${reason}`,
      by: count,
    }));
}

/** One observation of a stage's duration; negative durations (clock skew between hosts) count as 0. */
export function stageOps(keys: Keys, stage: Stage, kind: string, seconds: number): IndexOp[] {
  if (!Number.isFinite(seconds)) return [];
  const value = Math.max(0, seconds);
  const bucket = STAGE_BUCKETS_SECONDS.findIndex((bound) => value <= bound);
  const prefix = `${stage}${SEPARATOR}${kind}${SEPARATOR}`;
  const key = keys.metricsStages();
  return [
    { op: 'HINCRBY', key, field: `${prefix}${bucket === -1 ? 'inf' : `b${bucket}`}`, by: 1 },
    { op: 'HINCRBY', key, field: `${prefix}count`, by: 1 },
    { op: 'HINCRBYFLOAT', key, field: `${prefix}sum`, by: Number(value.toFixed(6)) },
  ];
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
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async read(): Promise<PipelineMetrics> {
    const [rejections, rejectedRows, stages, failures] = await Promise.all([
      this.redis.hgetall(this.keys.metricsRejections()),
      this.redis.hgetall(this.keys.metricsRejectedRows()),
      this.redis.hgetall(this.keys.metricsStages()),
      this.redis.hgetall(this.keys.metricsFailures()),
    ]);
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
      stages: [...histograms.values()].sort(
        (a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || a.kind.localeCompare(b.kind),
      ),
    };
  }
}
