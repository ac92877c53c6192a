// The status-api service as its own process (one container per service on Kubernetes).
import { runServiceMain } from '@callintake/runtime';

await runServiceMain('status-api');
