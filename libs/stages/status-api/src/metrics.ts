// Prometheus text for SREs: per-queue jobs by state, the backlog autoscalers should read
// (waiting + prioritized: BullMQ keeps prioritized jobs out of the wait list), the age of the
// oldest waiting job (the signal of a silent stall), rejections by reason, and stage latencies.
// The status API is its own process, so everything pipeline-wide is read from Redis: queue
// counts from BullMQ, counters and histograms from what the workers record (MetricsRepository).
// Per tenant (for the alerts in README "Runbook"): file outcomes, the newest upload and the
// upload interval the tenants file expects; and whether Redis would evict keys.
//
// Every series is the same whichever status-api replica serves it (all read one Redis), so
// queries aggregate replicas with max(), never sum().
import { QUEUE_NAMES, type JobProducer } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { STAGE_BUCKETS_SECONDS, TENANT_OUTCOMES, type MetricsRepository } from '@callintake/state';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
/** Jobs looked at per list for the oldest one; prioritized jobs are ordered by priority, not age. */
const OLDEST_SAMPLE = 50;

type Labels = Record<string, string>;

/** Label values are escaped as the text format asks (backslash, quote, newline). */
function labels(values: Labels): string {
  const pairs = Object.entries(values).map(
    ([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/** One metric family: its HELP and TYPE lines, then its samples. */
export class Family {
  readonly lines: string[];
  constructor(
    readonly name: string,
    type: 'gauge' | 'counter' | 'histogram',
    help: string,
  ) {
    this.lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  }
  sample(name: string, values: Labels, value: number | string): void {
    this.lines.push(`${name}${labels(values)} ${value}`);
  }
}

export interface RenderOptions {
  /**
   * The configured tenants: the counters are theirs (each tenant's live in its own keys), each
   * gets its outcome counters from 0 (so a first failure is an increase), its last upload and,
   * with `expectUploadsEvery`, its expected interval. A tenant taken out of the tenants file
   * leaves the export with its counters.
   */
  tenants: Iterable<TenantConfig>;
  now?: number;
}

export async function renderMetrics(
  producer: JobProducer,
  metrics: MetricsRepository,
  { tenants: configured, now = Date.now() }: RenderOptions,
): Promise<string> {
  const tenants = [...configured];
  const tenantIds = tenants.map((tenant) => tenant.id);
  const jobs = new Family('callintake_queue_jobs', 'gauge', 'Jobs per queue and state.');
  const backlog = new Family(
    'callintake_queue_backlog',
    'gauge',
    'Jobs waiting to run (waiting + prioritized): what to scale workers on.',
  );
  const oldest = new Family(
    'callintake_queue_oldest_waiting_seconds',
    'gauge',
    'Age of the oldest job waiting to run (0 when none).',
  );
  const perQueue = await Promise.all(
    QUEUE_NAMES.map(async (name) => {
      const queue = producer.queue(name);
      const [counts, sample] = await Promise.all([
        queue.getJobCounts(...STATES),
        queue.getJobs(['waiting', 'prioritized'], 0, OLDEST_SAMPLE - 1, true),
      ]);
      return { name, counts, sample };
    }),
  );
  for (const { name, counts, sample } of perQueue) {
    for (const state of STATES)
      jobs.sample('callintake_queue_jobs', { queue: name, state }, counts[state] ?? 0);
    backlog.sample(
      'callintake_queue_backlog',
      { queue: name },
      (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
    );
    const first = Math.min(...sample.map((job) => job.timestamp).filter((t) => Number.isFinite(t)));
    oldest.sample(
      'callintake_queue_oldest_waiting_seconds',
      { queue: name },
      Number.isFinite(first) ? Math.max(0, (now - first) / 1000).toFixed(3) : 0,
    );
  }

  const pipeline = await metrics.read(tenantIds);
  const rejections = new Family(
    'callintake_rejections_total',
    'counter',
    'Uploaded file versions rejected, by asset kind and reason code.',
  );
  for (const { kind, reason, count } of pipeline.rejections)
    rejections.sample('callintake_rejections_total', { kind, reason }, count);
  const failures = new Family(
    'callintake_files_failed_total',
    'counter',
    'File versions we could not process after all attempts (state failed), by kind (the stage that failed).',
  );
  for (const { kind, count } of pipeline.failures)
    failures.sample('callintake_files_failed_total', { kind }, count);
  const rejectedRows = new Family(
    'callintake_rejected_rows_total',
    'counter',
    'Rows of batch files rejected while the rest of the file was accepted, by asset kind and reason code.',
  );
  for (const { kind, reason, count } of pipeline.rejectedRows)
    rejectedRows.sample('callintake_rejected_rows_total', { kind, reason }, count);

  const tenantFiles = new Family(
    'callintake_tenant_files_total',
    'counter',
    'File versions per tenant by how they ended: processed, rejected or failed (after all attempts).',
  );
  const counted = new Map(pipeline.tenantFiles.map((row) => [`${row.tenant}\n${row.outcome}`, row.count]));
  for (const tenant of [...tenantIds].sort())
    for (const outcome of TENANT_OUTCOMES)
      tenantFiles.sample(tenantFiles.name, { tenant, outcome }, counted.get(`${tenant}\n${outcome}`) ?? 0);

  const [lastUploads, policy] = await Promise.all([metrics.lastUploads(tenantIds), metrics.evictionPolicy()]);
  const lastUpload = new Family(
    'callintake_tenant_last_upload_timestamp_seconds',
    'gauge',
    'When the newest file version of the tenant was first seen (Unix time); absent before its first upload.',
  );
  for (const { tenant, seconds } of lastUploads)
    lastUpload.sample(lastUpload.name, { tenant }, Number(seconds.toFixed(3)));
  const expected = new Family(
    'callintake_tenant_expected_upload_interval_seconds',
    'gauge',
    'The upload interval the tenants file expects of the tenant (expectUploadsEvery); absent when it expects none.',
  );
  for (const tenant of tenants ?? [])
    if (tenant.expectUploadsEvery !== undefined)
      expected.sample(expected.name, { tenant: tenant.id }, tenant.expectUploadsEvery);
  const evictionSafe = new Family(
    'callintake_redis_maxmemory_policy_ok',
    'gauge',
    'Redis never evicts keys (maxmemory-policy noeviction): 1, else 0; the label says which policy (unknown: INFO refused).',
  );
  evictionSafe.sample(evictionSafe.name, { policy: policy ?? 'unknown' }, policy === 'noeviction' ? 1 : 0);

  const name = 'callintake_stage_duration_seconds';
  const stages = new Family(
    name,
    'histogram',
    'Pipeline stage latency: seen_to_captured (per asset kind), captured_to_ready and seen_to_ready (per call, from its last file).',
  );
  for (const histogram of pipeline.stages) {
    const base = { stage: histogram.stage, kind: histogram.kind };
    STAGE_BUCKETS_SECONDS.forEach((bound, index) =>
      stages.sample(`${name}_bucket`, { ...base, le: String(bound) }, histogram.buckets[index] ?? 0),
    );
    stages.sample(`${name}_bucket`, { ...base, le: '+Inf' }, histogram.count);
    stages.sample(`${name}_sum`, base, Number(histogram.sumSeconds.toFixed(6)));
    stages.sample(`${name}_count`, base, histogram.count);
  }

  return (
    [
      jobs,
      backlog,
      oldest,
      rejections,
      failures,
      rejectedRows,
      tenantFiles,
      lastUpload,
      expected,
      evictionSafe,
      stages,
    ]
      .flatMap((family) => family.lines)
      .join('\n') + '\n'
  );
}
