// Captured recordings and metadata records, plus the name and external-id indexes that pair them.
import { splitExtension, stemKey } from '@callintake/naming';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-client';
import { getJson, mutateJson } from './cas';
import type { Keys } from './keys';
import { evalScript, luaScript } from './lua';
import type { MetadataRecord, Reason, RecordingRecord } from '@callintake/schemas';

// Content first: the same bytes under another name are the same call whatever the names say.
// With a record (ARGV[3]), a successful claim also stores it as put() does, in the same step.
const CLAIM_RECORDING = luaScript(`
local byContent = redis.call('GET', KEYS[2])
if byContent and byContent ~= ARGV[1] then return {'content', byContent} end
local byName = redis.call('HGET', KEYS[1], 'recording')
if byName and byName ~= ARGV[1] then return {'name', byName} end
local firstSeen = redis.call('HGET', KEYS[1], 'first-seen-recording')
if firstSeen and firstSeen ~= ARGV[1] and ARGV[2] ~= '1' then return {'wait', firstSeen} end
redis.call('HSET', KEYS[1], 'recording', ARGV[1], 'first-seen-recording', ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[3] and ARGV[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('HDEL', KEYS[1], 'rejected-recording')
  if KEYS[4] then redis.call('HSETNX', KEYS[4], 'recording', ARGV[1]) end
end
return {'ok', ARGV[1]}
`);

export class RecordingRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  get(tenantId: string, fileName: string): Promise<RecordingRecord | null> {
    return getJson<RecordingRecord>(this.redis, this.keys.recording(tenantId, fileName));
  }

  /** Many recordings in one round trip, in the order asked (null where there is none). */
  async getMany(tenantId: string, fileNames: string[]): Promise<Array<RecordingRecord | null>> {
    if (fileNames.length === 0) return [];
    const raws = await this.redis.mget(fileNames.map((name) => this.keys.recording(tenantId, name)));
    return raws.map((raw) => (raw === null ? null : (JSON.parse(raw) as RecordingRecord)));
  }

  async put(record: RecordingRecord, pairingStem: string): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.keys.recording(record.tenantId, record.fileName), JSON.stringify(record))
      .hset(this.keys.nameKey(record.tenantId, pairingStem), 'recording', record.fileName)
      .hdel(this.keys.nameKey(record.tenantId, pairingStem), REJECTED.recording);
    claimExternalId(
      multi,
      this.keys,
      record.tenantId,
      recordingExternalId(record),
      'recording',
      record.fileName,
    );
    await multi.exec();
  }

  /**
   * One recording per pairing key and per content (issue 14): claims both for `fileName`, or
   * names the recording that holds one of them already. Atomic, so two probes of look-alike
   * files at once cannot both win; claiming again as the holder (a redelivery, a new version
   * of the same file) succeeds.
   */
  async claim(
    tenantId: string,
    fileName: string,
    pairingStem: string,
    sha256: string,
    options: { overFirstSeen?: boolean } = {},
  ): Promise<{ ok: true } | { ok: false; heldBy: 'name' | 'content' | 'first-seen'; fileName: string }> {
    return this.runClaim(tenantId, fileName, pairingStem, sha256, options);
  }

  /**
   * claim(), and when it succeeds put() of `record` (its file name and content the claim's), in
   * one step: a claimed recording is stored at once, a refused one is stored nowhere.
   */
  async claimAndPut(
    record: RecordingRecord,
    pairingStem: string,
    options: { overFirstSeen?: boolean } = {},
  ): Promise<{ ok: true } | { ok: false; heldBy: 'name' | 'content' | 'first-seen'; fileName: string }> {
    return this.runClaim(record.tenantId, record.fileName, pairingStem, record.sha256, options, record);
  }

  private async runClaim(
    tenantId: string,
    fileName: string,
    pairingStem: string,
    sha256: string,
    options: { overFirstSeen?: boolean },
    record?: RecordingRecord,
  ): Promise<{ ok: true } | { ok: false; heldBy: 'name' | 'content' | 'first-seen'; fileName: string }> {
    const keys = [this.keys.nameKey(tenantId, pairingStem), this.keys.recordingContent(tenantId, sha256)];
    const externalId = record ? recordingExternalId(record) : undefined;
    if (record) {
      keys.push(this.keys.recording(tenantId, fileName));
      if (externalId) keys.push(this.keys.externalIdKey(tenantId, stemKey(externalId)));
    }
    const [outcome, holder] = (await evalScript(this.redis, CLAIM_RECORDING, keys, [
      fileName,
      options.overFirstSeen ? '1' : '0',
      record ? JSON.stringify(record) : '',
    ])) as [string, string];
    if (outcome === 'ok') return { ok: true };
    const heldBy = outcome === 'wait' ? 'first-seen' : (outcome as 'name' | 'content');
    return { ok: false, heldBy, fileName: holder };
  }

  /**
   * The order recordings were seen in, per pairing key: the first seen (the scanner records a
   * scan's recordings in name order) is the one a look-alike waits for at capture. Kept once set.
   */
  async markSeen(tenantId: string, entries: Array<{ fileName: string; pairingStem: string }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { fileName, pairingStem } of entries)
      pipeline.hsetnx(this.keys.nameKey(tenantId, pairingStem), 'first-seen-recording', fileName);
    await pipeline.exec();
  }

  async setCallId(tenantId: string, fileName: string, callId: string): Promise<void> {
    await mutateJson<RecordingRecord>(this.redis, this.keys.recording(tenantId, fileName), (current) =>
      current && current.callId !== callId ? { next: { ...current, callId } } : { next: undefined },
    );
  }
}

