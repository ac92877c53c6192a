// Every stage, by service name: for what runs them all (`ingest up` and `demo`, the e2e tests,
// the benchmarks) and what describes them all (gen-k8s, check-k8s). A service's own app imports
// only its stage, never this.
import { crmIngesterStage } from '@callintake/crm-ingester';
import { intakeWatcherStage } from '@callintake/intake-watcher';
import { matcherStage } from '@callintake/matcher';
import { mediaProberStage } from '@callintake/media-prober';
import { metadataParserStage } from '@callintake/metadata-parser';
import { retentionStage } from '@callintake/retention';
import {
  SERVICE_NAMES,
  startStage,
  type RunningService,
  type Runtime,
  type ServiceName,
  type AnyStageDefinition,
} from '@callintake/runtime';
import { statusApiStage } from '@callintake/status-api';

export const STAGES: { readonly [N in ServiceName]: AnyStageDefinition } = {
  'intake-watcher': intakeWatcherStage,
  'media-prober': mediaProberStage,
  'metadata-parser': metadataParserStage,
  'crm-ingester': crmIngesterStage,
  matcher: matcherStage,
  retention: retentionStage,
  'status-api': statusApiStage,
};

/** In SERVICE_NAMES order: the order `ingest up` starts them in. */
export const ALL_STAGES: readonly AnyStageDefinition[] = SERVICE_NAMES.map((name) => STAGES[name]);

export function startService(
  name: ServiceName,
  runtime: Runtime,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningService> {
  return startStage(STAGES[name], runtime, options);
}
