// The retention service: an hourly sweep per tenant (a scheduler: one replica).
import { jobOptions } from '@callintake/queues';
import { defineStage } from '@callintake/runtime';
import { handleSweepTenant } from './sweep';

const RETENTION_SWEEP_MS = 60 * 60_000;

export const retentionStage = defineStage({
  name: 'retention',
  description: 'purges upload-area files after purgeAfterDays and expires recordings that waited too long',
  consumes: ['retention'],
  replicas: { min: 1, max: 1 },
  handlers: (deps) => ({
    retention: {
      'sweep-tenant': async (payload, context) => {
        await handleSweepTenant(deps, payload, context);
      },
    },
  }),
  async onStart(runtime) {
    for (const tenant of runtime.tenants.values()) {
      await runtime.producer.schedule(
        jobOptions.sweepScheduler(tenant.id),
        'sweep-tenant',
        { tenantId: tenant.id },
        RETENTION_SWEEP_MS,
      );
    }
  },
});
