// Another go for a file that failed or was rejected, after a fix (a tenant's mapping corrected, a
// broken archive mended): the status API's `POST …/files/{file}/retry` and `ingest retry` both
// come here. The version goes back to pending and its job is queued under a new id (suffix
// `r<n>`), so the failed job BullMQ keeps for 14 days never blocks it. Idempotent: asking again
// while the retry is still pending queues the same job id, which BullMQ ignores.
import { jobOptions, type JobProducer } from '@callintake/queues';
import type { Asset, AssetKind, AssetState, AssetVersion } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import { transitionVersion } from './transitions';

/** The job that processes each kind of file; `unknown` files have none. */
export const JOB_FOR_KIND = {
  recording: 'probe-recording',
  'call-metadata': 'parse-metadata',
  'crm-batch': 'ingest-crm-batch',
} as const satisfies Record<Exclude<AssetKind, 'unknown'>, string>;

export type RetryOutcome =
  | { status: 'queued'; asset: Asset; version: AssetVersion }
  | { status: 'not-found' }
  | { status: 'not-retryable'; state: AssetState; message: string };

export interface RetryDeps {
  state: StateStore;
  producer: Pick<JobProducer, 'add'>;
}

export async function retryFile(deps: RetryDeps, tenantId: string, fileName: string): Promise<RetryOutcome> {
  const asset = await deps.state.assets.get(tenantId, fileName);
  const latest = asset?.versions.at(-1);
  if (!asset || !latest) return { status: 'not-found' };
  if (asset.kind === 'unknown') {
    return {
      status: 'not-retryable',
      state: latest.state,
      message: `${fileName} is not a kind of file we process (${latest.reason?.code ?? 'unknown'}); upload it again under a supported name`,
    };
  }
  const stillQueued = latest.state === 'pending' && (latest.retries ?? 0) > 0;
  if (latest.state !== 'failed' && latest.state !== 'rejected' && !stillQueued) {
    return {
      status: 'not-retryable',
      state: latest.state,
      message: `only a failed or rejected file can be retried; version ${latest.number} of ${fileName} is ${latest.state}`,
    };
  }
  const ref = { tenantId, fileName, versionId: latest.versionId };
  const retried = stillQueued
    ? asset
    : await transitionVersion(deps.state, ref, 'retry', { retries: (latest.retries ?? 0) + 1 });
  const version = retried.versions.find((v) => v.versionId === latest.versionId) as AssetVersion;
  const name = JOB_FOR_KIND[asset.kind];
  await deps.producer.add(name, ref, jobOptions.assetVersion(name, ref, version.retries));
  return { status: 'queued', asset: retried, version };
}
