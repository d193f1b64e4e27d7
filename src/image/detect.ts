/**
 * Runtime detection for `runtime: auto` (pure): reads a model's file listing and says which
 * serving runtime fits and why, so the log can explain the choice.
 */
import { InputError } from '../errors.ts';
import type { ModelSource } from '../inputs/build.ts';
import type { ServingRuntime } from './runtimes.ts';

export interface Detection {
  runtime: ServingRuntime;
  /** One sentence for the log: what in the model decided it. */
  reason: string;
}

/** Triton backends model-canary can write a config.pbtxt for, by the weight file's type. */
export type TritonBackend = 'onnxruntime' | 'pytorch' | 'tensorrt' | 'tensorflow';

export interface TritonWeights {
  backend: TritonBackend;
  /** Path of the weight file (or SavedModel folder) inside the model folder. */
  path: string;
  /** Name Triton expects inside a version folder: model.onnx, model.pt, model.plan, model.savedmodel. */
  tritonName: string;
}

/** The Triton backend of the first recognised weight file (or SavedModel) in a listing. */
export function tritonWeights(paths: readonly string[]): TritonWeights | undefined {
  const sorted = [...paths].sort();
  const savedModel = sorted.find((p) => p === 'saved_model.pb' || p.endsWith('/saved_model.pb'));
  if (savedModel !== undefined) {
    const folder = savedModel.slice(0, -'saved_model.pb'.length).replace(/\/$/, '');
    return { backend: 'tensorflow', path: folder === '' ? '.' : folder, tritonName: 'model.savedmodel' };
  }
  const byExtension: [string, TritonBackend, string][] = [
    ['.onnx', 'onnxruntime', 'model.onnx'],
    ['.plan', 'tensorrt', 'model.plan'],
    ['.pt', 'pytorch', 'model.pt'],
  ];
  for (const [extension, backend, tritonName] of byExtension) {
    const path = sorted.find((p) => p.toLowerCase().endsWith(extension));
    if (path !== undefined) return { backend, path, tritonName };
  }
  return undefined;
}

/** Picks a runtime for a model from its files (or its source, for hf://); throws when none fits. */
export function detectRuntime(source: ModelSource, paths: readonly string[]): Detection {
  if (source.kind === 'huggingface') {
    return {
      runtime: 'vllm',
      reason: `hf://${source.repository} is fetched at build time, so its files cannot be inspected first; Hugging Face repositories are assumed to be LLMs for vLLM (set runtime to choose another)`,
    };
  }
  const names = new Set(paths);
  const has = (predicate: (path: string) => boolean) => paths.some(predicate);
  if (names.has('model-settings.json')) {
    return { runtime: 'mlserver', reason: "model-settings.json is MLServer's model configuration" };
  }
  if (names.has('config.pbtxt') || has((p) => /^[^/]+\/config\.pbtxt$/.test(p))) {
    return { runtime: 'triton', reason: 'config.pbtxt is a Triton Inference Server model configuration' };
  }
  const hfWeights = has((p) => p.endsWith('.safetensors') || /(^|\/)pytorch_model[^/]*\.bin$/.test(p));
  if (names.has('config.json') && hfWeights) {
    return {
      runtime: 'vllm',
      reason:
        'config.json with safetensors (or pytorch_model.bin) weights is a Hugging Face transformers folder, served by vLLM',
    };
  }
  const triton = tritonWeights(paths);
  if (triton !== undefined) {
    return {
      runtime: 'triton',
      reason: `${triton.path} is ${TRITON_FORMAT[triton.backend]}, served by Triton's ${triton.backend} backend`,
    };
  }
  if (has((p) => /\.(pkl|joblib|ubj)$/i.test(p) || p.endsWith('.py'))) {
    return { runtime: 'mlserver', reason: 'Python code or a pickled model is served by MLServer' };
  }
  throw new InputError([
    {
      input: 'runtime',
      message: `auto could not tell the runtime from the model's files (${describeListing(paths)}); set runtime to triton, vllm, mlserver or dockerfile`,
    },
  ]);
}

const TRITON_FORMAT: Record<TritonBackend, string> = {
  onnxruntime: 'an ONNX model',
  pytorch: 'a TorchScript model',
  tensorrt: 'a TensorRT engine',
  tensorflow: 'a TensorFlow SavedModel',
};

function describeListing(paths: readonly string[]): string {
  if (paths.length === 0) return 'the folder is empty';
  const shown = [...paths].sort().slice(0, 5).join(', ');
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown;
}
