import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPodTemplate } from '../../../src/inputs/pod-template.ts';
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
];

const BAD_TEMPLATE_INPUTS: BadInput[] = [
  [
    'image pull secret with capitals',
    { ...VALID, 'image-pull-secret': 'GHCR' },
    'image-pull-secret',
    /Secret name/,
  ],
  [
    'pod template that is not YAML',
    { ...VALID, 'pod-template': 'deploy/broken.yaml' },
    'pod-template',
    /^deploy\/broken\.yaml:\d+: not valid YAML/,
  ],
  [
    'pod template without containers',
    { ...VALID, 'pod-template': 'deploy/no-containers.yaml' },
    'pod-template',
    /^deploy\/no-containers\.yaml:8: spec\.template\.spec\.containers is missing or empty/,
  ],
  [
    'pod template mounting a volume it does not have',
    { ...VALID, 'pod-template': 'deploy/unmounted.yaml' },
    'pod-template',
    /^deploy\/unmounted\.yaml:6: template\.spec\.containers\[0\]\.volumeMounts\[0\]\.name: no volume is named 'cache'/,
  ],
  [
    'pod template that is missing',
    { ...VALID, 'pod-template': 'deploy/none.yaml' },
    'pod-template',
    /does not exist/,
  ],
  ['pod template that is a folder', { ...VALID, 'pod-template': 'deploy' }, 'pod-template', /is not a file/],
  ['env name with a space', { ...VALID, env: 'MY VAR=1' }, 'env', /not an environment variable name/],
  [
    'env-from of another kind',
    { ...VALID, 'env-from': 'vault/model' },
    'env-from',
    /secret\/<name> or configmap\/<name>/,
  ],
  [
    'a flag and its value on one line',
    { ...VALID, args: '--max-model-len 4096' },
    'args',
    /one argument per line/,
  ],
  [
    'service account with capitals',
    { ...VALID, 'service-account': 'Reader' },
    'service-account',
    /ServiceAccount name/,
  ],
];

describe('workload inputs: bad values', () => {
  itNamesTheInput([...BAD_WORKLOAD_INPUTS, ...BAD_TEMPLATE_INPUTS], [...inputsReadBy(parseWorkload), 'name']);
});

describe('workload inputs: the pod template and its short inputs', () => {
  it('reads a Deployment as the pod template, choosing the container named model', () => {
    const { workload } = parse({ ...VALID, 'pod-template': './deploy/deployment.yaml' });
    expect(workload.podTemplate).toMatchObject({
      file: 'deploy/deployment.yaml',
      modelContainer: 'model',
      modelContainerReason: 'named model',
    });
    expect(workload.podTemplate!.template.spec!.serviceAccountName).toBe('model-reader');
  });

  it('reads the example pod template users copy', () => {
    const path = 'examples/pod-template/deployment.yaml';
    const template = readPodTemplate(path, readFileSync(join(import.meta.dirname, '../../..', path), 'utf8'));
    expect(template).toMatchObject({ modelContainer: 'model', modelContainerReason: 'named model' });
  });

  it('reads env, env-from, args and service-account', () => {
    const { workload } = parse({
      ...VALID,
      env: 'LOG_LEVEL=info\nA.B-c=x=y',
      'env-from': 'secret/model-secrets\nConfigMap/settings',
      args: '--max-model-len=4096\n# a comment\n--enforce-eager',
      'service-account': 'model-reader',
    });
    expect(workload.env).toEqual({ LOG_LEVEL: 'info', 'A.B-c': 'x=y' });
    expect(workload.envFrom).toEqual([
      { kind: 'secret', name: 'model-secrets' },
      { kind: 'configmap', name: 'settings' },
    ]);
    expect(workload.args).toEqual(['--max-model-len=4096', '--enforce-eager']);
    expect(workload.serviceAccount).toBe('model-reader');
  });
});
