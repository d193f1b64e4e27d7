import { describe, expect, it } from '@jest/globals';
import { Memo } from '../../../src/stats/memo.ts';

describe('Memo', () => {
  it('computes a key once and gives back what it kept', () => {
    const memo = new Memo();
    let computed = 0;
    const value = () => {
      computed++;
      return [computed];
    };
    const first = memo.get('a', value);
    expect(memo.get('a', value)).toBe(first);
    expect(computed).toBe(1);
    expect(memo.get('b', value)).toEqual([2]);
    expect(computed).toBe(2);
  });

  it('keeps an undefined result too', () => {
    const memo = new Memo();
    let computed = 0;
    const nothing = () => {
      computed++;
      return undefined;
    };
    memo.get('a', nothing);
    memo.get('a', nothing);
    expect(computed).toBe(1);
  });

  it('starts again empty once it holds its limit', () => {
    const memo = new Memo(2);
    let computed = 0;
    const value = () => ++computed;
    memo.get('a', value);
    memo.get('b', value);
    expect(memo.get('a', value)).toBe(1);
    memo.get('c', value);
    expect(memo.get('a', value)).toBe(4);
    expect(computed).toBe(4);
  });
});
