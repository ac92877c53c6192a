import type { RedisClient } from './redis-client';
import type {
  Asset,
  AssetKind,
  AssetState,
  AssetVersion,
  Reason,
  VersionAttempts,
} from '@callintake/schemas';
import { getJson, mutateJson, rememberJson, type IndexOp } from './cas';
import type { Clock } from './clock';
import type { Keys } from './keys';
import {
  failureOps,
  rejectedRowOps,
  rejectionOps,
  stageOps,
  tenantOutcomeOps,
  tenantUploadOps,
} from './metrics-repository';
import { pageOf, type Page, type PageRequest } from './pagination';

export interface SeenVersion {
  versionId: string;
  sizeBytes: number;
  modifiedAt: string;
  etag?: string;
  location: string;
}

/** A named move between version states, and the states it may start from (asset-lifecycle's table). */
export interface VersionTransition {
  name: string;
  from: readonly AssetState[];
  to: AssetState;
}

/**
 * A transition asked of a version in a state it does not apply to: a bug or a race the table
 * rules out, never a customer's doing. Named, so the failed job says which rule refused it.
 */
export class TransitionRefusedError extends Error {
  override readonly name = 'TransitionRefusedError';
  readonly code = 'transition-refused';
  constructor(
    tenantId: string,
    fileName: string,
    version: AssetVersion,
    readonly transition: VersionTransition,
  ) {
    super(
      `${transition.name} refused for ${tenantId}/${fileName} version ${version.number}: it is ${version.state}, and ${transition.name} applies only from ${transition.from.join(', ')}`,
    );
  }
}

/** What a transition records beside the new state. */
export interface VersionUpdate {
  reason?: Reason;
  attempts?: VersionAttempts;
  /** A retry: the new count (its jobs get the id suffix `r<n>`); attempts start over. */
  retries?: number;
  sha256?: string;
  location?: string;
  callIds?: string[];
  warnings?: Reason[];
  /** Rows of a batch file rejected while the rest was accepted, by reason code (counted once). */
  rejectedRows?: Record<string, number>;
}

