// The crm-ingester service: upserts CRM object rows (its queue is the priority lane's first).
import { defineStage } from '@callintake/runtime';
import { assetJobFailureHook } from '@callintake/asset-lifecycle';
import { handleIngestCrmBatch } from './ingest-handler';

export const crmIngesterStage = defineStage({
  name: 'crm-ingester',
  description: 'streams CRM object CSVs and upserts their rows by tenant, type and id',
  consumes: ['crm-ingest'],
  replicas: { min: 1, max: 20 },
  onJobFailure: (deps) => assetJobFailureHook(deps.state),
  handlers: (deps) => ({
    'crm-ingest': { 'ingest-crm-batch': (payload, context) => handleIngestCrmBatch(deps, payload, context) },
  }),
});
