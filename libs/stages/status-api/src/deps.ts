// What the status API reads and writes, handed in by whoever builds it (the stage, tests, e2e).
import type { TokenScope } from '@callintake/config';
import type { JobProducer } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import type { Logger } from '@callintake/telemetry';

export interface StatusApiDeps {
  state: StateStore;
  producer: JobProducer;
  tokens: Map<string, TokenScope>;
  tenants: Map<string, TenantConfig>;
  logger?: boolean;
  /** Where the access log goes (one line per request); none, no access log. */
  accessLog?: Logger;
}
