import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideFuzzy, FUZZY_MARGIN, FUZZY_THRESHOLD, type FuzzyCandidate } from './fuzzy';

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
