import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../../src/errors.ts';
import { detectRuntime, tritonWeights } from '../../../src/image/detect.ts';
import { expectGolden } from './golden/expect-golden.ts';

/** Model folders users bring, as file listings, and the runtime auto must pick for each. */
const FOLDERS: [string, string[], string][] = [
  [
    'the tiny-mlp example (MLServer custom runtime)',
    ['model-settings.json', 'model.onnx', 'requirements.txt', 'runtime.py'],
    'mlserver',
  ],
  ['scikit-learn pickle with model-settings.json', ['model-settings.json', 'model.joblib'], 'mlserver'],
  ['bare scikit-learn pickle', ['model.pkl'], 'mlserver'],
  ['Python model code only', ['model.py', 'weights.json'], 'mlserver'],
  ['single ONNX file', ['resnet50.onnx'], 'triton'],
  ['ONNX with external data', ['model.onnx', 'model.onnx_data'], 'triton'],
  ['TorchScript file', ['traced.pt'], 'triton'],
  ['TensorRT engine', ['model.plan'], 'triton'],
  [
    'TensorFlow SavedModel',
    ['saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index'],
    'triton',
  ],
  ['Triton model directory', ['config.pbtxt', '1/model.onnx'], 'triton'],
  [
    'Triton model repository',
    ['densenet/config.pbtxt', 'densenet/1/model.onnx', 'bert/config.pbtxt', 'bert/1/model.pt'],
    'triton',
  ],
  [
    'Hugging Face LLM (safetensors)',
    ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'],
    'vllm',
  ],
  [
    'Hugging Face LLM (sharded safetensors)',
    [
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ],
    'vllm',
  ],
  ['Hugging Face LLM (pytorch_model.bin)', ['config.json', 'pytorch_model.bin', 'tokenizer.json'], 'vllm'],
  [
    'model-settings.json wins over an ONNX file',
    ['model-settings.json', 'model.onnx', 'config.json'],
    'mlserver',
  ],
  ['config.pbtxt wins over safetensors', ['config.pbtxt', 'config.json', '1/model.safetensors'], 'triton'],
];

describe('detectRuntime', () => {
  it.each(FOLDERS)('%s → %s', (_name, paths, runtime) => {
    expect(detectRuntime({ kind: 'path', path: 'models/x' }, paths).runtime).toBe(runtime);
  });

  it('explains every choice (golden table of folders, runtimes and reasons)', () => {
    const table = FOLDERS.map(([name, paths]) => {
      const { runtime, reason } = detectRuntime({ kind: 'path', path: 'models/x' }, paths);
      return `| ${name} | ${[...paths].sort().join(', ')} | ${runtime} | ${reason} |`;
    });
    expectGolden(
      'detect.md',
      ['| folder | files | runtime | reason |', '|---|---|---|---|', ...table, ''].join('\n'),
    );
  });

  it('assumes vLLM for hf:// and says why', () => {
    const detection = detectRuntime({ kind: 'huggingface', repository: 'Qwen/Qwen2.5-0.5B' }, []);
    expect(detection.runtime).toBe('vllm');
    expect(detection.reason).toContain('hf://Qwen/Qwen2.5-0.5B');
  });

  it('refuses a folder it cannot place, naming input runtime and the files', () => {
    const attempt = () => detectRuntime({ kind: 'path', path: 'models/x' }, ['README.md', 'data.csv']);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/runtime: auto could not tell .*README\.md, data\.csv/);
  });
});

describe('tritonWeights', () => {
  it.each([
    [['a.onnx'], { backend: 'onnxruntime', path: 'a.onnx', tritonName: 'model.onnx' }],
    [['b.pt'], { backend: 'pytorch', path: 'b.pt', tritonName: 'model.pt' }],
    [['c.plan'], { backend: 'tensorrt', path: 'c.plan', tritonName: 'model.plan' }],
    [
      ['saved_model.pb', 'variables/variables.index'],
      { backend: 'tensorflow', path: '.', tritonName: 'model.savedmodel' },
    ],
    [['export/saved_model.pb'], { backend: 'tensorflow', path: 'export', tritonName: 'model.savedmodel' }],
  ])('%p → %p', (paths, expected) => {
    expect(tritonWeights(paths)).toEqual(expected);
  });

  it('finds nothing in a folder without weights', () => {
    expect(tritonWeights(['README.md'])).toBeUndefined();
  });
});
