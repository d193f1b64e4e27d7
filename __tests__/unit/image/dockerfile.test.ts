import { describe, expect, it } from '@jest/globals';
import { buildctlArguments, buildxArguments, type BuildRequest } from '../../../src/image/buildkit.ts';
import {
  IMAGE_LABELS,
  renderDockerfile,
  renderTritonConfig,
  type ImageSpec,
} from '../../../src/image/dockerfile.ts';
import {
  isWeightFile,
  modelDigest,
  sha256Of,
  splitWeights,
  type ModelFile,
} from '../../../src/image/model-files.ts';
import { InputError } from '../../../src/errors.ts';
import { expectGolden } from './golden/expect-golden.ts';

const LABELS = {
  [IMAGE_LABELS.source]: 'https://github.com/acme/models',
  [IMAGE_LABELS.revision]: '0123456789abcdef0123456789abcdef01234567',
  [IMAGE_LABELS.modelSha256]: 'f'.repeat(64),
};

/** One spec per runtime and model layout; each renders to a golden Dockerfile. */
const SPECS: [string, ImageSpec][] = [
  [
    'mlserver-example',
    {
      runtime: 'mlserver',
      baseImage: 'seldonio/mlserver:1.7.1',
      modelName: 'tiny-mlp',
      model: {
        kind: 'files',
        paths: ['model-settings.json', 'model.onnx', 'requirements.txt', 'runtime.py'],
      },
      labels: LABELS,
    },
  ],
  [
    'triton-onnx',
    {
      runtime: 'triton',
      baseImage: 'nvcr.io/nvidia/tritonserver:25.01-py3',
      modelName: 'resnet50',
      model: { kind: 'files', paths: ['resnet50.onnx', 'labels.txt'] },
      labels: LABELS,
    },
  ],
  [
    'triton-savedmodel',
    {
      runtime: 'triton',
      baseImage: 'nvcr.io/nvidia/tritonserver:25.01-py3',
      modelName: 'classifier',
      model: {
        kind: 'files',
        paths: ['saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index'],
      },
      labels: LABELS,
    },
  ],
  [
    'triton-model-directory',
    {
      runtime: 'triton',
      baseImage: 'nvcr.io/nvidia/tritonserver:25.01-py3',
      modelName: 'bert',
      model: { kind: 'files', paths: ['config.pbtxt', '1/model.pt', '2/model.pt'] },
      labels: LABELS,
    },
  ],
  [
    'vllm-folder',
    {
      runtime: 'vllm',
      baseImage: 'vllm/vllm-openai:v0.10.1.1',
      modelName: 'qwen2-0.5b',
      model: {
        kind: 'files',
        paths: [
          'config.json',
          'generation_config.json',
          'model.safetensors',
          'tokenizer.json',
          'tokenizer_config.json',
        ],
      },
      labels: LABELS,
    },
  ],
  [
    'vllm-huggingface',
    {
      runtime: 'vllm',
      baseImage: 'vllm/vllm-openai:v0.10.1.1',
      modelName: 'Qwen2.5-0.5B',
      model: { kind: 'huggingface', repository: 'Qwen/Qwen2.5-0.5B', revision: 'main' },
      labels: { [IMAGE_LABELS.source]: LABELS[IMAGE_LABELS.source] },
    },
  ],
  [
    'mlserver-huggingface',
    {
      runtime: 'mlserver',
      baseImage: 'seldonio/mlserver:1.7.1',
      modelName: 'sentiment',
      model: { kind: 'huggingface', repository: 'acme/sentiment', revision: 'v1.0' },
      labels: {},
    },
  ],
];

/** The instructions of the last (serving) stage. */
function finalStage(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const from = lines
    .map((line, index) => (line.startsWith('FROM ') ? index : -1))
    .filter((i) => i >= 0)
    .pop()!;
  return lines.slice(from).filter((line) => line !== '' && !line.startsWith('#'));
}

