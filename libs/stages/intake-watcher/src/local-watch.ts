// File events for local sources, so uploads are noticed at once instead of at the next poll.
// Events only request a scan; the scan decides, so a missed or duplicated event is harmless.
import { lstatSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { JobProducer } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import type { Clock } from '@callintake/state';
import type { Logger } from '@callintake/telemetry';
import { DATA_DIR } from '@callintake/asset-lifecycle';
import { requestScan, scanRestMs } from './scan-handler';

/** File events within this long of the first one share one scan request. */
const EVENT_DEBOUNCE_MS = 100;

export function watchLocalSources(
  tenants: TenantConfig[],
  producer: Pick<JobProducer, 'add'>,
  clock: Clock,
  logger: Logger,
): () => void {
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  for (const tenant of tenants) {
    if (tenant.source.kind !== 'local') continue;
    const dir = join(tenant.source.root, DATA_DIR);
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (timers.has(tenant.id)) return;
        // A file leaving data/ (moved to processed/ or rejected/ by a worker, or deleted) brings
        // nothing to take: under a burst those events alone would rescan the backlog every
        // 100 ms while workers drain it. Anything else, and an event without a name, asks.
        if (name && isGone(join(dir, name.toString()))) return;
        // Under a burst, after the last scan's rest (scanRestMs): the next scan takes all
        // that arrived meanwhile.
        const delayMs = Math.max(EVENT_DEBOUNCE_MS, scanRestMs(tenant.id, Date.now()));
        timers.set(
          tenant.id,
          setTimeout(() => {
            timers.delete(tenant.id);
            requestScan(producer, tenant, 0, clock.now()).catch((error: unknown) =>
              logger.warn({ tenant: tenant.id, err: error }, 'could not request a scan after a file event'),
            );
          }, delayMs),
        );
      });
      watcher.on('error', (error) =>
        logger.warn({ tenant: tenant.id, err: error }, 'file watch failed; periodic scans continue'),
      );
      watchers.push(watcher);
    } catch (error) {
      logger.warn(
        { tenant: tenant.id, dir, err: error },
        'cannot watch the upload folder; periodic scans continue',
      );
    }
  }
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}

/** Whether nothing is at `path` now (a look only: the scan decides what an entry is). */
function isGone(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
