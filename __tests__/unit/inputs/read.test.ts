import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../../src/errors.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { itNamesTheInput, KUBECONFIG, parse, problemsOf, VALID } from '../../fixtures/inputs.ts';

describe('parseInputs: valid inputs', () => {
  it('applies the defaults of action.yml to a minimal canary run', () => {
    const settings = parse(VALID);
    expect(settings).toMatchObject({
      mode: 'canary',
      dryRun: false,
      name: 'resnet50',
      build: {
        model: { kind: 'path', path: 'models/resnet50.onnx' },
        runtime: 'auto',
        image: 'ghcr.io/acme/resnet',
        cache: 'registry',
        platforms: ['linux/amd64'],
        builder: 'auto',
      },
      cluster: { namespace: 'default' },
      workload: { replicas: 1, gpus: 1, gpuResource: 'nvidia.com/gpu' },
      traffic: { router: 'auto', steps: [10] },
      probe: { ratePerSecond: 20, durationMs: 60_000, warmupMs: 10_000, target: 'proxy' },
      gate: {
        maxErrorRate: 0.01,
        maxRegression: 0.1,
        regressionQuantile: 0.95,
        confidence: 0.95,
        onInconclusive: 'revert',
      },
    });
    expect(settings.gate.maxP95Ms).toBeUndefined();
    expect(settings.build.registryAuth).toBeUndefined();
  });

  it('parses every kind of value', () => {
    const settings = parse({
      ...VALID,
      model: 'hf://meta-llama/Llama-3.2-1B@a1b2c3d',
      runtime: 'vllm',
      image: 'localhost:5000/team/llm',
      'registry-username': 'bot',
      'registry-password': 'pw',
      'base-image': 'vllm/vllm-openai:v0.6.3@sha256:' + 'a'.repeat(64),
      'build-args': 'PYTHON_VERSION=3.11\nEXTRA=a=b,c',
      'build-secrets': 'hf_token=abc\npip.conf=[global]',
      cache: 'gha',
      platforms: 'linux/amd64, linux/arm64/v8',
      builder: 'buildctl',
      'buildkit-host': 'tcp://buildkitd:1234',
      kubeconfig: KUBECONFIG,
      context: 'prod-ci',
      namespace: 'ml-serving',
      replicas: '8',
      gpus: '2',
      'gpu-resource': 'nvidia.com/mig-1g.10gb',
      'node-selector': 'nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3\npool=inference',
      tolerations: 'dedicated=ml:NoSchedule, spot',
      'shm-size': '2Gi',
      resources: 'cpu=4,memory=16Gi,requests.ephemeral-storage=10Gi',
      traffic: 'gateway-api',
      'canary-steps': '5, 25,50%',
      'probe-protocol': 'openai',
      'probe-payload': './probe/request.json',
      'probe-rate': '12.5',
      'probe-duration': '1m30s',
      warmup: '500ms',
      'max-p95-ms': '120',
      'max-p99-ms': '250.5',
      'max-error-rate': '0.5%',
      'max-regression': '0.2',
      confidence: '0.99',
      'on-inconclusive': 'extend',
      'dry-run': 'TRUE',
    });
    expect(settings).toMatchObject({
      name: 'llama-3-2-1b',
      build: {
        model: { kind: 'huggingface', repository: 'meta-llama/Llama-3.2-1B', revision: 'a1b2c3d' },
        image: 'localhost:5000/team/llm',
        registryAuth: { username: 'bot', password: 'pw' },
        buildArgs: { PYTHON_VERSION: '3.11', EXTRA: 'a=b,c' },
        buildSecrets: { hf_token: 'abc', 'pip.conf': '[global]' },
        platforms: ['linux/amd64', 'linux/arm64/v8'],
      },
      workload: {
        replicas: 8,
        gpus: 2,
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', pool: 'inference' },
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
          { key: 'spot', operator: 'Exists' },
        ],
        resources: {
          requests: { cpu: '4', memory: '16Gi', 'ephemeral-storage': '10Gi' },
          limits: { cpu: '4', memory: '16Gi' },
        },
      },
      traffic: { steps: [5, 25, 50] },
      probe: {
        protocol: 'openai',
        payloadFile: 'probe/request.json',
        ratePerSecond: 12.5,
        durationMs: 90_000,
        warmupMs: 500,
      },
      gate: {
        maxP95Ms: 120,
        maxP99Ms: 250.5,
        maxErrorRate: 0.005,
        maxRegression: 0.2,
        regressionQuantile: 0.95,
        confidence: 0.99,
      },
      dryRun: true,
    });
  });
});

/** The inputs parseInputs reads itself; every other input belongs to a section (see its test). */
const BAD_RUN_INPUTS: BadInput[] = [
  ['unknown mode', { ...VALID, mode: 'deploy' }, 'mode', /one of canary, preview/],
  ['dry-run not a boolean', { ...VALID, 'dry-run': 'yes' }, 'dry-run', /true or false/],
  [
    'github-token with a Bearer prefix',
    { ...VALID, 'github-token': 'Bearer ghs_x' },
    'github-token',
    /white space/,
  ],
  ['github-token on two lines', { ...VALID, 'github-token': 'ghp_a\nghp_b' }, 'github-token', /line break/],
  ['github-token with a tab', { ...VALID, 'github-token': 'ghp_a\tb' }, 'github-token', /white space/],
  ['github-token not ASCII', { ...VALID, 'github-token': 'ghp_ä' }, 'github-token', /no token has/],
];

describe('parseInputs: bad inputs', () => {
  itNamesTheInput(BAD_RUN_INPUTS, ['dry-run', 'github-token', 'mode']);

  it('reports every bad input at once', () => {
    const problems = problemsOf({ ...VALID, replicas: 'x', gpus: 'y', 'probe-rate': 'z', cache: 'w' });
    expect(problems.map((p) => p.input).sort()).toEqual(['cache', 'gpus', 'probe-rate', 'replicas']);
  });

  it('never echoes a secret value in a message', () => {
    const problems = problemsOf({
      ...VALID,
      'build-secrets': 'hf_token=hf_SECRETVALUE\nbroken-line-with-SECRET2',
      kubeconfig: 'users: [{ token: s3cr3t-token-value',
      'registry-password': 'pw-SECRET3',
      'github-token': 'Bearer ghp_SECRET4',
    });
    const text = new InputError(problems).message;
    expect(problems.map((p) => p.input)).toContain('github-token');
    for (const secret of ['SECRETVALUE', 'SECRET2', 's3cr3t-token-value', 'SECRET3', 'SECRET4']) {
      expect(text).not.toContain(secret);
    }
  });

  it('never echoes any part of a malformed build-secrets line, not even its key part', () => {
    // A pasted PEM: base64 lines, some with `=` inside, one that reads as a key with an empty value.
    const pem = [
      'pem=-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkq/hkiG9w0BAQEFAASC==',
      'KEYPARTPLANTED=',
      'tls+PLANTED2=abc',
      'PLANTEDTWICE=1',
      'PLANTEDTWICE=2',
      '-----END PRIVATE KEY-----',
    ].join('\n');
    const problems = problemsOf({ ...VALID, 'build-secrets': pem });
    expect(problems.filter((p) => p.input === 'build-secrets').length).toBeGreaterThanOrEqual(4);
    const text = new InputError(problems).message;
    for (const part of ['MIIEvQ', 'hkiG9w0', 'KEYPARTPLANTED', 'PLANTED2', 'PLANTEDTWICE', 'PRIVATE KEY']) {
      expect(text).not.toContain(part);
    }
  });
});
