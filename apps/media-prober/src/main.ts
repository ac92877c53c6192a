// The media-prober service as its own process (one container per service on Kubernetes).
import { runServiceMain } from '@callintake/runtime';

await runServiceMain('media-prober');
