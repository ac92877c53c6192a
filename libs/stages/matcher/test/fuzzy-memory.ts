// Fuzzy pairing over in-memory time indexes: the matcher's steps (judgeMetadata when metadata
// arrives; metadataToReconsider, then judgeMetadata for each, when a recording arrives unpaired;
// after each pair, the records metadataAfterPair names judged again in turn, as the matcher's
// queued match-metadata jobs are) with sorted arrays where the matcher has Redis sorted sets.
// The quality test and the benchmark run it over tens of thousands of calls; the matcher itself
// runs the same pure functions.
import type { TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import {
  judgeMetadata,
  metadataAfterPair,
  metadataTimeMs,
  metadataToReconsider,
  recordingTimeMs,
  scoreCandidate,
  type FuzzyCandidateSource,
} from '../src/fuzzy';

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
  /** metadata record id -> the recording it was paired with. */
  readonly pairs = new Map<string, string>();
  /** Metadata records that wait with candidates but no clear winner. */
  readonly ambiguous = new Set<string>();
  private readonly unpaired = new TimeIndex<RecordingRecord>();
  private readonly waiting = new TimeIndex<MetadataRecord>();
  /** Records to judge again after a pair, first in first out: the matcher's queued jobs. */
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

  async addMetadata(metadata: MetadataRecord): Promise<void> {
    await this.judge(metadata);
    await this.runQueued();
  }

  async addRecording(recording: RecordingRecord): Promise<void> {
    const at = recordingTimeMs(recording, this.tenant);
    if (Number.isNaN(at)) return;
    this.unpaired.add(at, recording.fileName, recording);
    for (const metadata of await metadataToReconsider(recording, this, this.tenant, this.score)) {
      await this.judge(metadata);
      if (!this.unpaired.has(recording.fileName)) break;
    }
    await this.runQueued();
  }

  /** The queued re-judgements, in order, including those they queue; paired records are done. */
  private async runQueued(): Promise<void> {
    for (let index = 0; index < this.queued.length; index++) {
      const metadata = this.waiting.get(this.queued[index] as string);
      if (metadata) await this.judge(metadata);
    }
    this.queued.length = 0;
  }

  private async judge(metadata: MetadataRecord): Promise<void> {
    const verdict = await judgeMetadata(metadata, this, this.tenant, this.score);
    if (verdict.kind === 'pair') {
      const recording = this.unpaired.get(verdict.winner.recording) as RecordingRecord;
      this.unpaired.remove(verdict.winner.recording);
      const wasWaiting = this.waiting.remove(metadata.recordId);
      this.ambiguous.delete(metadata.recordId);
      this.pairs.set(metadata.recordId, verdict.winner.recording);
      const pair = {
        recording,
        metadata,
        recordingWasUnpaired: true,
        metadataWasWaiting: wasWaiting,
        scored: verdict.scored,
      };
      for (const affected of await metadataAfterPair(pair, this, this.tenant, this.score))
        this.queued.push(affected.recordId);
      return;
    }
    this.waiting.add(metadataTimeMs(metadata), metadata.recordId, metadata);
    if (verdict.kind === 'ambiguous') this.ambiguous.add(metadata.recordId);
    else this.ambiguous.delete(metadata.recordId);
  }
}
