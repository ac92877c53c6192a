// The `scan-source` job: one tenant's scan, serialised per tenant across replicas, and a
// follow-up scan when files are still settling so they are taken as soon as they may be.
import { jobOptions, PermanentJobError, type JobContext, type JobProducer } from '@callintake/queues';
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
    () => scanSource({ tenant, area, state: deps.state, producer: deps.producer, logger: context.logger }),
    { waitMs: SCAN_LOCK_WAIT_MS },
  );
  if (summary.settling > 0)
    await requestScan(deps.producer, tenant, tenant.settleSeconds * 1000 + 250, deps.state.clock.now());
  if (summary.enqueued || summary.rejected || summary.errors)
    context.logger.info({ tenant: tenant.id, ...summary }, 'scan finished');
  return summary;
}

/**
 * Asks for a scan soon. Request jobs are dropped once done, so their ids dedupe only while a
 * scan is still pending and never swallow a later request.
 */
export async function requestScan(
  producer: JobProducer,
  tenant: TenantConfig,
  delayMs: number,
  now: Date,
): Promise<void> {
  await producer.add(
    'scan-source',
    { tenantId: tenant.id },
    jobOptions.scanRequest(tenant.id, now.getTime() + delayMs, delayMs),
  );
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
