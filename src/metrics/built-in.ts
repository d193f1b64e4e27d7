/**
 * Pure: the metric checks that run by default when metrics-url is set, per runtime, on the metric
 * names each server really exports (docs/metrics.md lists them with their sources):
 *
 * - vLLM (`/metrics` on the serving port): histograms of time to first token, inter-token latency
 *   (`vllm:inter_token_latency_seconds`, `vllm:time_per_output_token_seconds` before v0.11), end
 *   to end latency and queue time, compared bucket-aware; requests waiting; KV-cache usage
 *   (`vllm:kv_cache_usage_perc`, `vllm:gpu_cache_usage_perc` before v0.10.2).
 * - Triton (port 8002): mean queue and request time per successful request from the cumulative
 *   microsecond counters, and GPU memory used.
 * - MLServer (port 8082): mean inference time from `model_infer_request_duration` (a summary), and
 *   the REST server's latency histogram of inference requests.
 * - Any runtime: the DCGM exporter's GPU memory per pod, when the cluster runs it.
 *
 * A user's Dockerfile that speaks OpenAI gets the vLLM checks marked if-present: an
 * OpenAI-compatible server that exports vLLM's names (as vLLM and the example tiny-chat model do)
 * is checked, one that does not is left alone. Comparisons are held to max-regression (its TTFT and
 * TPOT variants for those) at regression-quantile, so the metric gate and the probe's agree.
 */
import type { GateSettings } from '../inputs/gate.ts';
import type { MetricCheckSpec } from './spec.ts';

type GateBounds = Pick<
  GateSettings,
  'maxRegression' | 'maxRegressionTtft' | 'maxRegressionTpot' | 'regressionQuantile'
>;

/** Bucket counts of one arm's histogram(s) over the window; alternatives (old and new names) joined with `or`. */
function bucketsOf(...metrics: string[]): string {
  return metrics
    .map((metric) => `sum by (le) (increase(${metric}_bucket{ {{ selector }} }[{{ window }}]))`)
    .join(' or ');
}

/** Mean per event over the window, from a cumulative total and a cumulative count. */
function meanOf(total: string, count: string): string {
  return `sum(increase(${total}{ {{ selector }} }[{{ window }}])) / sum(increase(${count}{ {{ selector }} }[{{ window }}]))`;
}

function vllmChecks(gate: GateBounds, source: string, ifPresent: boolean): MetricCheckSpec[] {
  const quantile = gate.regressionQuantile;
  const histogram = (name: string, maxRegression: number, ...metrics: string[]): MetricCheckSpec => ({
    name,
    query: bucketsOf(...metrics),
    quantile,
    maxRegression,
    unit: 's',
    ifPresent,
    source,
  });
  return [
    histogram('server-ttft', gate.maxRegressionTtft, 'vllm:time_to_first_token_seconds'),
    histogram(
      'server-itl',
      gate.maxRegressionTpot,
      'vllm:inter_token_latency_seconds',
      'vllm:time_per_output_token_seconds',
    ),
    histogram('server-e2e-latency', gate.maxRegression, 'vllm:e2e_request_latency_seconds'),
    {
      ...histogram('queue-time', gate.maxRegression, 'vllm:request_queue_time_seconds'),
      // A queue of a millisecond or less is no queue: its ratio would only be noise.
      ignoreBelow: 0.001,
    },
    {
      name: 'requests-waiting',
      query: 'avg(avg_over_time(vllm:num_requests_waiting{ {{ selector }} }[{{ window }}]))',
      // On average at most one more request waiting per pod than stable has.
      maxIncrease: 1,
      unit: 'requests',
      ifPresent,
      source,
    },
    {
      name: 'kv-cache-usage',
      query:
        'max(max_over_time(vllm:kv_cache_usage_perc{ {{ selector }} }[{{ window }}]) or max_over_time(vllm:gpu_cache_usage_perc{ {{ selector }} }[{{ window }}]))',
      // Twenty points more of the KV cache than stable at the same load means a smaller cache or
      // longer sequences; near full, vLLM preempts requests.
      maxIncrease: 0.2,
      ifPresent,
      source,
    },
  ];
}

function tritonChecks(gate: GateBounds, source: string): MetricCheckSpec[] {
  return [
    {
      name: 'queue-time',
      query: meanOf('nv_inference_queue_duration_us', 'nv_inference_request_success'),
      maxRatio: 1 + gate.maxRegression,
      ignoreBelow: 1000,
      unit: 'µs',
      ifPresent: false,
      source,
    },
    {
      name: 'request-time',
      query: meanOf('nv_inference_request_duration_us', 'nv_inference_request_success'),
      maxRatio: 1 + gate.maxRegression,
      unit: 'µs',
      ifPresent: false,
      source,
    },
    {
      name: 'gpu-memory',
      query: 'max(max_over_time(nv_gpu_memory_used_bytes{ {{ selector }} }[{{ window }}]))',
      // A new version may need somewhat more memory; a quarter more than stable is a new model size.
      maxRatio: 1.25,
      unit: 'bytes',
      // Triton exports GPU metrics only where it sees a GPU.
      ifPresent: true,
      source,
    },
  ];
}

function mlserverChecks(gate: GateBounds, source: string): MetricCheckSpec[] {
  return [
    {
      name: 'inference-time',
      query: meanOf('model_infer_request_duration_sum', 'model_infer_request_duration_count'),
      maxRatio: 1 + gate.maxRegression,
      // Below a millisecond the model's time is lost in the server's own.
      ignoreBelow: 0.001,
      unit: 's',
      ifPresent: false,
      source,
    },
    {
      name: 'server-latency',
      query:
        'sum by (le) (increase(rest_server_request_duration_seconds_bucket{ {{ selector }}, path=~".*/infer" }[{{ window }}]))',
      quantile: gate.regressionQuantile,
      maxRegression: gate.maxRegression,
      unit: 's',
      ifPresent: false,
      source,
    },
  ];
}

/** The DCGM exporter's checks: its series carry the pod they measure, not the pod's labels. */
function dcgmChecks(source: string): MetricCheckSpec[] {
  return [
    {
      name: 'dcgm-gpu-memory',
      query: 'max(max_over_time(DCGM_FI_DEV_FB_USED{ {{ pods }} }[{{ window }}]))',
      maxRatio: 1.25,
      unit: 'MiB',
      ifPresent: true,
      source,
    },
  ];
}

/**
 * The built-in metric checks for a model served by `runtime` (after auto detection), whose probe
 * speaks `protocol`; a user check of the same name replaces the built-in one.
 */
export function builtInMetricChecks(
  runtime: string,
  protocol: 'v2' | 'openai' | 'http',
  gate: GateBounds,
): MetricCheckSpec[] {
  const source = `built-in (${runtime})`;
  const byRuntime =
    runtime === 'vllm'
      ? vllmChecks(gate, source, false)
      : runtime === 'triton'
        ? tritonChecks(gate, source)
        : runtime === 'mlserver'
          ? mlserverChecks(gate, source)
          : protocol === 'openai'
            ? vllmChecks(gate, 'built-in (vLLM metric names, if present)', true)
            : [];
  return [...byRuntime, ...dcgmChecks('built-in (DCGM exporter, if present)')];
}

/** The checks a step runs: the user's, then the built-in ones they do not replace by name. */
export function stepMetricChecks(
  user: readonly MetricCheckSpec[],
  builtIn: readonly MetricCheckSpec[],
): MetricCheckSpec[] {
  const named = new Set(user.map((check) => check.name));
  return [...user, ...builtIn.filter((check) => !named.has(check.name))];
}
