import { describe } from '@jest/globals';
import { parseGate } from '../../../src/inputs/gate.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, VALID } from '../../fixtures/inputs.ts';

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
  ['confidence out of range', { ...VALID, confidence: '95' }, 'confidence', /from 0.5 to 0.999/],
  [
    'unknown inconclusive action',
    { ...VALID, 'on-inconclusive': 'ignore' },
    'on-inconclusive',
    /one of revert, promote, extend/,
  ],
];

describe('gate inputs: bad values', () => {
  itNamesTheInput(BAD_GATE_INPUTS, inputsReadBy(parseGate));
});