describe('renderDockerfile', () => {
  it.each(SPECS)('%s matches its golden Dockerfile', (name, spec) => {
    const rendered = renderDockerfile(spec);
    expectGolden(`${name}.Dockerfile`, rendered.dockerfile);
    for (const [file, text] of Object.entries(rendered.contextFiles)) {
      if (file !== 'hf-fetch.py') expectGolden(`${name}.${file}`, text);
    }
  });

  it.each(SPECS)('%s copies the weights with --link before any code or configuration', (_name, spec) => {
    const stage = finalStage(renderDockerfile(spec).dockerfile);
    const copies = stage.filter((line) => line.startsWith('COPY'));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/^COPY --link /);
    const firstCopy = copies[0]!;
    if (spec.model.kind === 'files') {
      const weights = spec.model.paths.filter(isWeightFile);
      expect(weights.length).toBeGreaterThan(0);
      const weightCopies = copies.filter((copy) => weights.some((w) => copy.includes(JSON.stringify(w))));
      // Weights come first and no later COPY mixes weights with other files.
      expect(copies.slice(0, weightCopies.length)).toEqual(weightCopies);
      for (const copy of weightCopies) {
        for (const other of spec.model.paths.filter((p) => !isWeightFile(p))) {
          expect(copy).not.toContain(JSON.stringify(other));
        }
      }
    } else {
      expect(firstCopy).toContain('--from=model-download ["/model-canary/weights/"');
    }
    // Nothing is RUN after the weights are in: a RUN would write a layer that depends on them.
    const firstCopyIndex = stage.indexOf(firstCopy);
    expect(stage.slice(firstCopyIndex).filter((line) => line.startsWith('RUN'))).toEqual([]);
  });

  it.each(SPECS)('%s sets the GPU environment and its labels', (_name, spec) => {
    const stage = finalStage(renderDockerfile(spec).dockerfile);
    expect(stage[1]).toBe('ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility');
    for (const [key, value] of Object.entries(spec.labels)) {
      expect(stage.at(-1)).toContain(`${key}=${JSON.stringify(value)}`);
    }
  });

  it('passes the Hugging Face token only as a BuildKit secret mount', () => {
    const { dockerfile, contextFiles } = renderDockerfile(
      SPECS.find(([name]) => name === 'vllm-huggingface')![1],
    );
    expect(dockerfile).toContain('--mount=type=secret,id=hf_token,required=false');
    expect(dockerfile).toContain('ARG HF_ENDPOINT=https://huggingface.co');
    expect(dockerfile).not.toMatch(/ARG\s+HF_TOKEN|TOKEN=/);
    expect(contextFiles['hf-fetch.py']).toContain('/run/secrets/hf_token');
    // The script never prints the token, and drops it when a redirect leaves the hub's host.
    expect(contextFiles['hf-fetch.py']).not.toMatch(/print\([^)]*token/);
    expect(contextFiles['hf-fetch.py']).toContain('new.remove_header("Authorization")');
  });

  it('writes a Triton config.pbtxt only when the model has none', () => {
    const generated = renderDockerfile(SPECS.find(([name]) => name === 'triton-onnx')![1]);
    expect(Object.keys(generated.contextFiles)).toEqual(['config.pbtxt']);
    expect(generated.dockerfile).toContain('COPY --link ["config.pbtxt", "/models/resnet50/config.pbtxt"]');
    const own = renderDockerfile(SPECS.find(([name]) => name === 'triton-model-directory')![1]);
    expect(own.contextFiles).toEqual({});
  });

  it('refuses a Triton folder without weights or configuration', () => {
    const spec: ImageSpec = { ...SPECS[1]![1], model: { kind: 'files', paths: ['README.md'] } };
    expect(() => renderDockerfile(spec)).toThrow(InputError);
  });

  it('refuses a model name that is not a path component', () => {
    expect(() => renderDockerfile({ ...SPECS[0]![1], modelName: '../etc' })).toThrow(/model name/);
  });
});

describe('renderTritonConfig', () => {
  it.each(['onnxruntime', 'pytorch', 'tensorrt', 'tensorflow'] as const)('%s', (backend) => {
    expectGolden(`triton-config-${backend}.pbtxt`, renderTritonConfig('m', backend));
  });
});

