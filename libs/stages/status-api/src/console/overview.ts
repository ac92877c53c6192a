// GET /v1/tenants/:tenant/overview: one tenant at a glance, for the console's first page. Counts
// come from the state indexes (one ZCARD per state or status); rejections by reason from the
// newest rejected files, which is where a customer's current problem shows.
import { ASSET_STATES, CALL_STATUSES, type AssetState, type CallStatus } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';

/** Rejected files read for the reason counts, newest first. */
export const REJECTED_SAMPLE = 500;

export interface TenantOverview {
  tenant: string;
  filesByState: Record<AssetState, number>;
  /** Reason codes of the newest `rejectedSampled` rejected files, most frequent first. */
  rejectionsByReason: Array<{ code: string; count: number }>;
  rejectedSampled: number;
  callsByStatus: Record<CallStatus, number>;
  /** When the tenant's newest file version was first seen; null before its first upload. */
  lastUploadAt: string | null;
}

export async function tenantOverview(state: StateStore, tenantId: string): Promise<TenantOverview> {
  const { redis, keys } = state;
  const [fileCounts, callCounts, rejected, lastUploads] = await Promise.all([
    Promise.all(ASSET_STATES.map((s) => redis.zcard(keys.assetStateIndex(tenantId, s)))),
    Promise.all(CALL_STATUSES.map((s) => redis.zcard(keys.callStatusIndex(tenantId, s)))),
    state.assets.list(tenantId, { state: 'rejected', limit: REJECTED_SAMPLE }),
    state.metrics.lastUploads([tenantId]),
  ]);
  const reasons = new Map<string, number>();
  for (const asset of rejected.items) {
    const code = asset.reason?.code ?? 'unknown';
    reasons.set(code, (reasons.get(code) ?? 0) + 1);
  }
  const lastUpload = lastUploads[0];
  return {
    tenant: tenantId,
    filesByState: Object.fromEntries(ASSET_STATES.map((s, i) => [s, fileCounts[i] ?? 0])) as Record<
      AssetState,
      number
    >,
    rejectionsByReason: [...reasons]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    rejectedSampled: rejected.items.length,
    callsByStatus: Object.fromEntries(CALL_STATUSES.map((s, i) => [s, callCounts[i] ?? 0])) as Record<
      CallStatus,
      number
    >,
    lastUploadAt: lastUpload ? new Date(lastUpload.seconds * 1000).toISOString() : null,
  };
}
