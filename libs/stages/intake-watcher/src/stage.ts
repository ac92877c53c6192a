// The intake-watcher service: scans each tenant's upload area and hands settled files on. Scans
// are serialised per tenant by a lock, so replicas share tenants; one is enough for most fleets.
import { defineStage } from '@callintake/runtime';
import { handleScanSource, requestScan, scheduleScans } from './scan-handler';
import { watchLocalSources } from './local-watch';

export const intakeWatcherStage = defineStage({
  name: 'intake-watcher',
  description: 'lists tenants’ upload areas, waits for files to settle, records and enqueues each version',
  consumes: ['intake-scan'],
  replicas: { min: 1, max: 1 },
  handlers: (deps) => ({
    'intake-scan': {
      'scan-source': async (payload, context) => {
        await handleScanSource(deps, payload, context);
      },
    },
  }),
  async onStart(runtime) {
    const tenants = [...runtime.tenants.values()];
    await scheduleScans(runtime.producer, tenants);
    for (const tenant of tenants) await requestScan(runtime.producer, tenant, 0, runtime.state.clock.now());
    const unwatch = watchLocalSources(tenants, runtime.producer, runtime.state.clock, runtime.logger);
    return { stop: unwatch };
  },
});