export class MetadataRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  get(tenantId: string, recordId: string): Promise<MetadataRecord | null> {
    return getJson<MetadataRecord>(this.redis, this.keys.metadata(tenantId, recordId));
  }

  async put(record: MetadataRecord, pairingStem: string): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.keys.metadata(record.tenantId, record.recordId), JSON.stringify(record))
      .hset(this.keys.nameKey(record.tenantId, pairingStem), 'metadata', record.recordId);
    claimExternalId(
      multi,
      this.keys,
      record.tenantId,
      metadataExternalId(record),
      'metadata',
      record.recordId,
    );
    await multi.exec();
  }

  /** Reads many records in one round trip, in the order asked; null where absent. */
  async getMany(tenantId: string, recordIds: string[]): Promise<Array<MetadataRecord | null>> {
    if (recordIds.length === 0) return [];
    const raws = await this.redis.mget(recordIds.map((id) => this.keys.metadata(tenantId, id)));
    return raws.map((raw) => (raw === null ? null : (JSON.parse(raw) as MetadataRecord)));
  }

  /**
   * Stores many records in one round trip; a stem registers the record for name pairing. A
   * record that `replaces` another (a second metadata source for the same call) also takes over
   * the external id the replaced record held; otherwise the first claimant keeps it.
   */
  async putMany(entries: Array<{ record: MetadataRecord; pairingStem?: string | undefined }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { record, pairingStem } of entries) {
      pipeline.set(this.keys.metadata(record.tenantId, record.recordId), JSON.stringify(record));
      if (pairingStem)
        pipeline
          .hset(this.keys.nameKey(record.tenantId, pairingStem), 'metadata', record.recordId)
          .hdel(this.keys.nameKey(record.tenantId, pairingStem), REJECTED.metadata);
      const externalId = metadataExternalId(record);
      if (externalId && record.replaces)
        pipeline.hset(
          this.keys.externalIdKey(record.tenantId, stemKey(externalId)),
          'metadata',
          record.recordId,
        );
      else claimExternalId(pipeline, this.keys, record.tenantId, externalId, 'metadata', record.recordId);
    }
    await pipeline.exec();
  }

  /**
   * For each record about to be stored, the metadata record that already holds its pairing
   * key or its external id (the call it would join), in one round trip; undefined where none.
   */
  async holdersOf(
    tenantId: string,
    entries: Array<{ record: MetadataRecord; pairingStem?: string | undefined }>,
  ): Promise<Array<{ byName?: string; byExternalId?: string }>> {
    return (await this.storedAndHoldersOf(tenantId, entries, false)).holders;
  }

  /**
   * What is stored under each record's id now (null where none) and holdersOf() for each, in
   * one round trip.
   */
  async storedAndHoldersOf(
    tenantId: string,
    entries: Array<{ record: MetadataRecord; pairingStem?: string | undefined }>,
    withStored = true,
  ): Promise<{
    stored: Array<MetadataRecord | null>;
    holders: Array<{ byName?: string; byExternalId?: string }>;
  }> {
    if (entries.length === 0) return { stored: [], holders: [] };
    const pipeline = this.redis.pipeline();
    if (withStored) pipeline.mget(entries.map(({ record }) => this.keys.metadata(tenantId, record.recordId)));
    for (const { record, pairingStem } of entries) {
      const externalId = metadataExternalId(record);
      if (pairingStem) pipeline.hget(this.keys.nameKey(tenantId, pairingStem), 'metadata');
      else pipeline.echo('');
      if (externalId) pipeline.hget(this.keys.externalIdKey(tenantId, stemKey(externalId)), 'metadata');
      else pipeline.echo('');
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const raws = withStored ? ((replies.shift()?.[1] ?? []) as Array<string | null>) : [];
    const stored = raws.map((raw) => (raw === null ? null : (JSON.parse(raw) as MetadataRecord)));
    const holders = entries.map((_entry, index) => {
      const byName = replies[index * 2]?.[1];
      const byId = replies[index * 2 + 1]?.[1];
      return {
        ...(typeof byName === 'string' && byName !== '' ? { byName } : {}),
        ...(typeof byId === 'string' && byId !== '' ? { byExternalId: byId } : {}),
      };
    });
    return { stored, holders };
  }

  async setCallId(tenantId: string, recordId: string, callId: string): Promise<void> {
    await mutateJson<MetadataRecord>(this.redis, this.keys.metadata(tenantId, recordId), (current) =>
      current && current.callId !== callId ? { next: { ...current, callId } } : { next: undefined },
    );
  }

  /** Marks a record replaced by a second source for its call: it pairs no more. */
  async setReplacedBy(tenantId: string, recordId: string, replacedBy: string): Promise<void> {
    await mutateJson<MetadataRecord>(this.redis, this.keys.metadata(tenantId, recordId), (current) =>
      current && current.replacedBy !== replacedBy
        ? { next: { ...current, replacedBy } }
        : { next: undefined },
    );
  }
}

