import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import { localTenant } from '@callintake/testing';
import {
  contests,
  decideFuzzy,
  FUZZY_MARGIN,
  FUZZY_THRESHOLD,
  isoTimeMs,
  metadataUserKeys,
  recordingUserKeys,
  sameUser,
  type FuzzyCandidate,
} from './fuzzy';
import { settleComponent, type FuzzyComponent } from './fuzzy-settle';

const candidate = (recording: string, score: number): FuzzyCandidate => ({
  recording,
  score,
  time: 1,
  user: 1,
  direction: 1,
  duration: 1,
});

describe('decideFuzzy', () => {
  it('picks a candidate above the threshold and clearly ahead of the runner-up', () => {
    const { winner, ranked } = decideFuzzy([candidate('b.wav', 0.6), candidate('a.wav', 0.9)]);
    assert.equal(winner?.recording, 'a.wav');
    assert.deepEqual(
      ranked.map((c) => c.recording),
      ['a.wav', 'b.wav'],
    );
  });

  it('picks none when the best is below the threshold or too close to the runner-up', () => {
    assert.equal(decideFuzzy([candidate('a.wav', FUZZY_THRESHOLD - 0.01)]).winner, undefined);
    assert.equal(
      decideFuzzy([candidate('a.wav', 0.9), candidate('b.wav', 0.9 - FUZZY_MARGIN / 2)]).winner,
      undefined,
    );
    assert.equal(decideFuzzy([]).winner, undefined);
  });
});

describe('sameUser', () => {
  const users = [
    { id: 'jdoe', aliases: ['2041', 'JDoe@Acme.test', 'E1001'] },
    { id: 'asmith', aliases: ['2042', 'asmith@acme.test'] },
  ];
  const withDirectory = localTenant('/nonexistent', { users });
  const withoutDirectory = localTenant('/nonexistent');

  it('matches aliases of one person through the directory, case-insensitively', () => {
    assert.equal(sameUser('2041', 'jdoe@acme.test', withDirectory), 1);
    assert.equal(sameUser('2041', 'e1001', withDirectory), 1);
    assert.equal(sameUser('2042', 'jdoe@acme.test', withDirectory), 0);
  });

  it('compares as text when the directory does not know both names, and is unknown when one is missing', () => {
    assert.equal(sameUser('2041', 'jdoe@acme.test', withoutDirectory), 0);
    assert.equal(sameUser('jdoe', 'JDOE@example.com', withoutDirectory), 1);
    assert.equal(sameUser('jdoe', 'jdoe@example.com', withDirectory), 1);
    assert.equal(sameUser(undefined, 'jdoe@acme.test', withDirectory), 0.5);
  });
});

describe('contests', () => {
  it('lets only a record that could win the recording itself stop a winner', () => {
    // Within the margin of a winner at 0.75, but below the threshold: it can never take it.
    assert.equal(contests(0.75, FUZZY_THRESHOLD - 0.01), false);
    assert.equal(contests(0.75, FUZZY_THRESHOLD), true);
    assert.equal(contests(0.95, 0.9), true);
    // A margin behind the winner: no contest, however high.
    assert.equal(contests(0.95, 0.95 - FUZZY_MARGIN), false);
  });
});

describe('isoTimeMs', () => {
  it('reads the times the pipeline writes exactly as Date.parse does', () => {
    for (const time of [
      '2024-03-04T08:12:33Z',
      '2024-03-04T08:12:33.000Z',
      '2024-03-04T08:12:33.999Z',
      '1999-12-28T23:59:59.001Z',
      '2024-02-28T00:00:00Z',
    ])
      assert.equal(isoTimeMs(time), Date.parse(time), time);
  });

  it('leaves every other shape to Date.parse, invalid ones included', () => {
    for (const time of [
      '2024-03-04T08:12:33+02:00',
      '2024-02-29T12:00:00Z',
      '2023-02-29T12:00:00Z',
      '2024-03-31T12:00:00.5Z',
      '2024-13-04T08:12:33Z',
      '2024-03-04T24:00:00Z',
      '2024-03-04 08:12:33Z',
      '2024-03-04T08:12:3xZ',
      '2024-03-04T08:12:33.12xZ',
      '2024-03-04',
      'yesterday',
    ])
      assert.deepEqual(isoTimeMs(time), Date.parse(time), time);
  });
});

describe('settleComponent', () => {
  const links = (entries: Record<string, number>) =>
    new Map(Object.entries(entries).map(([recording, score]) => [recording, candidate(recording, score)]));
  const component = (records: Record<string, Record<string, number>>): FuzzyComponent => ({
    metadata: new Map(),
    links: new Map(Object.entries(records).map(([recordId, scores]) => [recordId, links(scores)])),
    pairs: new Map(),
  });

  it('pairs a winner that another record scores close to, but below the threshold', () => {
    const target = settleComponent(component({ a: { 'r.wav': 0.75 }, b: { 'r.wav': 0.68 } }));
    assert.deepEqual([...target], [['a', 'r.wav']]);
  });

  it('pairs neither of two records that could each take the recording and are within the margin', () => {
    const target = settleComponent(component({ a: { 'r.wav': 0.78 }, b: { 'r.wav': 0.71 } }));
    assert.deepEqual([...target], []);
  });
});

describe('user keys', () => {
  const tenant = localTenant('/tmp/unused', { id: 'keys' });
  const record = (userId: string) => ({ canonical: { userId } }) as unknown as MetadataRecord;
  const recording = (uid: string) => ({ name: { uid }, facts: {} }) as unknown as RecordingRecord;

  it("finds a record's user by the whole name and the part before @, a recording's by its uid", () => {
    assert.deepEqual(metadataUserKeys(record('JDoe@acme.test'), tenant), [
      'name:jdoe@acme.test',
      'name:jdoe',
    ]);
    // The same name on a recording: its uid is not cut at @.
    assert.deepEqual(recordingUserKeys(recording('jdoe@acme.test'), tenant), ['name:jdoe@acme.test']);
    assert.deepEqual(metadataUserKeys(record('jdoe@acme.test'), tenant), [
      'name:jdoe@acme.test',
      'name:jdoe',
    ]);
  });
});