describe('model files', () => {
  const file = (path: string, contents: string): ModelFile => ({
    path,
    size: contents.length,
    sha256: sha256Of(contents),
  });

  it('hashes paths and contents, not the listing order', () => {
    const a = [file('model.onnx', 'weights'), file('runtime.py', 'code')];
    expect(modelDigest(a)).toBe(modelDigest([...a].reverse()));
    expect(modelDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(modelDigest([file('model.onnx', 'weights!'), a[1]!])).not.toBe(modelDigest(a));
    expect(modelDigest([file('renamed.onnx', 'weights'), a[1]!])).not.toBe(modelDigest(a));
    // Moving bytes between files changes the hash even when the concatenation is the same.
    expect(modelDigest([file('a', 'xy'), file('b', 'z')])).not.toBe(
      modelDigest([file('a', 'x'), file('b', 'yz')]),
    );
  });

  it('is a known value for a known folder (stable across releases: it is an image label)', () => {
    expect(modelDigest([file('model.onnx', 'weights'), file('runtime.py', 'code')])).toBe(
      sha256Of(`model.onnx\0${sha256Of('weights')}\nruntime.py\0${sha256Of('code')}\n`),
    );
  });

  it.each([
    ['model.onnx', true],
    ['model.safetensors', true],
    ['pytorch_model.bin', true],
    ['1/model.plan', true],
    ['saved_model.pb', true],
    ['variables/variables.index', true],
    ['model.joblib', true],
    ['config.json', false],
    ['model-settings.json', false],
    ['runtime.py', false],
    ['config.pbtxt', false],
    ['tokenizer.json', false],
  ])('isWeightFile(%s) = %s', (path, expected) => {
    expect(isWeightFile(path)).toBe(expected);
  });

  it('splits weights from the rest, sorted', () => {
    const { weights, others } = splitWeights([
      file('z.py', ''),
      file('b.onnx', ''),
      file('a.json', ''),
      file('a.onnx', ''),
    ]);
    expect(weights.map((f) => f.path)).toEqual(['a.onnx', 'b.onnx']);
    expect(others.map((f) => f.path)).toEqual(['a.json', 'z.py']);
  });
});

describe('builder command lines', () => {
  const request: BuildRequest = {
    builder: 'buildctl',
    buildkitHost: 'tcp://buildkitd:1234',
    contextDir: '/tmp/ctx',
    dockerfile: '/tmp/ctx/Dockerfile',
    namedContexts: { model: '/repo/models/tiny' },
    tags: ['ghcr.io/acme/tiny:abc123'],
    platforms: ['linux/amd64'],
    buildArgs: { PIP_INDEX_URL: 'https://pypi.example/simple' },
    labels: {},
    secrets: { hf_token: 'hf_SECRET_VALUE', npm: 'NPM_SECRET_VALUE' },
    cache: { mode: 'registry', ref: 'ghcr.io/acme/tiny:buildcache' },
    push: true,
  };

  it('buildctl: named model context, registry cache with mode=max, push, metadata file', () => {
    expect(buildctlArguments(request, '/tmp/m.json')).toEqual([
      '--addr',
      'tcp://buildkitd:1234',
      'build',
      '--progress=plain',
      '--frontend',
      'dockerfile.v0',
      '--local',
      'context=/tmp/ctx',
      '--local',
      'dockerfile=/tmp/ctx',
      '--opt',
      'filename=Dockerfile',
      '--local',
      'model=/repo/models/tiny',
      '--opt',
      'context:model=local:model',
      '--opt',
      'platform=linux/amd64',
      '--opt',
      'build-arg:PIP_INDEX_URL=https://pypi.example/simple',
      '--secret',
      'id=hf_token,env=MODEL_CANARY_BUILD_SECRET_0',
      '--secret',
      'id=npm,env=MODEL_CANARY_BUILD_SECRET_1',
      '--import-cache',
      'type=registry,ref=ghcr.io/acme/tiny:buildcache',
      '--export-cache',
      'type=registry,ref=ghcr.io/acme/tiny:buildcache,mode=max',
      '--output',
      'type=image,name=ghcr.io/acme/tiny:abc123,push=true',
      '--metadata-file',
      '/tmp/m.json',
    ]);
  });

  it('buildx: the same build through docker buildx', () => {
    expect(
      buildxArguments({ ...request, builder: 'buildx', cache: { mode: 'none' } }, '/tmp/m.json'),
    ).toEqual([
      'buildx',
      'build',
      '--progress=plain',
      '--file',
      '/tmp/ctx/Dockerfile',
      '--build-context',
      'model=/repo/models/tiny',
      '--platform',
      'linux/amd64',
      '--tag',
      'ghcr.io/acme/tiny:abc123',
      '--build-arg',
      'PIP_INDEX_URL=https://pypi.example/simple',
      '--secret',
      'id=hf_token,env=MODEL_CANARY_BUILD_SECRET_0',
      '--secret',
      'id=npm,env=MODEL_CANARY_BUILD_SECRET_1',
      '--output',
      'type=image,push=true',
      '--metadata-file',
      '/tmp/m.json',
      '/tmp/ctx',
    ]);
  });

  it('clamps layer file times (rewrite-timestamp) when SOURCE_DATE_EPOCH is set, for reproducible layers', () => {
    const reproducible = { ...request, buildArgs: { SOURCE_DATE_EPOCH: '0' } };
    expect(buildctlArguments(reproducible, '/m')).toContain(
      'type=image,name=ghcr.io/acme/tiny:abc123,push=true,rewrite-timestamp=true',
    );
    expect(buildctlArguments(reproducible, '/m')).toContain('build-arg:SOURCE_DATE_EPOCH=0');
    expect(buildxArguments({ ...reproducible, builder: 'buildx' }, '/m')).toContain(
      'type=image,push=true,rewrite-timestamp=true',
    );
  });

  it('never puts a secret value on a command line', () => {
    for (const args of [
      buildctlArguments(request, '/m'),
      buildxArguments({ ...request, builder: 'buildx' }, '/m'),
    ]) {
      expect(args.join(' ')).not.toMatch(/SECRET_VALUE/);
    }
  });

  it('gha cache scopes by repository; several tags are one quoted output name list for buildctl', () => {
    const gha = {
      ...request,
      tags: ['r/x:a', 'r/x:b'],
      cache: { mode: 'gha' as const, scope: 'model-canary-acme/models' },
    };
    const args = buildctlArguments(gha, '/m');
    expect(args).toContain('type=gha,scope=model-canary-acme/models');
    expect(args).toContain('type=gha,scope=model-canary-acme/models,mode=max');
    expect(args).toContain('type=image,"name=r/x:a,r/x:b",push=true');
  });
});