export class AssetRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly clock: Clock,
  ) {}

  get(tenantId: string, name: string): Promise<Asset | null> {
    return getJson<Asset>(this.redis, this.keys.asset(tenantId, name));
  }

  /** Many assets in one round trip per thousand (a scan's backlog check reads thousands). */
  async getMany(tenantId: string, names: string[]): Promise<Array<Asset | null>> {
    const assets: Array<Asset | null> = [];
    for (let start = 0; start < names.length; start += 1_000) {
      const chunk = names.slice(start, start + 1_000);
      if (chunk.length === 0) break;
      const raws = await this.redis.mget(chunk.map((name) => this.keys.asset(tenantId, name)));
      for (const raw of raws) assets.push(raw === null ? null : (JSON.parse(raw) as Asset));
    }
    return assets;
  }

  /**
   * Records a settled file as a version of its asset. Idempotent: the same version id
   * (size+mtime or ETag) returns the existing version instead of adding one.
   */
  async recordVersion(
    tenantId: string,
    name: string,
    kind: AssetKind,
    seen: SeenVersion,
  ): Promise<{ asset: Asset; version: AssetVersion; created: boolean }> {
    const now = this.clock.now().toISOString();
    // Taken before the write, also for a version that turns out to exist: gaps in the
    // sequence are harmless. The asset is read in the same round trip, for the write below.
    const key = this.keys.asset(tenantId, name);
    const replies = (await this.redis.pipeline().incr(this.keys.seenSeq(tenantId)).get(key).exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const seq = replies[0]?.[1] as number;
    const raw = (replies[1]?.[1] ?? null) as string | null;
    rememberJson(this.redis, key, raw);
    let created = false;
    const { after } = await mutateJson<Asset>(this.redis, key, (current) => {
      const existing = current?.versions.find((v) => v.versionId === seen.versionId);
      created = !existing;
      if (existing) return { next: undefined };
      const asset: Asset = current ?? {
        tenantId,
        name,
        kind,
        state: 'pending',
        warnings: [],
        callIds: [],
        versions: [],
        firstSeenAt: now,
        updatedAt: now,
      };
      const version: AssetVersion = {
        versionId: seen.versionId,
        number: asset.versions.length + 1,
        seq,
        sizeBytes: seen.sizeBytes,
        modifiedAt: seen.modifiedAt,
        ...(seen.etag ? { etag: seen.etag } : {}),
        seenAt: now,
        state: 'pending',
        location: seen.location,
      };
      const next: Asset = {
        ...asset,
        kind,
        state: 'pending',
        versions: [...asset.versions, version],
        updatedAt: now,
      };
      delete next.reason;
      return { next, ops: this.indexOps(current, next) };
    });
    const asset = after as Asset;
    const version = asset.versions.find((v) => v.versionId === seen.versionId) as AssetVersion;
    return { asset, version, created };
  }

  /**
   * Moves one version along a named transition; the asset's own state and reason follow its
   * latest version. The allowed-from check runs on the very document the compare-and-set
   * writes over, so two workers racing cannot both pass it against different states. Only the
   * asset-lifecycle lib calls this (its transition table is the rule).
   */
  async applyTransition(
    tenantId: string,
    name: string,
    versionId: string,
    transition: VersionTransition,
    update: VersionUpdate,
  ): Promise<Asset> {
    const now = this.clock.now().toISOString();
    const { after } = await mutateJson<Asset>(this.redis, this.keys.asset(tenantId, name), (current) => {
      if (!current) throw new Error(`asset ${tenantId}/${name} does not exist`);
      const before = current.versions.find((v) => v.versionId === versionId);
      if (!before) throw new Error(`asset ${tenantId}/${name} has no version ${versionId}`);
      if (!transition.from.includes(before.state))
        throw new TransitionRefusedError(tenantId, name, before, transition);
      const versions = current.versions.map((v) => {
        if (v.versionId !== versionId) return v;
        const updated: AssetVersion = { ...v, state: transition.to };
        if (update.reason) updated.reason = update.reason;
        else delete updated.reason;
        if (update.sha256) updated.sha256 = update.sha256;
        if (update.location) updated.location = update.location;
        if (update.attempts) updated.attempts = update.attempts;
        if (update.retries !== undefined) {
          updated.retries = update.retries;
          delete updated.attempts;
        }
        return updated;
      });
      const latest = versions[versions.length - 1] as AssetVersion;
      const next: Asset = {
        ...current,
        versions,
        state: latest.state,
        callIds: update.callIds ? [...new Set([...current.callIds, ...update.callIds])] : current.callIds,
        warnings: update.warnings ?? current.warnings,
        updatedAt: now,
      };
      if (latest.reason) next.reason = latest.reason;
      else delete next.reason;
      const ops = this.indexOps(current, next);
      ops.push(
        ...this.transitionMetricOps(current.tenantId, current.kind, before, transition.to, update, now),
      );
      return { next, ops };
    });
    return after as Asset;
  }

  /**
   * Counted in the same script as the transition, so a repeated update never counts twice: the
   * pipeline-wide counters by kind and reason, and per tenant its file outcomes and its newest
   * upload (noted when a version first leaves `pending`; a retried version was noted already).
   */
  private transitionMetricOps(
    tenantId: string,
    kind: AssetKind,
    previous: AssetVersion,
    to: AssetState,
    update: VersionUpdate,
    now: string,
  ): IndexOp[] {
    if (previous.state === to) return [];
    const ops: IndexOp[] =
      previous.state === 'pending' && previous.retries === undefined
        ? tenantUploadOps(this.keys, tenantId, Date.parse(previous.seenAt))
        : [];
    if (to === 'rejected' && update.reason)
      ops.push(
        ...rejectionOps(this.keys, tenantId, kind, update.reason.code),
        ...tenantOutcomeOps(this.keys, tenantId, 'rejected'),
      );
    else if (to === 'failed')
      ops.push(...failureOps(this.keys, tenantId, kind), ...tenantOutcomeOps(this.keys, tenantId, 'failed'));
    else if (to === 'processed' && previous.state !== 'purged') {
      const seconds = (Date.parse(now) - Date.parse(previous.seenAt)) / 1000;
      ops.push(
        ...stageOps(this.keys, tenantId, 'seen_to_captured', kind, seconds),
        ...(update.rejectedRows ? rejectedRowOps(this.keys, tenantId, kind, update.rejectedRows) : []),
        ...tenantOutcomeOps(this.keys, tenantId, 'processed'),
      );
    }
    return ops;
  }

  /**
   * Notes a failed attempt of a version still being retried, without touching its state: the
   * status API shows how often it failed and why. A count lower than the one stored is an
   * older, late report and changes nothing.
   */
  async recordAttempt(
    tenantId: string,
    name: string,
    versionId: string,
    attempts: VersionAttempts,
  ): Promise<void> {
    await mutateJson<Asset>(this.redis, this.keys.asset(tenantId, name), (current) => {
      const version = current?.versions.find((v) => v.versionId === versionId);
      if (!current || !version || (version.attempts?.count ?? 0) >= attempts.count)
        return { next: undefined };
      if (version.state !== 'pending' && version.state !== 'processing') return { next: undefined };
      return {
        next: {
          ...current,
          versions: current.versions.map((v) => (v.versionId === versionId ? { ...v, attempts } : v)),
        },
      };
    });
  }

  /** Links an asset to calls without touching its state (workers may be changing that). */
  async addCallIds(tenantId: string, name: string, callIds: string[]): Promise<void> {
    await mutateJson<Asset>(this.redis, this.keys.asset(tenantId, name), (current) => {
      if (!current || callIds.every((id) => current.callIds.includes(id))) return { next: undefined };
      return { next: { ...current, callIds: [...new Set([...current.callIds, ...callIds])] } };
    });
  }

  /** Unlinks calls that no longer exist (a waiting call merged into its recording's call). */
  async removeCallIds(tenantId: string, name: string, callIds: string[]): Promise<void> {
    await mutateJson<Asset>(this.redis, this.keys.asset(tenantId, name), (current) => {
      if (!current || !callIds.some((id) => current.callIds.includes(id))) return { next: undefined };
      return { next: { ...current, callIds: current.callIds.filter((id) => !callIds.includes(id)) } };
    });
  }

  async list(tenantId: string, request: PageRequest & { state?: AssetState }): Promise<Page<Asset>> {
    const index = request.state
      ? this.keys.assetStateIndex(tenantId, request.state)
      : this.keys.assetIndex(tenantId);
    return pageOf(this.redis, index, request, (name) => this.keys.asset(tenantId, name));
  }

  /** CRM batch versions still to be ingested, oldest first: the priority lane's watermark. */
  async pendingCrmBefore(tenantId: string, seq: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.crmPending(tenantId), '-inf', `(${seq}`, 'LIMIT', 0, 5);
  }

  private indexOps(before: Asset | null, after: Asset): IndexOp[] {
    const score = Date.parse(after.firstSeenAt);
    const ops: IndexOp[] = [
      { op: 'ZADD', key: this.keys.assetIndex(after.tenantId), score, member: after.name },
    ];
    if (after.kind === 'crm-batch') {
      for (const version of after.versions) {
        const member = `${after.name}\n${version.versionId}`;
        const open = version.state === 'pending' || version.state === 'processing';
        const wasOpen = before?.versions.some(
          (v) => v.versionId === version.versionId && (v.state === 'pending' || v.state === 'processing'),
        );
        if (open && !wasOpen && version.seq !== undefined) {
          ops.push({ op: 'ZADD', key: this.keys.crmPending(after.tenantId), score: version.seq, member });
        } else if (!open && wasOpen) {
          ops.push({ op: 'ZREM', key: this.keys.crmPending(after.tenantId), member });
        }
      }
    }
    if (before && before.state !== after.state) {
      ops.push({
        op: 'ZREM',
        key: this.keys.assetStateIndex(after.tenantId, before.state),
        member: after.name,
      });
    }
    ops.push({
      op: 'ZADD',
      key: this.keys.assetStateIndex(after.tenantId, after.state),
      score,
      member: after.name,
    });
    return ops;
  }
}