/**
 * The external id a recording carries (SPEC "Pairing" 3): a registered recording's file name is
 * its id; a file named `<source>_<externalId>.ext` carries the id from its name.
 */
export function recordingExternalId(record: RecordingRecord): string | undefined {
  if (record.origin === 'registered') return record.fileName;
  return record.name.pattern === 'external-id' ? record.name.externalId : undefined;
}

/**
 * The external id a metadata record claims: its `externalCallId`, else (a single-record file)
 * its own name without extension, `ID.json`.
 */
export function metadataExternalId(record: MetadataRecord): string | undefined {
  if (record.canonical.externalCallId) return record.canonical.externalCallId;
  if (record.line === undefined || record.recordId === record.fileName)
    return splitExtension(record.fileName).stem;
  return undefined;
}

/**
 * 1:1 by construction: the first recording and the first metadata record to claim an id own
 * it (HSETNX); a later claimant of the same id never pairs by it.
 */
function claimExternalId(
  commands: ChainableCommander,
  keys: Keys,
  tenantId: string,
  externalId: string | undefined,
  side: 'recording' | 'metadata',
  value: string,
): void {
  if (externalId) commands.hsetnx(keys.externalIdKey(tenantId, stemKey(externalId)), side, value);
}

export class ExternalIdIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async lookup(tenantId: string, externalId: string): Promise<{ recording?: string; metadata?: string }> {
    const entry = await this.redis.hgetall(this.keys.externalIdKey(tenantId, stemKey(externalId)));
    return {
      ...(entry['recording'] ? { recording: entry['recording'] } : {}),
      ...(entry['metadata'] ? { metadata: entry['metadata'] } : {}),
    };
  }
}

export class NameIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async lookup(tenantId: string, stem: string): Promise<NameEntry> {
    const entry = await this.redis.hgetall(this.keys.nameKey(tenantId, stem));
    const reason = (raw: string | undefined) => (raw ? (JSON.parse(raw) as Reason) : undefined);
    const rejectedRecording = reason(entry[REJECTED.recording]);
    const rejectedMetadata = reason(entry[REJECTED.metadata]);
    return {
      ...(entry['recording'] ? { recording: entry['recording'] } : {}),
      ...(entry['metadata'] ? { metadata: entry['metadata'] } : {}),
      ...(rejectedRecording ? { rejectedRecording } : {}),
      ...(rejectedMetadata ? { rejectedMetadata } : {}),
    };
  }

  /**
   * A file of this key was rejected: the call waiting for it can say why. A file of the same
   * side captured later clears it (RecordingRepository.put, MetadataRepository.putMany).
   */
  async noteRejected(
    tenantId: string,
    stem: string,
    side: 'recording' | 'metadata',
    reason: Reason,
  ): Promise<void> {
    await this.redis.hset(this.keys.nameKey(tenantId, stem), REJECTED[side], JSON.stringify(reason));
  }
}

