// The matcher service as its own process (one container per service on Kubernetes).
// It composes its own stage only, so its bundle holds only what it runs.
import { runServiceMain } from '@callintake/runtime';
import { matcherStage } from '@callintake/matcher';

await runServiceMain(matcherStage);
