// The crm-ingester service as its own process (one container per service on Kubernetes).
// It composes its own stage only, so its bundle holds only what it runs.
import { runServiceMain } from '@callintake/runtime';
import { crmIngesterStage } from '@callintake/crm-ingester';

await runServiceMain(crmIngesterStage);