/** What carries one pairing key: the recording, the metadata record, and rejected files' reasons. */
export interface NameEntry {
  recording?: string;
  metadata?: string;
  rejectedRecording?: Reason;
  rejectedMetadata?: Reason;
}

const REJECTED = { recording: 'rejected-recording', metadata: 'rejected-metadata' } as const;

export interface FuzzyPair {
  recordId: string;
  score: number;
  details?: Record<string, unknown>;
  /**
   * Set on a pair fuzzy pairing made (claimed with both call times): it stands in the pool and a
   * later file may undo it. A pair without one (chosen by hand) is never undone.
   */
  seq?: number;
}

// A fuzzy pair, numbered and indexed by both call times, unless the recording has one already.
const CLAIM_FUZZY_PAIR = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then return held end
local seq = redis.call('INCR', KEYS[2])
local pair = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[1], ARGV[1], pair)
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return pair
`;

// Undoes that very pair (same record, same seq): both files are fuzzy candidates again.
const UNDO_FUZZY_PAIR = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return 0 end
local pair = cjson.decode(held)
if pair.recordId ~= ARGV[2] or tostring(pair.seq) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[2])
return 1
`;

// Takes a recording's pair with that record out of the pool, leaving both files where they are:
// a pair by a key has taken the recording, and the record is judged again by its own job.
const DISSOLVE_PAIR = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return 0 end
if cjson.decode(held).recordId ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/**
 * Fuzzy pairing's candidates and claims: unpaired recordings and waiting metadata, each a sorted
 * set by call time. A recording is taken from the unpaired set by the one ZREM that removes it,
 * and its pair is recorded once (HSETNX): strict 1:1 across replicas.
 */
