// The intake-watcher service as its own process (one container per service on Kubernetes).
// It composes its own stage only, so its bundle holds only what it runs.
import { runServiceMain } from '@callintake/runtime';
import { intakeWatcherStage } from '@callintake/intake-watcher';

await runServiceMain(intakeWatcherStage);
