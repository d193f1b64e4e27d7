/**
 * Serving runtime presets (pure data): the pinned GPU base image, where the model goes, the port,
 * the health and readiness paths, the inference protocol and the start command of each runtime.
 * Deploy and analysis stages read the same preset, so the image and its probes always agree.
 */
import type { Protocol } from '../inputs/probe.ts';

/** A runtime whose Dockerfile model-canary writes (`dockerfile` builds the user's own). */
export type ServingRuntime = 'triton' | 'vllm' | 'mlserver';

export interface RuntimePreset {
  runtime: ServingRuntime;
  /** Public base image, pinned by version; input `base-image` overrides it. */
  baseImage: string;
  /** Folder in the image that holds the model (or the model repository). */
  modelRoot: string;
  /** HTTP port the server listens on. */
  port: number;
  /** Other ports the server opens (gRPC, metrics), declared with EXPOSE. */
  extraPorts: number[];
  protocol: Protocol;
  /** Server liveness: answers while the process is healthy. */
  livenessPath: string;
  /** Where the server exports Prometheus metrics. */
  metrics: { port: number; path: string };
  /** User the base image runs as; model-canary switches back to it after installing requirements. */
  user?: string;
}

export const RUNTIME_PRESETS: Readonly<Record<ServingRuntime, Readonly<RuntimePreset>>> = {
  triton: {
    runtime: 'triton',
    baseImage: 'nvcr.io/nvidia/tritonserver:25.01-py3',
    modelRoot: '/models',
    port: 8000,
    extraPorts: [8001, 8002],
    protocol: 'v2',
    livenessPath: '/v2/health/live',
    metrics: { port: 8002, path: '/metrics' },
  },
  vllm: {
    runtime: 'vllm',
    baseImage: 'vllm/vllm-openai:v0.10.1.1',
    modelRoot: '/models',
    port: 8000,
    extraPorts: [],
    protocol: 'openai',
    livenessPath: '/health',
    metrics: { port: 8000, path: '/metrics' },
  },
  mlserver: {
    runtime: 'mlserver',
    baseImage: 'seldonio/mlserver:1.7.1',
    modelRoot: '/mnt/models',
    port: 8080,
    extraPorts: [8081, 8082],
    protocol: 'v2',
    livenessPath: '/v2/health/live',
    metrics: { port: 8082, path: '/metrics' },
    user: '1000',
  },
};

/**
 * The image's CMD for each runtime: the deploy stage starts a container's `args` from it when it
 * adds arguments (Kubernetes args replace CMD). vLLM's server arguments are all in its ENTRYPOINT,
 * which the Dockerfile writes with the model's folder and name, so its CMD is empty and args add.
 */
export function serverCommand(runtime: ServingRuntime): string[] {
  const preset = RUNTIME_PRESETS[runtime];
  switch (runtime) {
    case 'triton':
      return [
        'tritonserver',
        `--model-repository=${preset.modelRoot}`,
        `--http-port=${preset.port}`,
        '--strict-readiness=true',
      ];
    case 'vllm':
      return [];
    case 'mlserver':
      return ['mlserver', 'start', preset.modelRoot];
  }
}

/** The flag a runtime takes for the number of GPUs one server spreads the model over. */
export const TENSOR_PARALLEL_FLAGS: Readonly<
  Partial<Record<ServingRuntime, { flag: string; aliases: string[] }>>
> = {
  vllm: { flag: '--tensor-parallel-size', aliases: ['-tp'] },
};

/** How the deploy and analysis stages reach a model served by a preset. */
export interface ServingEndpoints {
  port: number;
  protocol: Protocol;
  livenessPath: string;
  /** Ready only when this model is loaded (not just the server), for the readiness probe. */
  readinessPath: string;
  /** Where an inference request for this model goes. */
  inferencePath: string;
}

/** The ports, paths and protocol of `model` served by `runtime`. */
export function servingEndpoints(runtime: ServingRuntime, model: string): ServingEndpoints {
  const preset = RUNTIME_PRESETS[runtime];
  const name = encodeURIComponent(model);
  if (runtime === 'vllm') {
    // vLLM has no per-model readiness; /v1/models lists the model once it is loaded and /health
    // answers only after the engine started.
    return {
      port: preset.port,
      protocol: preset.protocol,
      livenessPath: preset.livenessPath,
      readinessPath: '/health',
      inferencePath: '/v1/completions',
    };
  }
  return {
    port: preset.port,
    protocol: preset.protocol,
    livenessPath: preset.livenessPath,
    readinessPath: `/v2/models/${name}/ready`,
    inferencePath: `/v2/models/${name}/infer`,
  };
}
