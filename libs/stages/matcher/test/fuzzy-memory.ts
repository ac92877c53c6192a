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
  recordingTimeMs,
  scoreCandidate,
  type FuzzyCandidateSource,
  type StandingPair,
} from '../src/fuzzy';
import { decideMetadata, metadataAfterPair, metadataAfterUndo, recordsToMove } from '../src/fuzzy-settle';

/** Items sorted by time, found by binary search, like ZRANGEBYSCORE over a sorted set. */
export class TimeIndex<T> {
  private readonly times: number[] = [];
  private readonly keys: string[] = [];
  private readonly items = new Map<string, { atMs: number; item: T }>();

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
    const at = this.firstAtOrAfter(atMs);
    let index = at;
    // Same time: keep keys in order, as a sorted set does.
    while (index < this.times.length && this.times[index] === atMs && (this.keys[index] as string) < key)
      index++;
    this.times.splice(index, 0, atMs);
    this.keys.splice(index, 0, key);
    this.items.set(key, { atMs, item });
  }

  remove(key: string): boolean {
    const entry = this.items.get(key);
    if (!entry) return false;
    this.items.delete(key);
    let index = this.firstAtOrAfter(entry.atMs);
    while (this.keys[index] !== key) index++;
    this.times.splice(index, 1);
    this.keys.splice(index, 1);
    return true;
  }

  within(fromMs: number, toMs: number): T[] {
    const found: T[] = [];
    for (let index = this.firstAtOrAfter(fromMs); index < this.times.length; index++) {
      if ((this.times[index] as number) > toMs) break;
      found.push((this.items.get(this.keys[index] as string) as { item: T }).item);
    }
    return found;
  }

  private firstAtOrAfter(atMs: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.times[middle] as number) < atMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

export class InMemoryFuzzyPairing implements FuzzyCandidateSource {
  /** scoreCandidate calls made: the work the time window saves. */
  comparisons = 0;
  /** Fuzzy pairs undone because a later file contested or spoiled them. */
  undone = 0;
  /** metadata record id -> the recording it was paired with. */
  readonly pairs = new Map<string, string>();
  /** Metadata records that wait with candidates but no clear winner. */
  readonly ambiguous = new Set<string>();
  private readonly unpaired = new TimeIndex<RecordingRecord>();
  private readonly waiting = new TimeIndex<MetadataRecord>();
  /** Standing pairs by recording name, indexed by the recording's and by the metadata's time. */
  private readonly pairedByRecording = new TimeIndex<StandingPair>();
  private readonly pairedByMetadata = new TimeIndex<StandingPair>();
  private readonly standing = new Map<string, StandingPair>();
  private seq = 0;
  /** Records to judge again, first in first out: the matcher's queued jobs. */
  private readonly queued: string[] = [];
  private readonly score: typeof scoreCandidate = (metadata, recording, tenant) => {
    this.comparisons++;
    return scoreCandidate(metadata, recording, tenant);
  };

  constructor(private readonly tenant: TenantConfig) {}

  recordingsWithin(fromMs: number, toMs: number): Promise<RecordingRecord[]> {
    return Promise.resolve(this.unpaired.within(fromMs, toMs));
  }

  metadataWithin(fromMs: number, toMs: number): Promise<MetadataRecord[]> {
    return Promise.resolve(this.waiting.within(fromMs, toMs));
  }

  recordingNamesWithin(fromMs: number, toMs: number): Promise<string[]> {
    return Promise.resolve(this.unpaired.within(fromMs, toMs).map((recording) => recording.fileName));
  }

  pairsByRecordingWithin(fromMs: number, toMs: number): Promise<StandingPair[]> {
    return Promise.resolve(this.pairedByRecording.within(fromMs, toMs));
  }

  pairsByMetadataWithin(fromMs: number, toMs: number): Promise<StandingPair[]> {
    return Promise.resolve(this.pairedByMetadata.within(fromMs, toMs));
  }

  async addMetadata(metadata: MetadataRecord): Promise<void> {
    if (Number.isNaN(metadataTimeMs(metadata))) return;
    await this.judge(metadata, true);
    await this.runQueued();
  }

  async addRecording(recording: RecordingRecord): Promise<void> {
    const at = recordingTimeMs(recording, this.tenant);
    if (Number.isNaN(at)) return;
    this.unpaired.add(at, recording.fileName, recording);
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
        this.unpaired.add(
          recordingTimeMs(pair.recording, this.tenant),
          pair.recording.fileName,
          pair.recording,
        );
        this.waiting.add(metadataTimeMs(metadata), metadata.recordId, metadata);
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
        this.pairedByRecording.add(recordingTimeMs(recording, this.tenant), fileName, pair);
        this.pairedByMetadata.add(metadataTimeMs(metadata), fileName, pair);
        return;
      }
      this.waiting.add(metadataTimeMs(metadata), metadata.recordId, metadata);
      if (decision.kind === 'ambiguous') this.ambiguous.add(metadata.recordId);
      else this.ambiguous.delete(metadata.recordId);
      return;
    }
  }
}
