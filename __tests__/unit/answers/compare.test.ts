import { describe, expect, it } from '@jest/globals';
import {
  compareAnswers,
  firstDifference,
  openAiText,
  tokenSimilarity,
  type CompareRules,
} from '../../../src/answers/compare.ts';

const RULES: CompareRules = { mode: 'tensor', tolerance: 1e-3, minSimilarity: 0.9, ignorePaths: [] };

const v2 = (data: number[], shape = [1, data.length], name = 'probabilities') =>
  JSON.stringify({ model_name: 'm', outputs: [{ name, shape, datatype: 'FP32', data }] });

const fp16 = (value: number) => {
  const halves = new Float32Array([value]);
  // Rounds the float32 mantissa to fp16's 10 bits (values here are within fp16's normal range).
  const bits = new Uint32Array(halves.buffer);
  bits[0] = (bits[0]! + 0x1000) & ~0x1fff;
  return halves[0]!;
};

describe('tensor comparison', () => {
  const scores = [0.2966813, 0.33204493, 0.23135895, 0.13991484];

  it('agrees on equal outputs and on outputs rounded to fp16 under the default tolerance', () => {
    expect(compareAnswers(RULES, v2(scores), v2(scores)).agree).toBe(true);
    const rounded = compareAnswers(RULES, v2(scores), v2(scores.map(fp16)));
    expect(rounded.agree).toBe(true);
    expect(rounded.difference).toMatch(/'probabilities' max abs .*, rel .*, top-1 1\/1 rows agree/);
  });

  it('disagrees beyond the tolerance and says where top-1 changed', () => {
    const shuffled = [scores[1]!, scores[0]!, scores[2]!, scores[3]!];
    const result = compareAnswers(RULES, v2(scores), v2(shuffled));
    expect(result.agree).toBe(false);
    expect(result.difference).toMatch(/top-1 0\/1 rows agree/);
    expect(compareAnswers({ ...RULES, tolerance: 0.5 }, v2(scores), v2(shuffled)).agree).toBe(true);
  });

  it('holds near-zero elements to a share of the output’s largest value', () => {
    expect(compareAnswers(RULES, v2([1, 1e-9]), v2([1, 2e-9])).agree).toBe(true);
    expect(compareAnswers(RULES, v2([1, 0.5]), v2([1, 0.501])).agree).toBe(false);
  });

  it('disagrees on a missing output, another shape, or a non-inference answer', () => {
    expect(compareAnswers(RULES, v2(scores), v2(scores, [1, 4], 'logits')).difference).toMatch(/missing/);
    expect(compareAnswers(RULES, v2(scores), v2(scores, [2, 2])).difference).toMatch(
      /shape \[1,4\] vs \[2,2\]/,
    );
    expect(compareAnswers(RULES, v2(scores), '{"error":"x"}').agree).toBe(false);
  });
});

describe('text comparison', () => {
  const rules: CompareRules = { ...RULES, mode: 'text' };
  const chat = (content: string) =>
    JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] });
  const stream = (pieces: string[]) =>
    [
      'data: {"choices":[{"delta":{"role":"assistant"}}]}',
      ...pieces.map((piece) => `data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}`),
      'data: [DONE]',
      '',
    ].join('\n\n');

  it('reads chat, completion and streamed text alike', () => {
    expect(openAiText(chat('hello there'))).toBe('hello there');
    expect(openAiText(JSON.stringify({ choices: [{ text: 'plain' }] }))).toBe('plain');
    expect(openAiText(stream(['hel', 'lo ', 'there']))).toBe('hello there');
  });

  it('agrees after whitespace normalization, streamed or not', () => {
    expect(compareAnswers(rules, chat('hello  there\n'), stream(['hello', ' there'])).agree).toBe(true);
  });

  it('measures token similarity and holds it to the floor', () => {
    expect(tokenSimilarity('a b c d', 'a b x d')).toBe(0.75);
    expect(tokenSimilarity('', '')).toBe(1);
    const close = 'one two three four five six seven eight nine ten';
    const result = compareAnswers(rules, chat(close), chat(close.replace('ten', 'eleven')));
    expect(result).toEqual({ agree: true, difference: 'token similarity 0.900' });
    expect(compareAnswers(rules, chat('the cat sat'), chat('a dog ran')).agree).toBe(false);
  });
});

describe('json comparison', () => {
  const rules: CompareRules = { ...RULES, mode: 'json', ignorePaths: ['/id', '/meta/created'] };

  it('ignores the given paths and names the first difference', () => {
    const a = JSON.stringify({ id: 1, label: 'cat', meta: { created: 5, model: 'v1' } });
    expect(
      compareAnswers(rules, a, JSON.stringify({ id: 2, label: 'cat', meta: { created: 6, model: 'v1' } }))
        .agree,
    ).toBe(true);
    expect(
      compareAnswers(rules, a, JSON.stringify({ id: 1, label: 'dog', meta: { created: 5, model: 'v1' } })),
    ).toEqual({
      agree: false,
      difference: 'differs at /label',
    });
  });

  it('escapes pointer tokens and compares arrays by position', () => {
    expect(firstDifference({ 'a/b': [1, 2] }, { 'a/b': [1, 3] }, new Set())).toBe('/a~1b/1');
    expect(firstDifference([1], [1, 2], new Set())).toBe('/1');
    expect(firstDifference(1, '1', new Set())).toBe('/');
  });
});
