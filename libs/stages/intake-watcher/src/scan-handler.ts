// The `scan-source` job: one tenant's scan, serialised per tenant across replicas, and a
// follow-up scan when files are still settling so they are taken as soon as they may be.
import {
  jobOptions,
  PermanentJobError,
  SCAN_REQUEST_WINDOW_MS,
  type JobContext,
  type JobProducer,
} from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import type { UploadArea } from '@callintake/storage';
import { scanSource, type ScanSummary } from './scan';

export interface IntakeDeps {
  state: StateStore;
  producer: JobProducer;
  tenant(tenantId: string): TenantConfig | undefined;
  uploadArea(tenant: TenantConfig): UploadArea;
}

/** A scan of 100,000 files takes a while; the lock is renewed meanwhile, so waiting this long is fine. */
const SCAN_LOCK_WAIT_MS = 5 * 60_000;

/** The longest a file event's scan waits for the last scan's rest (scanRestMs). */
const MAX_SCAN_REST_MS = 2_000;
/** Scans quicker than this (a small upload area, a steady trickle) need no rest. */
const REST_AFTER_SCANS_OVER_MS = 200;

/** When each tenant's last scan in this process started and ended, and how long it took. */
const scanTimes = new Map<string, { startedAt: number; endedAt?: number; tookMs: number }>();

/**
 * How long a scan asked for by a file event should wait: a scan lists every file still in data/,
 * so under a burst each one takes longer, and back to back they would keep the service busy
 * listing the same backlog. After a scan, the next waits as long as that one took (at most
 * MAX_SCAN_REST_MS): scanning takes at most about half the service's time. After a scan quicker
 * than REST_AFTER_SCANS_OVER_MS (a small upload area, a steady trickle) nothing waits. Periodic
 * and settle scans never wait.
 */
export function scanRestMs(tenantId: string, nowMs: number): number {
  const times = scanTimes.get(tenantId);
  if (!times || times.tookMs < REST_AFTER_SCANS_OVER_MS) return 0;
  // One running now is expected to take as long as the last one.
  const end = times.endedAt ?? times.startedAt + times.tookMs;
  return Math.min(MAX_SCAN_REST_MS, Math.max(0, end + times.tookMs - nowMs));
}

export async function handleScanSource(
  deps: IntakeDeps,
  payload: { tenantId: string },
  context: JobContext,
): Promise<ScanSummary> {
  const tenant = deps.tenant(payload.tenantId);
  if (!tenant) throw new PermanentJobError(`unknown tenant ${payload.tenantId}`);
  const area = deps.uploadArea(tenant);
  const summary = await deps.state.lock(
    tenant.id,
    'scan',
    async () => {
      const startedAt = Date.now();
      scanTimes.set(tenant.id, { startedAt, tookMs: scanTimes.get(tenant.id)?.tookMs ?? 0 });
      try {
        return await scanSource({
          tenant,
          area,
          state: deps.state,
          producer: deps.producer,
          logger: context.logger,
        });
      } finally {
        const endedAt = Date.now();
        scanTimes.set(tenant.id, { startedAt, endedAt, tookMs: endedAt - startedAt });
      }
    },
    { waitMs: SCAN_LOCK_WAIT_MS },
  );
  if (summary.settling > 0)
    await requestScan(deps.producer, tenant, tenant.settleSeconds * 1000 + 250, deps.state.clock.now());
  if (summary.enqueued || summary.rejected || summary.errors)
    context.logger.info({ tenant: tenant.id, ...summary }, 'scan finished');
  return summary;
}

/**
 * Asks for a scan soon. Requests due in the same window share one job (its id), so a burst of
 * file events costs one scan. A request is never merged into a scan that has started, which may
 * have listed data/ before the file that asked arrived: a running scan was due by now, so a
 * request is made due in a later window than now's (at most one window later than asked).
 * Request jobs are dropped once done.
 */
export async function requestScan(
  producer: Pick<JobProducer, 'add'>,
  tenant: TenantConfig,
  delayMs: number,
  now: Date,
): Promise<void> {
  const nowMs = now.getTime();
  const dueAtMs = Math.max(nowMs + delayMs, windowEnd(nowMs) + 1);
  await producer.add(
    'scan-source',
    { tenantId: tenant.id },
    jobOptions.scanRequest(tenant.id, dueAtMs, dueAtMs - nowMs),
  );
}

/** The last instant of the request window `atMs` falls in (jobOptions.scanRequest's ids). */
function windowEnd(atMs: number): number {
  return Math.ceil(atMs / SCAN_REQUEST_WINDOW_MS) * SCAN_REQUEST_WINDOW_MS;
}

/** The periodic safety-net scan: every pollSeconds for each tenant. */
export async function scheduleScans(producer: JobProducer, tenants: TenantConfig[]): Promise<void> {
  for (const tenant of tenants) {
    await producer.schedule(
      jobOptions.scanScheduler(tenant.id),
      'scan-source',
      { tenantId: tenant.id },
      tenant.pollSeconds * 1000,
    );
  }
}
