import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localTenant } from '@callintake/testing';
import { decideFuzzy, FUZZY_MARGIN, FUZZY_THRESHOLD, sameUser, type FuzzyCandidate } from './fuzzy';

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
