import { describe, expect, it } from '@jest/globals';
import { parseWorkload } from '../../../src/inputs/workload.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

describe('workload inputs', () => {
  it('derives the name from a folder, a file or the image', () => {
    expect(parse({ ...VALID, model: 'models/resnet50' }).name).toBe('resnet50');
    expect(
      parse({
        image: 'ghcr.io/acme/my_model',
        runtime: 'dockerfile',
        dockerfile: 'serving/Dockerfile',
        'probe-protocol': 'v2',
      }).name,
    ).toBe('my-model');
    expect(parse({ ...VALID, name: 'fraud-scorer' }).name).toBe('fraud-scorer');
  });
});

const BAD_WORKLOAD_INPUTS: BadInput[] = [
  ['name with underscore', { ...VALID, name: 'res_net' }, 'name', /RFC 1123/],
  ['name too long', { ...VALID, name: 'a'.repeat(41) }, 'name', /at most 40/],
  ['no name derivable', { mode: 'revert' }, 'name', /set input name/],
  ['zero replicas', { ...VALID, replicas: '0' }, 'replicas', /from 1 to 100/],
  ['fractional replicas', { ...VALID, replicas: '1.5' }, 'replicas', /whole number/],
  ['negative gpus', { ...VALID, gpus: '-1' }, 'gpus', /from 0 to 16/],
  ['gpus not a number', { ...VALID, gpus: 'two' }, 'gpus', /whole number/],
  [
    'gpu resource without a domain',
    { ...VALID, 'gpu-resource': 'gpu' },
    'gpu-resource',
    /extended resource name/,
  ],
  [
    'gpu resource in the kubernetes.io domain',
    { ...VALID, 'gpu-resource': 'kubernetes.io/gpu' },
    'gpu-resource',
    /extended resource/,
  ],
  ['node selector without =', { ...VALID, 'node-selector': 'gpu' }, 'node-selector', /not KEY=VALUE/],
  [
    'node selector value too long',
    { ...VALID, 'node-selector': `pool=${'x'.repeat(64)}` },
    'node-selector',
    /label value/,
  ],
  [
    'toleration with a bad effect',
    { ...VALID, tolerations: 'spot:Never' },
    'tolerations',
    /not one of NoSchedule/,
  ],
  ['toleration with spaces', { ...VALID, tolerations: 'a b' }, 'tolerations', /key\[=value\]\[:Effect\]/],
  ['shm size not a quantity', { ...VALID, 'shm-size': '2GB' }, 'shm-size', /quantity/],
  ['zero shm size', { ...VALID, 'shm-size': '0' }, 'shm-size', /positive/],
  ['unknown resource', { ...VALID, resources: 'gpu=1' }, 'resources', /one of cpu, memory/],
  ['resource quantity invalid', { ...VALID, resources: 'memory=lots' }, 'resources', /quantity/],
  [
    'request above limit',
    { ...VALID, resources: 'requests.memory=32Gi,limits.memory=16Gi' },
    'resources',
    /above its limit/,
  ],
  ['adopt not a boolean', { ...VALID, adopt: 'yes' }, 'adopt', /true or false/],
];

describe('workload inputs: bad values', () => {
  itNamesTheInput(BAD_WORKLOAD_INPUTS, [...inputsReadBy(parseWorkload), 'name']);
});