export class FuzzyIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async addUnpaired(tenantId: string, fileName: string, callTimeMs: number): Promise<void> {
    await this.redis.zadd(this.keys.unpairedRecordings(tenantId), callTimeMs, fileName);
  }

  /** True when this call took the recording out of the set (the claim). */
  async takeUnpaired(tenantId: string, fileName: string): Promise<boolean> {
    return (await this.redis.zrem(this.keys.unpairedRecordings(tenantId), fileName)) === 1;
  }

  unpairedWithin(tenantId: string, fromMs: number, toMs: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.unpairedRecordings(tenantId), fromMs, toMs, 'LIMIT', 0, limit);
  }

  async isUnpaired(tenantId: string, fileName: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.unpairedRecordings(tenantId), fileName)) !== null;
  }

  async addWaiting(tenantId: string, recordId: string, callTimeMs: number): Promise<void> {
    await this.redis.zadd(this.keys.waitingMetadata(tenantId), callTimeMs, recordId);
  }

  async isWaiting(tenantId: string, recordId: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.waitingMetadata(tenantId), recordId)) !== null;
  }

  /** Paired: no longer offered to new recordings. */
  async takeWaiting(tenantId: string, recordId: string): Promise<boolean> {
    return (await this.redis.zrem(this.keys.waitingMetadata(tenantId), recordId)) === 1;
  }

  /** takeUnpaired() and takeWaiting() of a pair's two files, in one round trip. */
  async takeBoth(tenantId: string, fileName: string, recordId: string): Promise<void> {
    const replies =
      (await this.redis
        .pipeline()
        .zrem(this.keys.unpairedRecordings(tenantId), fileName)
        .zrem(this.keys.waitingMetadata(tenantId), recordId)
        .exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
  }

  waitingWithin(tenantId: string, fromMs: number, toMs: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.waitingMetadata(tenantId), fromMs, toMs, 'LIMIT', 0, limit);
  }

  /**
   * Records the pair unless the recording already has one; true when this pair stands. With both
   * call times (a pair fuzzy pairing made) it is numbered and indexed by both times, in one step.
   */
  async claimPair(
    tenantId: string,
    fileName: string,
    pair: FuzzyPair,
    at?: { recordingMs: number; metadataMs: number },
  ): Promise<boolean> {
    const key = this.keys.fuzzyPairs(tenantId);
    if (!at) {
      if ((await this.redis.hsetnx(key, fileName, JSON.stringify(pair))) === 1) return true;
      return (await this.pairOf(tenantId, fileName))?.recordId === pair.recordId;
    }
    const { seq: _seq, ...fields } = pair;
    const stored = (await this.redis.eval(
      CLAIM_FUZZY_PAIR,
      4,
      key,
      this.keys.fuzzyPairSeq(tenantId),
      this.keys.fuzzyPairsByRecordingTime(tenantId),
      this.keys.fuzzyPairsByMetadataTime(tenantId),
      fileName,
      JSON.stringify(fields),
      String(at.recordingMs),
      String(at.metadataMs),
    )) as string;
    return (JSON.parse(stored) as FuzzyPair).recordId === pair.recordId;
  }

  /**
   * Undoes the recording's fuzzy pair if it is still this one (record and seq), putting the
   * recording back among the unpaired and the record among the waiting, in one step. True when
   * this call undid it.
   */
  async undoPair(
    tenantId: string,
    fileName: string,
    pair: { recordId: string; seq: number },
    at: { recordingMs: number; metadataMs: number },
  ): Promise<boolean> {
    const undone = await this.redis.eval(
      UNDO_FUZZY_PAIR,
      5,
      this.keys.fuzzyPairs(tenantId),
      this.keys.fuzzyPairsByRecordingTime(tenantId),
      this.keys.fuzzyPairsByMetadataTime(tenantId),
      this.keys.unpairedRecordings(tenantId),
      this.keys.waitingMetadata(tenantId),
      fileName,
      pair.recordId,
      String(pair.seq),
      String(at.recordingMs),
      String(at.metadataMs),
    );
    return undone === 1;
  }

  /**
   * Removes the recording's pair (fuzzy, or chosen by hand) if it is with that record, without
   * making either file a candidate again: another record has taken the recording by a key. True
   * when this call removed it.
   */
  async dissolvePair(tenantId: string, fileName: string, recordId: string): Promise<boolean> {
    const dissolved = await this.redis.eval(
      DISSOLVE_PAIR,
      3,
      this.keys.fuzzyPairs(tenantId),
      this.keys.fuzzyPairsByRecordingTime(tenantId),
      this.keys.fuzzyPairsByMetadataTime(tenantId),
      fileName,
      recordId,
    );
    return dissolved === 1;
  }

  /**
   * The standing (numbered) fuzzy pairs whose recording's, or metadata record's, call time is in
   * the range, with the recording's file name.
   */
  async pairsWithin(
    tenantId: string,
    by: 'recording' | 'metadata',
    fromMs: number,
    toMs: number,
    limit = 200,
  ): Promise<Array<{ fileName: string; pair: FuzzyPair }>> {
    const index =
      by === 'recording'
        ? this.keys.fuzzyPairsByRecordingTime(tenantId)
        : this.keys.fuzzyPairsByMetadataTime(tenantId);
    const fileNames = await this.redis.zrangebyscore(index, fromMs, toMs, 'LIMIT', 0, limit);
    if (fileNames.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.fuzzyPairs(tenantId), ...fileNames);
    return fileNames.flatMap((fileName, index) => {
      const raw = raws[index];
      return raw ? [{ fileName, pair: JSON.parse(raw) as FuzzyPair }] : [];
    });
  }

  /**
   * Where a recording and a record stand in the pool, read at once (one round trip): whether the
   * recording is unpaired, the pair it stands in (none while unpaired), whether the record waits.
   */
  async standing(
    tenantId: string,
    fileName: string,
    recordId: string,
  ): Promise<{ unpaired: boolean; pair: FuzzyPair | null; waiting: boolean }> {
    const replies =
      (await this.redis
        .pipeline()
        .zscore(this.keys.unpairedRecordings(tenantId), fileName)
        .hget(this.keys.fuzzyPairs(tenantId), fileName)
        .zscore(this.keys.waitingMetadata(tenantId), recordId)
        .exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const [unpaired = null, pair = null, waiting = null] = replies.map(([, reply]) => reply as string | null);
    return {
      unpaired: unpaired !== null,
      pair: pair !== null && unpaired === null ? (JSON.parse(pair) as FuzzyPair) : null,
      waiting: waiting !== null,
    };
  }

  async pairOf(tenantId: string, fileName: string): Promise<FuzzyPair | null> {
    const raw = await this.redis.hget(this.keys.fuzzyPairs(tenantId), fileName);
    return raw ? (JSON.parse(raw) as FuzzyPair) : null;
  }
}
