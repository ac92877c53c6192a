// `ingest retry`: another go for failed or rejected files after a fix, e.g. re-judge every
// metadata file rejected with invalid-value once a tenant's field mapping is corrected. The same
// lifecycle call as the status API's `POST …/files/{file}/retry`: new job ids, idempotent.
import { retryFile } from '@callintake/asset-lifecycle';
import { commonEnv, loadEnv } from '@callintake/config';
import {
  JobProducer,
  producerConnection,
  queuePrefix,
  redisSettingsOf,
  waitForReady,
} from '@callintake/queues';
import type { Asset, AssetState } from '@callintake/schemas';
import { StateStore, systemClock } from '@callintake/state';

export const RETRYABLE_STATES = ['failed', 'rejected'] as const;
export type RetryableState = (typeof RETRYABLE_STATES)[number];

export interface RetryOptions {
  tenant: string;
  file?: string;
  state?: RetryableState;
  reason?: string;
  dryRun: boolean;
  env?: NodeJS.ProcessEnv;
  print?: (line: string) => void;
}

/** Exit code: 0 when every chosen file was queued (or would be), 1 when one could not be. */
export async function retry(options: RetryOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const env = loadEnv(commonEnv, options.env ?? process.env);
  const settings = redisSettingsOf(env);
  const redis = producerConnection(settings);
  redis.on('error', () => undefined); // reported by waitForReady
  const state = new StateStore(redis, env.REDIS_NAMESPACE || 'callintake', systemClock);
  const producer = new JobProducer(redis, queuePrefix(settings));
  try {
    await waitForReady(redis);
    const chosen = (await candidates(state, options)).filter(
      (asset) => !options.reason || asset.reason?.code === options.reason,
    );
    let refused = 0;
    for (const asset of chosen) {
      const why = `${asset.state}${asset.reason ? `: ${asset.reason.code}` : ''}`;
      if (options.dryRun) {
        print(`would retry ${asset.name} (${why})`);
        continue;
      }
      const outcome = await retryFile({ state, producer }, options.tenant, asset.name);
      if (outcome.status === 'queued')
        print(`retrying ${asset.name} (${why}): attempt set r${outcome.version.retries}`);
      else {
        refused++;
        print(
          `not retried ${asset.name}: ${outcome.status === 'not-found' ? 'no such file' : outcome.message}`,
        );
      }
    }
    const verb = options.dryRun ? 'would retry' : 'queued';
    print(`${verb} ${chosen.length - refused} of ${chosen.length} file(s) of tenant ${options.tenant}`);
    return refused > 0 || (options.file !== undefined && chosen.length === 0) ? 1 : 0;
  } finally {
    await producer.close();
    redis.disconnect();
  }
}

async function candidates(state: StateStore, options: RetryOptions): Promise<Asset[]> {
  if (options.file !== undefined) {
    const asset = await state.assets.get(options.tenant, options.file);
    if (!asset) return [];
    const wanted: readonly AssetState[] = options.state ? [options.state] : RETRYABLE_STATES;
    // One named file is retried from any retryable state, or reported as it is.
    return wanted.includes(asset.state) || options.state === undefined ? [asset] : [];
  }
  const found: Asset[] = [];
  for (const assetState of options.state ? [options.state] : RETRYABLE_STATES) {
    let cursor: string | undefined;
    do {
      const page = await state.assets.list(options.tenant, {
        state: assetState,
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      found.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return found;
}
