import { describe, expect, it } from '@jest/globals';
import { parseGate } from '../../../src/inputs/gate.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

const BAD_GATE_INPUTS: BadInput[] = [
  ['negative p95 limit', { ...VALID, 'max-p95-ms': '-5' }, 'max-p95-ms', /milliseconds/],
  [
    'p99 limit below p95 limit',
    { ...VALID, 'max-p95-ms': '100', 'max-p99-ms': '50' },
    'max-p99-ms',
    /below max-p95-ms/,
  ],
  [
    'error rate above 100%',
    { ...VALID, 'max-error-rate': '150%' },
    'max-error-rate',
    /percentage from 0% to 100%/,
  ],
  [
    'ambiguous regression',
    { ...VALID, 'max-regression': '10' },
    'max-regression',
    /write 10% for a percentage/,
  ],
  [
    'regression quantile without p',
    { ...VALID, 'regression-quantile': '95' },
    'regression-quantile',
    /percentile from p50 to p99\.9/,
  ],
  [
    'regression quantile below p50',
    { ...VALID, 'regression-quantile': 'p10' },
    'regression-quantile',
    /got 'p10'/,
  ],
  [
    'regression quantile above p99.9',
    { ...VALID, 'regression-quantile': 'p99.99' },
    'regression-quantile',
    /such as p95 or p99/,
  ],
  [
    'regression quantile not a number',
    { ...VALID, 'regression-quantile': 'pXX' },
    'regression-quantile',
    /got 'pXX'/,
  ],
  [
    'ambiguous TTFT regression',
    { ...VALID, 'max-regression-ttft': '20' },
    'max-regression-ttft',
    /write 20% for a percentage/,
  ],
  [
    'TPOT regression that is not a share',
    { ...VALID, 'max-regression-tpot': 'fast' },
    'max-regression-tpot',
    /expected a percentage from 0% to 100% or a fraction from 0 to 1; got 'fast'/,
  ],
  ['confidence out of range', { ...VALID, confidence: '95' }, 'confidence', /from 0.5 to 0.999/],
  [
    'unknown inconclusive action',
    { ...VALID, 'on-inconclusive': 'ignore' },
    'on-inconclusive',
    /one of revert, promote, extend/,
  ],
];

describe('gate inputs', () => {
  it('holds TTFT and TPOT to max-regression unless they are given their own bounds', () => {
    expect(parse({ ...VALID, 'max-regression': '15%' }).gate).toMatchObject({
      maxRegression: 0.15,
      maxRegressionTtft: 0.15,
      maxRegressionTpot: 0.15,
    });
    expect(
      parse({ ...VALID, 'max-regression-ttft': '5%', 'max-regression-tpot': '0.25' }).gate,
    ).toMatchObject({ maxRegression: 0.1, maxRegressionTtft: 0.05, maxRegressionTpot: 0.25 });
  });
});

describe('gate inputs: bad values', () => {
  itNamesTheInput(BAD_GATE_INPUTS, inputsReadBy(parseGate));
});
