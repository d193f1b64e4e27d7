import { describe, expect, it } from '@jest/globals';
import { compareAnswers } from '../../../src/answers/compare.ts';
import {
  emptyTally,
  isComparedPair,
  KEPT_DISAGREEMENTS,
  tallyAnswer,
  truncated,
} from '../../../src/answers/pairing.ts';

describe('which pairs are compared', () => {
  it('compares every first pair, then the share, spread over the set', () => {
    const compared = Array.from({ length: 10_000 }, (_, pair) => isComparedPair(pair, 100, 0.1));
    expect(compared.slice(0, 100).every(Boolean)).toBe(true);
    const later = compared.slice(100).filter(Boolean).length / 9_900;
    expect(later).toBeGreaterThan(0.095);
    expect(later).toBeLessThan(0.105);
    // Every request of a set of 7 keeps being compared past the first pairs.
    const byRequest = new Set(
      compared.map((on, pair) => (on && pair >= 100 ? pair % 7 : -1)).filter((request) => request >= 0),
    );
    expect(byRequest.size).toBe(7);
  });
});

describe('tally', () => {
  const rules = { mode: 'json', tolerance: 0, minSimilarity: 1, ignorePaths: [] } as const;

  it('counts agreements and keeps the first disagreements, cut', () => {
    const tally = emptyTally();
    tallyAnswer(tally, rules, { id: 'a', body: '{}' }, '{"x":1}', '{"x":1}');
    for (let i = 0; i < KEPT_DISAGREEMENTS + 2; i++) {
      tallyAnswer(tally, rules, { id: `b${i}`, body: 'x'.repeat(1000) }, '{"x":1}', '{"x":2}');
    }
    expect(tally.compared).toBe(KEPT_DISAGREEMENTS + 3);
    expect(tally.agreed).toBe(1);
    expect(tally.disagreements).toHaveLength(KEPT_DISAGREEMENTS);
    expect(tally.disagreements[0]).toMatchObject({
      id: 'b0',
      difference: 'differs at /x',
      reference: '{"x":1}',
    });
    expect(tally.disagreements[0]!.request).toMatch(/^x{400}… \(600 more characters\)$/);
    expect(compareAnswers(rules, '{"x":1}', '{"x":1}').agree).toBe(true);
  });

  it('leaves short texts whole', () => {
    expect(truncated('short')).toBe('short');
  });
});
