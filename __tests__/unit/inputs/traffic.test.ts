import { describe, expect, it } from '@jest/globals';
import { parseTraffic } from '../../../src/inputs/traffic.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, problemsOf, VALID } from '../../fixtures/inputs.ts';

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
  [
    'pause after a percentage that is not a step',
    { ...VALID, 'canary-steps': '25,50,75', 'pause-after': '60' },
    'pause-after',
    /one of the canary steps' percentages \(25, 50, 75;.*got '60'/,
  ],
  [
    'pause after something other than a percentage',
    { ...VALID, 'canary-steps': '25,50', 'pause-after': 'half' },
    'pause-after',
    /\(25, 50;.*got 'half'/,
  ],
  [
    'pause after a step of the default weight that is not it',
    { ...VALID, 'pause-after': '50' },
    'pause-after',
    /\(10;/,
  ],
  [
    'pause and pause-after together',
    { ...VALID, 'canary-steps': '25,50', 'pause-after': '25', pause: 'true' },
    'pause',
    /mutually exclusive/,
  ],
  ['pause neither true nor false', { ...VALID, pause: 'yes' }, 'pause', /true or false/],
  ['unknown GPU budget', { ...VALID, 'gpu-budget': 'borrow' }, 'gpu-budget', /one of auto, spare, shift/],
  ['negative extra GPUs', { ...VALID, 'max-extra-gpus': '-1' }, 'max-extra-gpus', /whole number from 0/],
  ['fractional extra GPUs', { ...VALID, 'max-extra-gpus': '1.5' }, 'max-extra-gpus', /whole number from 0/],
];

describe('traffic inputs: bad values', () => {
  itNamesTheInput(BAD_TRAFFIC_INPUTS, inputsReadBy(parseTraffic));
});

describe('traffic inputs: pause', () => {
  it.each([
    ['no pause', {}, undefined],
    ['pause-after a middle step', { 'canary-steps': '25,50,75', 'pause-after': '50' }, 50],
    ['pause-after written with a percent sign', { 'canary-steps': '25,50,75', 'pause-after': '25%' }, 25],
    ['pause-after the last step', { 'canary-steps': '25,50,75', 'pause-after': '75' }, 75],
    ['pause: true, the last of the steps', { 'canary-steps': '10,30', pause: 'true' }, 30],
    ['pause: true with one canary-weight', { 'canary-weight': '20', pause: 'true' }, 20],
    ['pause: true with the default weight', { pause: 'true' }, 10],
    ['pause: false', { 'canary-steps': '10,30', pause: 'false' }, undefined],
  ])('%s', (_, inputs, pauseAfter) => {
    const traffic = parse({ ...VALID, ...inputs }).traffic;
    if (pauseAfter === undefined) expect(traffic).not.toHaveProperty('pauseAfter');
    else expect(traffic.pauseAfter).toBe(pauseAfter);
  });

  it('says nothing of pause-after when canary-steps itself was refused', () => {
    const problems = problemsOf({ ...VALID, 'canary-steps': '50,10', 'pause-after': '50' });
    expect(problems.map((problem) => problem.input)).toEqual(['canary-steps']);
  });
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
