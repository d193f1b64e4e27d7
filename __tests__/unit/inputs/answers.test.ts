import { describe, expect, it } from '@jest/globals';
import { parseAnswers } from '../../../src/inputs/answers.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

describe('answers inputs', () => {
  it('defaults to the protocol’s comparison, 10 % compared, 1e-3 tolerance and 99 % agreement', () => {
    expect(parse(VALID).answers).toEqual({
      compare: 'auto',
      compareShare: 0.1,
      tolerance: 0.001,
      minSimilarity: 0.9,
      ignorePaths: [],
      minAgreement: 0.99,
    });
  });

  it('reads expected outputs keyed like the request set (one folder may hold both)', () => {
    const settings = parse({
      ...VALID,
      'probe-payload': 'probe/set',
      'expected-outputs': 'probe/set',
      'compare-ignore': '/id, /created',
      compare: 'json',
    });
    expect(settings.answers.ignorePaths).toEqual(['/id', '/created']);
    expect(settings.answers.expected?.entries.map((entry) => entry.id)).toEqual(['a']);
  });
});

const BAD_ANSWERS_INPUTS: BadInput[] = [
  ['unknown comparison', { ...VALID, compare: 'bytes' }, 'compare', /one of auto, tensor, text, json, none/],
  ['compare share above 100 %', { ...VALID, 'compare-share': '150%' }, 'compare-share', /from 0% to 100%/],
  ['negative tolerance', { ...VALID, tolerance: '-1' }, 'tolerance', /a relative difference from 0 to 1/],
  ['similarity above 1', { ...VALID, 'min-similarity': '2' }, 'min-similarity', /a similarity from 0 to 1/],
  ['ignore path without slash', { ...VALID, 'compare-ignore': 'id' }, 'compare-ignore', /JSON Pointers/],
  [
    'ignore paths with tensor comparison',
    { ...VALID, compare: 'tensor', 'compare-ignore': '/id' },
    'compare-ignore',
    /only used with compare json/,
  ],
  [
    'missing expected outputs',
    { ...VALID, 'expected-outputs': 'probe/none.json' },
    'expected-outputs',
    /does not exist/,
  ],
  [
    'expected outputs with compare none',
    {
      ...VALID,
      compare: 'none',
      'probe-payload': 'probe/request.json',
      'expected-outputs': 'probe/request.expected.json',
    },
    'expected-outputs',
    /compare is none/,
  ],
  [
    'expected outputs that are not JSON',
    { ...VALID, 'probe-payload': 'probe/request.json', 'expected-outputs': 'probe/raw.bin' },
    'expected-outputs',
    /probe\/raw.bin is not JSON/,
  ],
  [
    'min agreement of 100 %',
    { ...VALID, 'min-agreement': '100%' },
    'min-agreement',
    /100% can never be shown/,
  ],
  ['min agreement not a share', { ...VALID, 'min-agreement': 'high' }, 'min-agreement', /percentage/],
];

describe('answers inputs: bad values', () => {
  itNamesTheInput(BAD_ANSWERS_INPUTS, inputsReadBy(parseAnswers));
});
