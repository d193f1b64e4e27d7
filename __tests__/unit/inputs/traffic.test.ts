import { describe, expect, it } from '@jest/globals';
import { parseTraffic } from '../../../src/inputs/traffic.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

const BAD_TRAFFIC_INPUTS: BadInput[] = [
  ['unknown traffic router', { ...VALID, traffic: 'istio' }, 'traffic', /one of auto, replicas, gateway-api/],
  ['canary weight 100', { ...VALID, 'canary-weight': '100' }, 'canary-weight', /from 1 to 99/],
  [
    'canary weight and steps',
    { ...VALID, 'canary-weight': '10', 'canary-steps': '10,50' },
    'canary-steps',
    /mutually exclusive/,
  ],
  ['decreasing canary steps', { ...VALID, 'canary-steps': '50,10' }, 'canary-steps', /increasing/],
  ['canary step out of range', { ...VALID, 'canary-steps': '10,100' }, 'canary-steps', /1 to 99/],
  ['unknown GPU budget', { ...VALID, 'gpu-budget': 'borrow' }, 'gpu-budget', /one of auto, spare, shift/],
  ['negative extra GPUs', { ...VALID, 'max-extra-gpus': '-1' }, 'max-extra-gpus', /whole number from 0/],
  ['fractional extra GPUs', { ...VALID, 'max-extra-gpus': '1.5' }, 'max-extra-gpus', /whole number from 0/],
];

describe('traffic inputs: bad values', () => {
  itNamesTheInput(BAD_TRAFFIC_INPUTS, inputsReadBy(parseTraffic));
});

describe('traffic inputs: GPU budget', () => {
  it.each([
    [{}, { gpuBudget: 'auto', maxExtraGpus: 0 }],
    [
      { 'gpu-budget': 'shift', 'max-extra-gpus': '2' },
      { gpuBudget: 'shift', maxExtraGpus: 2 },
    ],
    [{ 'gpu-budget': 'spare' }, { gpuBudget: 'spare', maxExtraGpus: 0 }],
  ])('reads %j', (inputs, expected) => {
    expect(parse({ ...VALID, ...inputs }).traffic).toMatchObject(expected);
  });
});
