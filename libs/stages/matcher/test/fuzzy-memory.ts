// Fuzzy pairing over in-memory time indexes: the matcher's steps with sorted arrays where the
// matcher has Redis sorted sets. A metadata record arriving is judged (decideMetadata: its
// component's target), and the other records of its component that do not stand as their
// target are queued; a recording arriving queues those of its component, then the waiting
// records near it are judged in turn, as the matcher's match-recording does. A record's job
// keeps, undoes (queueing metadataAfterUndo first) or makes its fuzzy pair, or waits; after each
// pair the records metadataAfterPair names are queued, as the matcher's match-metadata jobs are.
// The quality and order tests and the benchmark run it over thousands of calls; the matcher
// itself runs the same pure functions.
import type { TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import {
  metadataTimeMs,
  metadataToReconsider,
  metadataUserKeys,
  nearQueries,
  recordingTimeMs,
  recordingUserKeys,
  scoreCandidate,
  type FuzzyCandidate,
  type FuzzyCandidateSource,
  type FuzzyLinks,
  type StandingPair,
} from '../src/fuzzy';
import {
  decideMetadata,
  LINK_MIN,
  metadataAfterPair,
  metadataAfterUndo,
  recordsToMove,
} from '../src/fuzzy-settle';

/** The span of one bucket of a TimeIndex: a range query reads a few, an insert shifts one. */
const BUCKET_MS = 60_000;
/** One user's files are sparse in time: an hour a bucket keeps the buckets few. */
const USER_BUCKET_MS = 3_600_000;

interface Bucket<T> {
  times: number[];
  keys: string[];
  values: T[];
}

/**
 * Items sorted by time (then key), found by binary search, like ZRANGEBYSCORE over a sorted set.
 * Kept in buckets of a minute, so adding to a large index never shifts it all.
 */
export class TimeIndex<T> {
  private readonly buckets = new Map<number, Bucket<T>>();
  private readonly items = new Map<string, { atMs: number; item: T }>();

  constructor(private readonly bucketMs = BUCKET_MS) {}

  get size(): number {
    return this.items.size;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  get(key: string): T | undefined {
    return this.items.get(key)?.item;
  }

  add(atMs: number, key: string, item: T): void {
    if (this.items.has(key)) this.remove(key);
    const slot = Math.floor(atMs / this.bucketMs);
    let bucket = this.buckets.get(slot);
    if (!bucket) this.buckets.set(slot, (bucket = { times: [], keys: [], values: [] }));
    let index = firstAtOrAfter(bucket.times, atMs);
    // Same time: keep keys in order, as a sorted set does.
    while (
      index < bucket.times.length &&
      bucket.times[index] === atMs &&
      (bucket.keys[index] as string) < key
    )
      index++;
    bucket.times.splice(index, 0, atMs);
    bucket.keys.splice(index, 0, key);
    bucket.values.splice(index, 0, item);
    this.items.set(key, { atMs, item });
  }

  remove(key: string): boolean {
    const entry = this.items.get(key);
    if (!entry) return false;
    this.items.delete(key);
    const slot = Math.floor(entry.atMs / this.bucketMs);
    const bucket = this.buckets.get(slot) as Bucket<T>;
    let index = firstAtOrAfter(bucket.times, entry.atMs);
    while (bucket.keys[index] !== key) index++;
    if (bucket.times.length === 1) this.buckets.delete(slot);
    else {
      bucket.times.splice(index, 1);
      bucket.keys.splice(index, 1);
      bucket.values.splice(index, 1);
    }
    return true;
  }

  within(fromMs: number, toMs: number): T[] {
    const found: T[] = [];
    this.scan(fromMs, toMs, Infinity, (bucket, index) => found.push(bucket.values[index] as T));
    return found;
  }

  /** The keys in the range with their times. */
  entriesWithin(fromMs: number, toMs: number): Array<[string, number]> {
    const found: Array<[string, number]> = [];
    this.scan(fromMs, toMs, Infinity, (bucket, index) =>
      found.push([bucket.keys[index] as string, bucket.times[index] as number]),
    );
    return found;
  }

  /** The keys in the range, at most `limit` of them (like ZRANGEBYSCORE ... LIMIT 0 limit). */
  keysWithin(fromMs: number, toMs: number, limit = Infinity): string[] {
    const found: string[] = [];
    this.scan(fromMs, toMs, limit, (bucket, index) => found.push(bucket.keys[index] as string));
    return found;
  }

  /** Calls `take` for each entry in the range in order, until it has returned `limit` times. */
  private scan(
    fromMs: number,
    toMs: number,
    limit: number,
    take: (bucket: Bucket<T>, index: number) => void,
  ) {
    if (toMs < fromMs) return;
    let taken = 0;
    const last = Math.floor(toMs / this.bucketMs);
    for (let slot = Math.floor(fromMs / this.bucketMs); slot <= last; slot++) {
      const bucket = this.buckets.get(slot);
      if (!bucket) continue;
      const { times } = bucket;
      for (let index = firstAtOrAfter(times, fromMs); index < times.length; index++) {
        if ((times[index] as number) > toMs || taken >= limit) return;
        take(bucket, index);
        taken++;
      }
    }
  }
}

function firstAtOrAfter(times: number[], atMs: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) < atMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * A TimeIndex of all items, one per user key (`recordingUserKeys`, `metadataUserKeys`) and one of
 * the items naming no user: a source's answers by user (`FuzzyCandidateSource.byUser`).
 */
export class UserTimeIndex<T> {
  private readonly all = new TimeIndex<T>();
  private readonly noUser = new TimeIndex<T>(USER_BUCKET_MS);
  private readonly byUser = new Map<string, TimeIndex<T>>();
  private readonly userKeys = new Map<string, string[]>();

  get size(): number {
    return this.all.size;
  }

  has(key: string): boolean {
    return this.all.has(key);
  }

  get(key: string): T | undefined {
    return this.all.get(key);
  }

  add(atMs: number, key: string, item: T, userKeys: string[]): void {
    this.remove(key);
    this.all.add(atMs, key, item);
    this.userKeys.set(key, userKeys);
    if (userKeys.length === 0) this.noUser.add(atMs, key, item);
    for (const user of userKeys) {
      let index = this.byUser.get(user);
      if (!index) this.byUser.set(user, (index = new TimeIndex<T>(USER_BUCKET_MS)));
      index.add(atMs, key, item);
    }
  }

  remove(key: string): boolean {
    if (!this.all.remove(key)) return false;
    const userKeys = this.userKeys.get(key) as string[];
    this.userKeys.delete(key);
    if (userKeys.length === 0) this.noUser.remove(key);
    for (const user of userKeys) this.byUser.get(user)?.remove(key);
    return true;
  }

  /** All in the range; with `user`, only those under that key (`null`: naming no user). */
  within(fromMs: number, toMs: number, user?: string | null): T[] {
    if (user === undefined) return this.all.within(fromMs, toMs);
    if (user === null) return this.noUser.within(fromMs, toMs);
    return this.byUser.get(user)?.within(fromMs, toMs) ?? [];
  }

  keysWithin(fromMs: number, toMs: number, limit?: number): string[] {
    return this.all.keysWithin(fromMs, toMs, limit);
  }

  entriesWithin(fromMs: number, toMs: number): Array<[string, number]> {
    return this.all.entriesWithin(fromMs, toMs);
  }
}

export class InMemoryFuzzyPairing implements FuzzyCandidateSource {
  readonly byUser = true;
  /** scoreCandidate calls made: the work the time window saves. */
  comparisons = 0;
  /** Fuzzy pairs undone because a later file contested or spoiled them. */
  undone = 0;
  /** metadata record id -> the recording it was paired with. */
  readonly pairs = new Map<string, string>();
  /** Metadata records that wait with candidates but no clear winner. */
  readonly ambiguous = new Set<string>();
  private readonly unpaired = new UserTimeIndex<RecordingRecord>();
  private readonly waiting = new UserTimeIndex<MetadataRecord>();
  /** Standing pairs by recording name, indexed by the recording's and by the metadata's time and user. */
  private readonly pairedByRecording = new UserTimeIndex<StandingPair>();
  private readonly pairedByMetadata = new UserTimeIndex<StandingPair>();
  private readonly standing = new Map<string, StandingPair>();
  /**
   * The links among the pool's files (record id -> recording name, and back), each scored once,
   * when the later of its two files arrives: here files never leave the pool (no pair by key),
   * so a linked group is read by walking them.
   */
  private readonly recordingLinks = new Map<string, Map<string, [RecordingRecord, FuzzyCandidate]>>();
  private readonly metadataLinks = new Map<string, Map<string, MetadataRecord>>();
  readonly links: FuzzyLinks = {
    ofMetadata: (recordId) => this.recordingLinks.get(recordId)?.values() ?? [],
    ofRecording: (fileName) => this.metadataLinks.get(fileName)?.values() ?? [],
    pairOf: (recordId) => this.standing.get(recordId),
  };
  private seq = 0;
  /** Records to judge again, first in first out: the matcher's queued jobs. */
  private readonly queued: string[] = [];
  private readonly score: typeof scoreCandidate = (metadata, recording, tenant) => {
    this.comparisons++;
    return scoreCandidate(metadata, recording, tenant);
  };

  constructor(private readonly tenant: TenantConfig) {}

  recordingsWithin(fromMs: number, toMs: number, user?: string | null): Promise<RecordingRecord[]> {
    return Promise.resolve(this.unpaired.within(fromMs, toMs, user));
  }

  metadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<MetadataRecord[]> {
    return Promise.resolve(this.waiting.within(fromMs, toMs, user));
  }

  recordingNamesWithin(fromMs: number, toMs: number, limit?: number): Promise<string[]> {
    return Promise.resolve(this.unpaired.keysWithin(fromMs, toMs, limit));
  }

  recordingTimesWithin(fromMs: number, toMs: number): Promise<Array<[string, number]>> {
    return Promise.resolve(this.unpaired.entriesWithin(fromMs, toMs));
  }

  pairsByRecordingWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]> {
    return Promise.resolve(this.pairedByRecording.within(fromMs, toMs, user));
  }

  pairsByMetadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]> {
    return Promise.resolve(this.pairedByMetadata.within(fromMs, toMs, user));
  }

  private link(metadata: MetadataRecord, recording: RecordingRecord): void {
    const candidate = this.score(metadata, recording, this.tenant);
    if (!candidate || candidate.score < LINK_MIN) return;
    let recordings = this.recordingLinks.get(metadata.recordId);
    if (!recordings) this.recordingLinks.set(metadata.recordId, (recordings = new Map()));
    recordings.set(recording.fileName, [recording, candidate]);
    let records = this.metadataLinks.get(recording.fileName);
    if (!records) this.metadataLinks.set(recording.fileName, (records = new Map()));
    records.set(metadata.recordId, metadata);
  }

  /** A record arriving links to the pool's recordings (unpaired and paired) near it. */
  private linkMetadata(metadata: MetadataRecord): void {
    const at = metadataTimeMs(metadata);
    for (const query of nearQueries(this, at, metadataUserKeys(metadata, this.tenant), LINK_MIN)) {
      for (const recording of this.unpaired.within(query.fromMs, query.toMs, query.user))
        this.link(metadata, recording);
      for (const pair of this.pairedByRecording.within(query.fromMs, query.toMs, query.user))
        this.link(metadata, pair.recording);
    }
  }

  /** A recording arriving links to the pool's records (waiting and paired) near it. */
  private linkRecording(recording: RecordingRecord): void {
    const at = recordingTimeMs(recording, this.tenant);
    for (const query of nearQueries(this, at, recordingUserKeys(recording, this.tenant), LINK_MIN)) {
      for (const metadata of this.waiting.within(query.fromMs, query.toMs, query.user))
        this.link(metadata, recording);
      for (const pair of this.pairedByMetadata.within(query.fromMs, query.toMs, query.user))
        this.link(pair.metadata, recording);
    }
  }

  private addUnpaired(recording: RecordingRecord): void {
    const at = recordingTimeMs(recording, this.tenant);
    this.unpaired.add(at, recording.fileName, recording, recordingUserKeys(recording, this.tenant));
  }

  private addWaiting(metadata: MetadataRecord): void {
    const keys = metadataUserKeys(metadata, this.tenant);
    this.waiting.add(metadataTimeMs(metadata), metadata.recordId, metadata, keys);
  }

  async addMetadata(metadata: MetadataRecord): Promise<void> {
    if (Number.isNaN(metadataTimeMs(metadata))) return;
    this.linkMetadata(metadata);
    await this.judge(metadata, true);
    await this.runQueued();
  }

  async addRecording(recording: RecordingRecord): Promise<void> {
    const at = recordingTimeMs(recording, this.tenant);
    if (Number.isNaN(at)) return;
    this.linkRecording(recording);
    this.addUnpaired(recording);
    this.queue(await recordsToMove({ recordings: [recording] }, this, this.tenant, this.score));
    const near = await metadataToReconsider(recording, this, this.tenant, this.score, undefined, true);
    for (const metadata of near) {
      await this.judge(metadata, false);
      if (!this.unpaired.has(recording.fileName)) break;
    }
    await this.runQueued();
  }

  private queue(records: MetadataRecord[]): void {
    for (const record of records) this.queued.push(record.recordId);
  }

  /** The queued jobs, in order, including those they queue. */
  private async runQueued(): Promise<void> {
    for (let index = 0; index < this.queued.length; index++) {
      const recordId = this.queued[index] as string;
      const metadata = this.waiting.get(recordId) ?? this.standing.get(recordId)?.metadata;
      if (metadata) await this.judge(metadata, false);
    }
    this.queued.length = 0;
  }

  /** One record's job: moves it to its target; `arrived` also queues the others it moved. */
  private async judge(metadata: MetadataRecord, arrived: boolean): Promise<void> {
    for (;;) {
      const decision = await decideMetadata(metadata, this, this.tenant, this.score);
      if (arrived) this.queue(decision.others);
      arrived = false;
      if (decision.kind === 'keep') return;
      if (decision.kind === 'undo') {
        const { pair } = decision;
        this.queue(await metadataAfterUndo(pair, decision.others, this, this.tenant, this.score));
        this.standing.delete(metadata.recordId);
        this.pairedByRecording.remove(pair.recording.fileName);
        this.pairedByMetadata.remove(pair.recording.fileName);
        this.pairs.delete(metadata.recordId);
        this.addUnpaired(pair.recording);
        this.addWaiting(metadata);
        this.undone++;
        continue;
      }
      if (decision.kind === 'pair') {
        const fileName = decision.winner.recording;
        const recording = this.unpaired.get(fileName) as RecordingRecord;
        this.unpaired.remove(fileName);
        const wasWaiting = this.waiting.has(metadata.recordId);
        const event = {
          recording,
          metadata,
          recordingWasUnpaired: true,
          metadataWasWaiting: wasWaiting,
          fuzzy: true,
        };
        this.queue(await metadataAfterPair(event, this, this.tenant, this.score));
        this.waiting.remove(metadata.recordId);
        this.ambiguous.delete(metadata.recordId);
        this.pairs.set(metadata.recordId, fileName);
        const pair: StandingPair = { recording, metadata, score: decision.winner.score, seq: ++this.seq };
        this.standing.set(metadata.recordId, pair);
        const recordingKeys = recordingUserKeys(recording, this.tenant);
        this.pairedByRecording.add(recordingTimeMs(recording, this.tenant), fileName, pair, recordingKeys);
        const metadataKeys = metadataUserKeys(metadata, this.tenant);
        this.pairedByMetadata.add(metadataTimeMs(metadata), fileName, pair, metadataKeys);
        return;
      }
      this.addWaiting(metadata);
      if (decision.kind === 'ambiguous') this.ambiguous.add(metadata.recordId);
      else this.ambiguous.delete(metadata.recordId);
      return;
    }
  }
}
