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
  candidateOfFacts,
  factsOfMetadata,
  factsOfRecording,
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
  type MetadataFacts,
  type RecordingFacts,
  type StandingPair,
} from '../src/fuzzy';
import {
  decideMetadata,
  LINK_MIN,
  metadataAfterPair,
  metadataAfterUndo,
  recordsToMove,
} from '../src/fuzzy-settle';

const NO_RECORDS: readonly MetadataRecord[] = [];

/** The span of one bucket of a TimeIndex: a range query reads a few, an insert shifts one. */
const BUCKET_MS = 60_000;
/**
 * One user's files are sparse in time (a file every few minutes at most): six hours a bucket keep
 * the buckets few, each an object and two arrays to keep (an hour each kept 30 MiB more at
 * 100,000 calls).
 */
const USER_BUCKET_MS = 21_600_000;

interface Bucket<T> {
  times: number[];
  keys: string[];
  values: T[];
}

/**
 * Items sorted by time (then key), found by binary search, like ZRANGEBYSCORE over a sorted set.
 * Kept in buckets of a minute, so adding to a large index never shifts it all. A query may
 * `keep` only some items: the in-memory pool indexes every file once and tells unpaired from
 * paired by looking, instead of moving files between indexes.
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
    if (index === bucket.times.length) {
      bucket.times.push(atMs);
      bucket.keys.push(key);
      bucket.values.push(item);
    } else {
      bucket.times.splice(index, 0, atMs);
      bucket.keys.splice(index, 0, key);
      bucket.values.splice(index, 0, item);
    }
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

  within(fromMs: number, toMs: number, keep?: (item: T) => boolean): T[] {
    const found: T[] = [];
    this.scan(fromMs, toMs, Infinity, keep, (bucket, index) => found.push(bucket.values[index] as T));
    return found;
  }

  /** The keys in the range with their times. */
  entriesWithin(fromMs: number, toMs: number, keep?: (item: T) => boolean): Array<[string, number]> {
    const found: Array<[string, number]> = [];
    this.scan(fromMs, toMs, Infinity, keep, (bucket, index) =>
      found.push([bucket.keys[index] as string, bucket.times[index] as number]),
    );
    return found;
  }

  /** The keys in the range, at most `limit` of them (like ZRANGEBYSCORE ... LIMIT 0 limit). */
  keysWithin(fromMs: number, toMs: number, limit = Infinity, keep?: (item: T) => boolean): string[] {
    const found: string[] = [];
    this.scan(fromMs, toMs, limit, keep, (bucket, index) => found.push(bucket.keys[index] as string));
    return found;
  }

  /** Calls `take` for each entry in the range (that `keep` keeps) in order, at most `limit` times. */
  private scan(
    fromMs: number,
    toMs: number,
    limit: number,
    keep: ((item: T) => boolean) | undefined,
    take: (bucket: Bucket<T>, index: number) => void,
  ) {
    if (toMs < fromMs) return;
    let taken = 0;
    const last = Math.floor(toMs / this.bucketMs);
    for (let slot = Math.floor(fromMs / this.bucketMs); slot <= last; slot++) {
      const bucket = this.buckets.get(slot);
      if (!bucket) continue;
      const { times, values } = bucket;
      for (let index = firstAtOrAfter(times, fromMs); index < times.length; index++) {
        if ((times[index] as number) > toMs || taken >= limit) return;
        if (keep && !keep(values[index] as T)) continue;
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
  private readonly userKeys = new Map<string, readonly string[]>();

  get size(): number {
    return this.all.size;
  }

  has(key: string): boolean {
    return this.all.has(key);
  }

  get(key: string): T | undefined {
    return this.all.get(key);
  }

  add(atMs: number, key: string, item: T, userKeys: readonly string[]): void {
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
    const userKeys = this.userKeys.get(key) as readonly string[];
    this.userKeys.delete(key);
    if (userKeys.length === 0) this.noUser.remove(key);
    for (const user of userKeys) this.byUser.get(user)?.remove(key);
    return true;
  }

  /** All in the range; with `user`, only those under that key (`null`: naming no user). */
  within(fromMs: number, toMs: number, user?: string | null, keep?: (item: T) => boolean): T[] {
    if (user === undefined) return this.all.within(fromMs, toMs, keep);
    if (user === null) return this.noUser.within(fromMs, toMs, keep);
    return this.byUser.get(user)?.within(fromMs, toMs, keep) ?? [];
  }

  keysWithin(fromMs: number, toMs: number, limit?: number, keep?: (item: T) => boolean): string[] {
    return this.all.keysWithin(fromMs, toMs, limit, keep);
  }

  entriesWithin(fromMs: number, toMs: number, keep?: (item: T) => boolean): Array<[string, number]> {
    return this.all.entriesWithin(fromMs, toMs, keep);
  }
}

/**
 * Numbers (ids of files) sorted by time in buckets, for the in-memory pool: files are added once,
 * as they arrive, and never move. Numbers, not names: string-keyed maps and per-entry objects
 * were most of the cost of an index at 100,000 files.
 */
class IdTimes {
  /** Buckets by slot (time / bucketMs), from `firstSlot` on: an array, not a map of slots. */
  private buckets: Array<{ times: number[]; ids: number[] } | undefined> = [];
  private firstSlot = Number.NaN;

  constructor(private readonly bucketMs: number) {}

  private bucketAt(slot: number) {
    return this.buckets[slot - this.firstSlot];
  }

  add(atMs: number, id: number): void {
    const slot = Math.floor(atMs / this.bucketMs);
    if (Number.isNaN(this.firstSlot)) this.firstSlot = slot;
    if (slot < this.firstSlot) {
      // Earlier than any so far (rare): the array moves up.
      this.buckets = [...new Array<undefined>(this.firstSlot - slot), ...this.buckets];
      this.firstSlot = slot;
    }
    let bucket = this.bucketAt(slot);
    if (!bucket) {
      // Filled up to the slot, never written past its end: an array with a gap in it turns
      // into a dictionary, and every bucket read becomes a hash lookup.
      const index = slot - this.firstSlot;
      while (this.buckets.length < index) this.buckets.push(undefined);
      this.buckets[index] = bucket = { times: [], ids: [] };
    }
    const { times, ids } = bucket;
    // Insertion by hand (buckets are small, and files mostly arrive in time order): cheaper
    // than splice.
    let index = times.length;
    times.push(atMs);
    ids.push(id);
    for (; index > 0 && (times[index - 1] as number) > atMs; index--) {
      times[index] = times[index - 1] as number;
      ids[index] = ids[index - 1] as number;
    }
    times[index] = atMs;
    ids[index] = id;
  }

  /** Takes out an id added at that time. */
  remove(atMs: number, id: number): void {
    const bucket = this.bucketAt(Math.floor(atMs / this.bucketMs));
    if (!bucket) return;
    const { times, ids } = bucket;
    let index = firstAtOrAfter(times, atMs);
    while (index < times.length && ids[index] !== id) index++;
    if (index === times.length) return;
    for (; index < times.length - 1; index++) {
      times[index] = times[index + 1] as number;
      ids[index] = ids[index + 1] as number;
    }
    times.pop();
    ids.pop();
  }

  /** Appends the ids in the range, by time, to `out` (no closure: linking calls it for every file). */
  collect(fromMs: number, toMs: number, out: number[], limit = Infinity): void {
    if (toMs < fromMs || Number.isNaN(this.firstSlot) || limit <= 0) return;
    let taken = 0;
    const last = Math.min(Math.floor(toMs / this.bucketMs), this.firstSlot + this.buckets.length - 1);
    for (let slot = Math.max(Math.floor(fromMs / this.bucketMs), this.firstSlot); slot <= last; slot++) {
      const bucket = this.bucketAt(slot);
      if (!bucket) continue;
      const { times, ids } = bucket;
      for (let index = firstAtOrAfter(times, fromMs); index < times.length; index++) {
        if ((times[index] as number) > toMs) return;
        out.push(ids[index] as number);
        if (++taken >= limit) return;
      }
    }
  }

  /** Calls `visit` with each id in the range, by time, until it returns false. */
  scan(fromMs: number, toMs: number, visit: (id: number, atMs: number) => boolean | void): void {
    if (toMs < fromMs || Number.isNaN(this.firstSlot)) return;
    const last = Math.min(Math.floor(toMs / this.bucketMs), this.firstSlot + this.buckets.length - 1);
    for (let slot = Math.max(Math.floor(fromMs / this.bucketMs), this.firstSlot); slot <= last; slot++) {
      const bucket = this.bucketAt(slot);
      if (!bucket) continue;
      const { times, ids } = bucket;
      for (let index = firstAtOrAfter(times, fromMs); index < times.length; index++) {
        const atMs = times[index] as number;
        if (atMs > toMs) return;
        if (visit(ids[index] as number, atMs) === false) return;
      }
    }
  }
}

/**
 * One kind of file in the pool: each numbered as it arrives, indexed by time, and by user key
 * (`recordingUserKeys`, `metadataUserKeys`; `null`: naming no user) for a source's answers by
 * user (`FuzzyCandidateSource.byUser`).
 */
class PoolFiles<T> {
  readonly files: T[] = [];
  readonly names: string[] = [];
  readonly ids = new Map<string, number>();
  private readonly all = new IdTimes(BUCKET_MS);
  private readonly noUser = new IdTimes(USER_BUCKET_MS);
  private readonly byUser = new Map<string, IdTimes>();

  add(atMs: number, name: string, file: T, userKeys: readonly string[]): number {
    const id = this.files.length;
    this.files.push(file);
    this.names.push(name);
    this.ids.set(name, id);
    this.all.add(atMs, id);
    if (userKeys.length === 0) this.noUser.add(atMs, id);
    for (const user of userKeys) {
      let times = this.byUser.get(user);
      if (!times) this.byUser.set(user, (times = new IdTimes(USER_BUCKET_MS)));
      times.add(atMs, id);
    }
    return id;
  }

  get(name: string): T | undefined {
    const id = this.ids.get(name);
    return id === undefined ? undefined : this.files[id];
  }

  /** All in the range; with `user`, only those under that key (`null`: naming no user). */
  scan(
    fromMs: number,
    toMs: number,
    user: string | null | undefined,
    visit: (id: number, atMs: number) => boolean | void,
  ): void {
    const times = user === undefined ? this.all : user === null ? this.noUser : this.byUser.get(user);
    times?.scan(fromMs, toMs, visit);
  }

  /** Appends the ids in the range (by `user`) to `out`. */
  collect(fromMs: number, toMs: number, user: string | null | undefined, out: number[]): void {
    const times = user === undefined ? this.all : user === null ? this.noUser : this.byUser.get(user);
    times?.collect(fromMs, toMs, out);
  }

  /** The files in the range (by `user`) that `keep` keeps. */
  within(fromMs: number, toMs: number, user: string | null | undefined, keep: (id: number) => boolean): T[] {
    const found: T[] = [];
    this.scan(fromMs, toMs, user, (id) => {
      if (keep(id)) found.push(this.files[id] as T);
    });
    return found;
  }
}

export class InMemoryFuzzyPairing implements FuzzyCandidateSource {
  readonly byUser = true;
  /** scoreCandidate calls made: the work the time window saves. */
  comparisons = 0;
  /** Fuzzy pairs undone because a later file contested or spoiled them. */
  undone = 0;
  /** Whether the record (by file number) waits with candidates but no clear winner. */
  private readonly ambiguousIds: boolean[] = [];
  /**
   * The pool: every recording and every (dated) record that arrived, each indexed once by time
   * and user. Here no file ever leaves it (no pair by key), and each file is unpaired (waiting)
   * or in a standing pair, which the arrays of standing pairs (by file id) say.
   */
  private readonly recordings = new PoolFiles<RecordingRecord>();
  private readonly metadata = new PoolFiles<MetadataRecord>();
  /** The unpaired recordings alone, by time: whether a record has candidates, and which. */
  private readonly unpairedTimes = new IdTimes(BUCKET_MS);
  private readonly recordingAt: number[] = [];
  private readonly recordingPair: Array<StandingPair | undefined> = [];
  private readonly metadataPair: Array<StandingPair | undefined> = [];
  private readonly unpaired = (id: number) => this.recordingPair[id] === undefined;
  private readonly paired = (id: number) => this.recordingPair[id] !== undefined;
  private readonly waiting = (id: number) => this.metadataPair[id] === undefined;
  private readonly standing = (id: number) => this.metadataPair[id] !== undefined;
  /**
   * The links among the pool's files (record id -> recording name, and back), each scored once,
   * when the later of its two files arrives: here files never leave the pool (no pair by key),
   * so a linked group is read by walking them.
   */
  private readonly recordingLinks = new Map<string, Map<string, FuzzyCandidate>>();
  private readonly metadataLinks = new Map<string, MetadataRecord[]>();
  readonly links: FuzzyLinks = {
    ofMetadata: (recordId) => this.recordingLinks.get(recordId),
    ofRecording: (fileName) => this.metadataLinks.get(fileName) ?? NO_RECORDS,
    pairOf: (recordId) => this.pairOfRecord(recordId),
  };
  /** Which arrival last visited a file, so a file two queries find is linked once. */
  private readonly visited: number[] = [];
  private visit = 0;
  /** Scratch lists of file ids, reused: linking (`found`, `near`), names of unpaired recordings. */
  private readonly found: number[] = [];
  private readonly near: number[] = [];
  private readonly unpairedFound: number[] = [];
  /** What scoring reads of each file, by file number (`factsOfMetadata`, `factsOfRecording`). */
  private readonly metadataFacts: MetadataFacts[] = [];
  private readonly recordingFacts: RecordingFacts[] = [];
  private seq = 0;
  /** Records to judge again, first in first out: the matcher's queued jobs. */
  private readonly queued: string[] = [];
  private readonly score: typeof scoreCandidate = (metadata, recording, tenant) => {
    this.comparisons++;
    return scoreCandidate(metadata, recording, tenant);
  };

  constructor(private readonly tenant: TenantConfig) {}

  /**
   * metadata record id -> the recording it stands paired with. Kept by file number while pairing
   * (a map keyed by 100,000 names cost a tenth of the benchmark); this builds the map.
   */
  get pairs(): Map<string, string> {
    const pairs = new Map<string, string>();
    for (const pair of this.metadataPair)
      if (pair) pairs.set(pair.metadata.recordId, pair.recording.fileName);
    return pairs;
  }

  /** Metadata records that wait with candidates but no clear winner. */
  get ambiguous(): Set<string> {
    const ambiguous = new Set<string>();
    this.ambiguousIds.forEach((waits, id) => {
      if (waits) ambiguous.add(this.metadata.names[id] as string);
    });
    return ambiguous;
  }

  private pairOfRecord(recordId: string): StandingPair | undefined {
    const id = this.metadata.ids.get(recordId);
    return id === undefined ? undefined : this.metadataPair[id];
  }

  recordingsWithin(fromMs: number, toMs: number, user?: string | null): Promise<RecordingRecord[]> {
    return Promise.resolve(this.recordings.within(fromMs, toMs, user, this.unpaired));
  }

  metadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<MetadataRecord[]> {
    return Promise.resolve(this.metadata.within(fromMs, toMs, user, this.waiting));
  }

  recordingNamesWithin(fromMs: number, toMs: number, limit = Infinity): Promise<string[]> {
    const found = this.unpairedFound;
    found.length = 0;
    this.unpairedTimes.collect(fromMs, toMs, found, limit);
    const names: string[] = [];
    for (const id of found) names.push(this.recordings.names[id] as string);
    return Promise.resolve(names);
  }

  recordingTimesWithin(fromMs: number, toMs: number, except: string): Promise<number[]> {
    const times: number[] = [];
    const left = this.recordings.ids.get(except);
    this.unpairedTimes.scan(fromMs, toMs, (id, atMs) => {
      if (id !== left) times.push(atMs);
    });
    return Promise.resolve(times);
  }

  pairsByRecordingWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]> {
    const pairs: StandingPair[] = [];
    this.recordings.scan(fromMs, toMs, user, (id) => {
      const pair = this.recordingPair[id];
      if (pair) pairs.push(pair);
    });
    return Promise.resolve(pairs);
  }

  pairsByMetadataWithin(fromMs: number, toMs: number, user?: string | null): Promise<StandingPair[]> {
    const pairs: StandingPair[] = [];
    this.metadata.scan(fromMs, toMs, user, (id) => {
      const pair = this.metadataPair[id];
      if (pair) pairs.push(pair);
    });
    return Promise.resolve(pairs);
  }

  private link(metadata: MetadataRecord, recording: RecordingRecord, candidate: FuzzyCandidate): void {
    let recordings = this.recordingLinks.get(metadata.recordId);
    if (!recordings) this.recordingLinks.set(metadata.recordId, (recordings = new Map()));
    recordings.set(recording.fileName, candidate);
    const records = this.metadataLinks.get(recording.fileName);
    if (records) records.push(metadata);
    else this.metadataLinks.set(recording.fileName, [metadata]);
  }

  /**
   * The ids of the pool's files of the other kind near a file arriving, unpaired or paired
   * (`nearQueries`: one may be found by two of them, and is listed once), in `this.near`.
   */
  private nearArrival<T>(atMs: number, keys: readonly string[], files: PoolFiles<T>): number[] {
    const visit = ++this.visit;
    const found = this.found;
    const near = this.near;
    near.length = 0;
    for (const query of nearQueries(this, atMs, keys, LINK_MIN)) {
      found.length = 0;
      files.collect(query.fromMs, query.toMs, query.user, found);
      for (const id of found) {
        if (this.visited[id] === visit) continue;
        this.visited[id] = visit;
        near.push(id);
      }
    }
    return near;
  }

  // Each file's links are scored once, as it arrives, on the facts kept per file number
  // (candidateOfFacts: scoreCandidate without looking the facts up, and no object for a
  // non-link). Each is one scoreCandidate call in `comparisons`.
  async addMetadata(metadata: MetadataRecord): Promise<void> {
    const at = metadataTimeMs(metadata);
    if (Number.isNaN(at) || this.metadata.ids.has(metadata.recordId)) return;
    const keys = metadataUserKeys(metadata, this.tenant);
    const facts = factsOfMetadata(metadata, this.tenant);
    const { files, names } = this.recordings;
    for (const id of this.nearArrival(at, keys, this.recordings)) {
      this.comparisons++;
      const candidate = candidateOfFacts(
        facts,
        this.recordingFacts[id] as RecordingFacts,
        names[id] as string,
        LINK_MIN,
      );
      if (candidate) this.link(metadata, files[id] as RecordingRecord, candidate);
    }
    this.metadata.add(at, metadata.recordId, metadata, keys);
    this.metadataFacts.push(facts);
    this.metadataPair.push(undefined);
    this.ambiguousIds.push(false);
    await this.judge(metadata, true);
    await this.runQueued();
  }

  async addRecording(recording: RecordingRecord): Promise<void> {
    const at = recordingTimeMs(recording, this.tenant);
    if (Number.isNaN(at) || this.recordings.ids.has(recording.fileName)) return;
    const keys = recordingUserKeys(recording, this.tenant);
    const facts = factsOfRecording(recording, this.tenant);
    const { files } = this.metadata;
    for (const id of this.nearArrival(at, keys, this.metadata)) {
      this.comparisons++;
      const candidate = candidateOfFacts(
        this.metadataFacts[id] as MetadataFacts,
        facts,
        recording.fileName,
        LINK_MIN,
      );
      if (candidate) this.link(files[id] as MetadataRecord, recording, candidate);
    }
    const id = this.recordings.add(at, recording.fileName, recording, keys);
    this.recordingFacts.push(facts);
    this.recordingAt.push(at);
    this.recordingPair.push(undefined);
    this.unpairedTimes.add(at, id);
    this.queue(await recordsToMove({ recordings: [recording] }, this, this.tenant, this.score));
    const near = await metadataToReconsider(recording, this, this.tenant, this.score, undefined, true);
    for (const metadata of near) {
      await this.judge(metadata, false);
      if (this.paired(id)) break;
    }
    await this.runQueued();
  }

  private queue(records: MetadataRecord[]): void {
    for (const record of records) this.queued.push(record.recordId);
  }

  /** The queued jobs, in order, including those they queue. */
  private async runQueued(): Promise<void> {
    for (let index = 0; index < this.queued.length; index++) {
      const metadata = this.metadata.get(this.queued[index] as string);
      if (metadata) await this.judge(metadata, false);
    }
    this.queued.length = 0;
  }

  /** One record's job: moves it to its target; `arrived` also queues the others it moved. */
  private async judge(metadata: MetadataRecord, arrived: boolean): Promise<void> {
    const id = this.metadata.ids.get(metadata.recordId) as number;
    // Arriving, it neither waited nor stood in a pair before (the matcher's metadataWasWaiting).
    let waited = !arrived;
    for (;;) {
      // No document is written here, so the candidates it would list are not ranked.
      const decision = await decideMetadata(metadata, this, this.tenant, this.score, { listed: false });
      if (arrived) this.queue(decision.others);
      arrived = false;
      if (decision.kind === 'keep') return;
      if (decision.kind === 'undo') {
        const { pair } = decision;
        this.queue(await metadataAfterUndo(pair, decision.others, this, this.tenant, this.score));
        this.metadataPair[id] = undefined;
        const recordingId = this.recordings.ids.get(pair.recording.fileName) as number;
        this.recordingPair[recordingId] = undefined;
        this.unpairedTimes.add(this.recordingAt[recordingId] as number, recordingId);
        this.undone++;
        waited = true;
        continue;
      }
      if (decision.kind === 'pair') {
        const fileName = decision.winner.recording;
        const recordingId = this.recordings.ids.get(fileName) as number;
        const recording = this.recordings.files[recordingId] as RecordingRecord;
        // Asked before the pair stands: it reads only the other unpaired recordings and the
        // waiting records (this one is left out of its answer).
        const event = {
          recording,
          metadata,
          recordingWasUnpaired: true,
          metadataWasWaiting: waited,
          fuzzy: true,
        };
        this.queue(await metadataAfterPair(event, this, this.tenant, this.score));
        this.ambiguousIds[id] = false;
        const pair: StandingPair = { recording, metadata, score: decision.winner.score, seq: ++this.seq };
        this.metadataPair[id] = pair;
        this.recordingPair[recordingId] = pair;
        this.unpairedTimes.remove(this.recordingAt[recordingId] as number, recordingId);
        return;
      }
      this.ambiguousIds[id] = decision.kind === 'ambiguous';
      return;
    }
  }
}
