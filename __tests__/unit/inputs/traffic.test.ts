import { describe } from '@jest/globals';
import { parseTraffic } from '../../../src/inputs/traffic.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, VALID } from '../../fixtures/inputs.ts';

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
];

describe('traffic inputs: bad values', () => {
  itNamesTheInput(BAD_TRAFFIC_INPUTS, inputsReadBy(parseTraffic));
});
