import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../../src/errors.ts';
import {
  INPUT_DEFAULTS,
  INPUT_NAMES,
  parseInputs,
  secretValuesOf,
  type InputName,
  type RunContext,
  type Settings,
} from '../../../src/inputs/inputs.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const PUSH: RunContext = {
  eventName: 'push',
  sha: SHA,
  ref: 'refs/heads/main',
  repository: 'acme/models',
  runId: 42,
  runAttempt: 1,
};
const PULL_REQUEST: RunContext = {
  ...PUSH,
  eventName: 'pull_request',
  ref: 'refs/pull/7/merge',
  pullRequest: 7,
};
const TAG: RunContext = { ...PUSH, ref: 'refs/tags/v1.2.3' };

const REPOSITORY_FILES = new Set([
  '.',
  'models/resnet50',
  'models/resnet50.onnx',
  'serving/Dockerfile',
  'probe/request.json',
]);

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: { server: https://prod.example.com }
users:
- name: ci
  user: { token: s3cr3t-token-value }
contexts:
- name: prod-ci
  context: { cluster: prod, user: ci }
current-context: prod-ci
`;

/** Inputs of a minimal valid canary run; each case overrides some. */
const VALID: Partial<Record<InputName, string>> = {
  model: 'models/resnet50.onnx',
  image: 'ghcr.io/acme/resnet',
};

function parse(inputs: Partial<Record<InputName, string>>, run: RunContext = PUSH): Settings {
  return parseInputs({
    get: (name) => inputs[name] ?? '',
    run,
    pathExists: (path) => REPOSITORY_FILES.has(path),
  });
}

function problemsOf(inputs: Partial<Record<InputName, string>>, run: RunContext = PUSH) {
  try {
    parse(inputs, run);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error('expected an InputError, but the inputs were accepted');
}

describe('parseInputs: valid inputs', () => {
  it('applies the defaults of action.yml to a minimal canary run', () => {
    const settings = parse(VALID);
    expect(settings).toMatchObject({
      mode: 'canary',
      dryRun: false,
      model: { kind: 'path', path: 'models/resnet50.onnx' },
      runtime: 'auto',
      image: 'ghcr.io/acme/resnet',
      cache: 'registry',
      platforms: ['linux/amd64'],
      builder: 'auto',
      namespace: 'default',
      name: 'resnet50',
      replicas: 1,
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
      traffic: 'auto',
      canarySteps: [10],
      probe: { ratePerSecond: 20, durationMs: 60_000, warmupMs: 10_000, target: 'proxy' },
      gate: { maxErrorRate: 0.01, maxRegression: 0.1, confidence: 0.95, onInconclusive: 'revert' },
    });
    expect(settings.gate.maxP95Ms).toBeUndefined();
    expect(settings.registryAuth).toBeUndefined();
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
      model: { kind: 'huggingface', repository: 'meta-llama/Llama-3.2-1B', revision: 'a1b2c3d' },
      name: 'llama-3-2-1b',
      image: 'localhost:5000/team/llm',
      registryAuth: { username: 'bot', password: 'pw' },
      buildArgs: { PYTHON_VERSION: '3.11', EXTRA: 'a=b,c' },
      buildSecrets: { hf_token: 'abc', 'pip.conf': '[global]' },
      platforms: ['linux/amd64', 'linux/arm64/v8'],
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
      canarySteps: [5, 25, 50],
      probe: {
        protocol: 'openai',
        payloadFile: 'probe/request.json',
        ratePerSecond: 12.5,
        durationMs: 90_000,
        warmupMs: 500,
      },
      gate: { maxP95Ms: 120, maxP99Ms: 250.5, maxErrorRate: 0.005, maxRegression: 0.2, confidence: 0.99 },
      dryRun: true,
    });
  });

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

  it('treats a dockerfile with runtime auto as runtime dockerfile', () => {
    const settings = parse({
      ...VALID,
      dockerfile: 'serving/Dockerfile',
      'probe-protocol': 'http',
      'probe-path': '/predict',
    });
    expect(settings.runtime).toBe('dockerfile');
    expect(settings.dockerfile).toBe('serving/Dockerfile');
  });

  it('gives release tags from a semver tag ref', () => {
    expect(parse({ ...VALID, mode: 'release' }, TAG).releaseVersion).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
    });
    expect(
      parse({ ...VALID, mode: 'release' }, { ...TAG, ref: 'refs/tags/2.0.0-rc.1' }).releaseVersion,
    ).toEqual({
      major: 2,
      minor: 0,
      patch: 0,
      prerelease: 'rc.1',
    });
  });

  it('accepts modes that need no build without model or image when a name is given', () => {
    expect(parse({ mode: 'revert', name: 'resnet' }).mode).toBe('revert');
    expect(parse({ mode: 'cleanup', name: 'resnet' }, PULL_REQUEST).run.pullRequest).toBe(7);
  });

  it('lets a dry run go without a commit SHA', () => {
    expect(parse({ ...VALID, 'dry-run': 'true' }, { ...PUSH, sha: '' }).dryRun).toBe(true);
  });
});

/** [description, inputs, the input the message must name, a fragment of what was expected, run?] */
const BAD_INPUTS: [string, Partial<Record<InputName, string>>, InputName | string, RegExp, RunContext?][] = [
  ['unknown mode', { ...VALID, mode: 'deploy' }, 'mode', /one of canary, preview/],
  ['unknown runtime', { ...VALID, runtime: 'torchserve' }, 'runtime', /one of auto, triton/],
  ['model outside the repository', { ...VALID, model: '../secrets' }, 'model', /inside the repository/],
  ['absolute model path', { ...VALID, model: '/etc/passwd' }, 'model', /inside the repository/],
  ['missing model path', { ...VALID, model: 'models/bert' }, 'model', /does not exist/],
  ['malformed hf reference', { ...VALID, model: 'hf://just-a-name' }, 'model', /hf:\/\/org\/name/],
  ['unsupported model scheme', { ...VALID, model: 's3://bucket/model' }, 'model', /only repository paths/],
  ['canary without model', { image: 'ghcr.io/acme/x' }, 'model', /needs a model/],
  ['canary without image', { model: 'models/resnet50' }, 'image', /needs the repository/],
  ['image with a tag', { ...VALID, image: 'ghcr.io/acme/resnet:latest' }, 'image', /without tag/],
  [
    'image with a digest',
    { ...VALID, image: 'ghcr.io/acme/resnet@sha256:' + 'b'.repeat(64) },
    'image',
    /without tag or digest/,
  ],
  ['image with upper case', { ...VALID, image: 'ghcr.io/Acme/resnet' }, 'image', /lower-case/],
  ['image with spaces', { ...VALID, image: 'ghcr.io/acme/res net' }, 'image', /repository such as/],
  [
    'dockerfile with another runtime',
    { ...VALID, runtime: 'triton', dockerfile: 'serving/Dockerfile' },
    'dockerfile',
    /only used with runtime dockerfile/,
  ],
  [
    'runtime dockerfile without dockerfile',
    { ...VALID, runtime: 'dockerfile', 'probe-protocol': 'v2' },
    'dockerfile',
    /needs the path/,
  ],
  [
    'missing dockerfile',
    { ...VALID, dockerfile: 'Dockerfile.gpu', 'probe-protocol': 'v2' },
    'dockerfile',
    /does not exist/,
  ],
  [
    'username without password',
    { ...VALID, 'registry-username': 'bot' },
    'registry-password',
    /give both or neither/,
  ],
  [
    'password without username',
    { ...VALID, 'registry-password': 'pw' },
    'registry-username',
    /give both or neither/,
  ],
  [
    'bad base image',
    { ...VALID, 'base-image': 'nvcr.io/nvidia/triton server:24.08' },
    'base-image',
    /image reference/,
  ],
  ['build arg without =', { ...VALID, 'build-args': 'FOO' }, 'build-args', /not KEY=VALUE/],
  ['build arg with a bad key', { ...VALID, 'build-args': '1FOO=bar' }, 'build-args', /build argument name/],
  ['build arg given twice', { ...VALID, 'build-args': 'A=1\nA=2' }, 'build-args', /given twice/],
  ['build secret without =', { ...VALID, 'build-secrets': 'hf_token' }, 'build-secrets', /not KEY=VALUE/],
  ['empty build secret', { ...VALID, 'build-secrets': 'hf_token=' }, 'build-secrets', /is empty/],
  ['unknown cache', { ...VALID, cache: 's3' }, 'cache', /one of registry, gha, none/],
  ['bad platform', { ...VALID, platforms: 'linux/amd64,amd64' }, 'platforms', /os\/arch/],
  ['unknown builder', { ...VALID, builder: 'kaniko' }, 'builder', /one of auto, buildx, buildctl/],
  [
    'bad buildkit host',
    { ...VALID, 'buildkit-host': 'buildkitd:1234' },
    'buildkit-host',
    /tcp:\/\/buildkitd:1234/,
  ],
  [
    'buildkit host with buildx',
    { ...VALID, builder: 'buildx', 'buildkit-host': 'tcp://b:1234' },
    'buildkit-host',
    /for builder buildctl/,
  ],
  [
    'kubeconfig that is not YAML',
    { ...VALID, kubeconfig: 'token: [unclosed' },
    'kubeconfig',
    /not valid YAML/,
  ],
  [
    'kubeconfig without clusters',
    { ...VALID, kubeconfig: 'apiVersion: v1\nkind: Pod' },
    'kubeconfig',
    /not a kubeconfig/,
  ],
  [
    'context missing from kubeconfig',
    { ...VALID, kubeconfig: KUBECONFIG, context: 'staging' },
    'context',
    /not in the kubeconfig \(it has: prod-ci\)/,
  ],
  ['namespace with upper case', { ...VALID, namespace: 'ML' }, 'namespace', /RFC 1123/],
  ['namespace too long', { ...VALID, namespace: 'n'.repeat(64) }, 'namespace', /RFC 1123/],
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
  ['probe path without slash', { ...VALID, 'probe-path': 'v2/models' }, 'probe-path', /starting with '\/'/],
  [
    'http protocol without path',
    { ...VALID, 'probe-protocol': 'http' },
    'probe-path',
    /needs the request path/,
  ],
  ['unknown protocol', { ...VALID, 'probe-protocol': 'grpc' }, 'probe-protocol', /one of v2, openai, http/],
  [
    'missing payload file',
    { ...VALID, 'probe-payload': 'probe/missing.json' },
    'probe-payload',
    /does not exist/,
  ],
  [
    'method without http protocol',
    { ...VALID, 'probe-method': 'POST' },
    'probe-method',
    /only used with probe-protocol http/,
  ],
  [
    'GET with a payload',
    {
      ...VALID,
      'probe-protocol': 'http',
      'probe-path': '/p',
      'probe-method': 'GET',
      'probe-payload': 'probe/request.json',
    },
    'probe-method',
    /cannot send probe-payload/,
  ],
  ['zero probe rate', { ...VALID, 'probe-rate': '0' }, 'probe-rate', /from 0.1 to 5000/],
  ['probe rate with unit', { ...VALID, 'probe-rate': '20rps' }, 'probe-rate', /requests per second/],
  ['probe duration without unit', { ...VALID, 'probe-duration': '60' }, 'probe-duration', /30s, 5m/],
  ['probe duration too short', { ...VALID, 'probe-duration': '1s' }, 'probe-duration', /from 5s to 1h/],
  ['warmup too long', { ...VALID, warmup: '11m' }, 'warmup', /from 0s to 10m/],
  ['unknown probe target', { ...VALID, 'probe-target': 'port-forward' }, 'probe-target', /one of proxy, url/],
  ['url target without url', { ...VALID, 'probe-target': 'url' }, 'probe-url', /needs the service URL/],
  [
    'url with proxy target',
    { ...VALID, 'probe-url': 'https://x.example.com' },
    'probe-url',
    /only used with probe-target url/,
  ],
  [
    'url that is not http',
    { ...VALID, 'probe-target': 'url', 'probe-url': 'ftp://x.example.com' },
    'probe-url',
    /http:\/\/ or https:\/\//,
  ],
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
  ['confidence out of range', { ...VALID, confidence: '95' }, 'confidence', /from 0.5 to 0.999/],
  [
    'unknown inconclusive action',
    { ...VALID, 'on-inconclusive': 'ignore' },
    'on-inconclusive',
    /one of revert, promote, extend/,
  ],
  ['dry-run not a boolean', { ...VALID, 'dry-run': 'yes' }, 'dry-run', /true or false/],
  ['preview outside a pull request', { ...VALID, mode: 'preview' }, 'mode', /pull_request event/],
  ['cleanup outside a pull request', { mode: 'cleanup', name: 'x' }, 'mode', /pull_request event/],
  ['release on a branch', { ...VALID, mode: 'release' }, 'mode', /tag such as v1.2.3/],
  [
    'release with a non-semver tag',
    { ...VALID, mode: 'release' },
    'mode',
    /tag such as v1.2.3/,
    { ...PUSH, ref: 'refs/tags/latest' },
  ],
  ['canary outside a workflow', VALID, 'mode', /GITHUB_SHA/, { ...PUSH, sha: '' }],
];

describe('parseInputs: bad inputs', () => {
  it('has a corpus of at least 40 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
  });

  // A rest parameter keeps jest from taking the optional fifth element for a `done` callback.
  it.each(BAD_INPUTS)('%s names the input', (...[, inputs, input, expected, run]) => {
    const problems = problemsOf(inputs, run ?? PUSH);
    const problem = problems.find((p) => p.input === input);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(expected);
    expect(new InputError(problems).message).toContain(input);
  });

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
    });
    const text = new InputError(problems).message;
    for (const secret of ['SECRETVALUE', 'SECRET2', 's3cr3t-token-value', 'SECRET3']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('secretValuesOf', () => {
  it('finds the credentials of a kubeconfig and the values of build secrets', () => {
    expect(secretValuesOf('kubeconfig', KUBECONFIG)).toEqual(['s3cr3t-token-value']);
    expect(
      secretValuesOf(
        'kubeconfig',
        'users:\n- user:\n    client-key-data: "LS0tS0VZ"\n    client-certificate-data: LS0tQ0VSVA==',
      ),
    ).toEqual(['LS0tS0VZ', 'LS0tQ0VSVA==']);
    expect(secretValuesOf('build-secrets', 'a=1\nb=x=y\n')).toEqual(['1', 'x=y']);
    expect(secretValuesOf('registry-password', ' pw ')).toEqual(['pw']);
    expect(secretValuesOf('namespace', 'default')).toEqual([]);
  });
});

describe('action.yml', () => {
  const action = parseYaml(readFileSync('action.yml', 'utf8')) as {
    inputs: Record<string, { description: string; default?: string }>;
    outputs: Record<string, { description: string }>;
    runs: Record<string, string>;
  };

  it('declares exactly the inputs the action reads, each with a description and a default', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description.length).toBeGreaterThan(20);
      expect(typeof input.default).toBe('string');
      expect([name, input.default]).toEqual([
        name,
        (INPUT_DEFAULTS as Record<string, string>)[name] ?? expectedEmptyDefault(name),
      ]);
    }
  });

  it('declares the outputs of product.md', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(
      [
        'image',
        'digest',
        'decision',
        'reason',
        'p50-ms',
        'p95-ms',
        'p99-ms',
        'error-rate',
        'baseline-p95-ms',
        'report',
        'preview-url',
      ].sort(),
    );
  });

  it('runs on node24 with a post step that always runs, from the same bundle', () => {
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/index.js',
      'post-if': 'always()',
    });
  });
});

/** Inputs without a default in INPUT_DEFAULTS are empty in action.yml, except the token expression. */
function expectedEmptyDefault(name: string): string {
  return name === 'github-token' ? '${{ github.token }}' : '';
}

describe('secret masking of a kubeconfig that does not parse', () => {
  it('still finds credential values line by line', () => {
    expect(secretValuesOf('kubeconfig', 'users: [{ token: abc123, password: "p4ss" ')).toEqual([
      'abc123',
      'p4ss',
    ]);
  });
});
