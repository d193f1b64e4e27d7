import { describe, expect, it } from '@jest/globals';
import { builtInMetricChecks, stepMetricChecks } from '../../../src/metrics/built-in.ts';
import { templateVariablesOf } from '../../../src/metrics/query.ts';
import { DEFAULT_GATE } from '../../support/gate.ts';

const GATE = { ...DEFAULT_GATE, maxRegressionTtft: 0.2, maxRegressionTpot: 0.3 };

describe('built-in metric checks', () => {
  it.each([
    [
      'vllm',
      'openai',
      [
        'server-ttft',
        'server-itl',
        'server-e2e-latency',
        'queue-time',
        'requests-waiting',
        'kv-cache-usage',
        'dcgm-gpu-memory',
      ],
    ],
    ['triton', 'v2', ['queue-time', 'request-time', 'gpu-memory', 'dcgm-gpu-memory']],
    ['mlserver', 'v2', ['inference-time', 'server-latency', 'dcgm-gpu-memory']],
    [
      'dockerfile',
      'openai',
      [
        'server-ttft',
        'server-itl',
        'server-e2e-latency',
        'queue-time',
        'requests-waiting',
        'kv-cache-usage',
        'dcgm-gpu-memory',
      ],
    ],
    ['dockerfile', 'v2', ['dcgm-gpu-memory']],
  ] as const)('%s speaking %s: %j', (runtime, protocol, names) => {
    const checks = builtInMetricChecks(runtime, protocol, GATE);
    expect(checks.map((check) => check.name)).toEqual(names);
    for (const check of checks) {
      const variables = templateVariablesOf(check.query);
      expect(variables.includes('selector') || variables.includes('pods')).toBe(true);
      expect(variables.every((v) => ['selector', 'pods', 'window'].includes(v))).toBe(true);
      // Every built-in check is held to something.
      expect(
        [check.max, check.min, check.maxRatio, check.maxIncrease, check.maxRegression].some(
          (b) => b !== undefined,
        ),
      ).toBe(true);
    }
  });

  it("uses the names each server exports, vLLM's old and new ones joined with or", () => {
    const vllm = builtInMetricChecks('vllm', 'openai', GATE);
    const itl = vllm.find((check) => check.name === 'server-itl')!;
    expect(itl.query).toContain('vllm:inter_token_latency_seconds_bucket');
    expect(itl.query).toContain(' or ');
    expect(itl.query).toContain('vllm:time_per_output_token_seconds_bucket');
    expect(vllm.find((check) => check.name === 'kv-cache-usage')!.query).toMatch(
      /vllm:kv_cache_usage_perc.* or .*vllm:gpu_cache_usage_perc/,
    );
    const triton = builtInMetricChecks('triton', 'v2', GATE)
      .map((check) => check.query)
      .join('\n');
    for (const name of [
      'nv_inference_queue_duration_us',
      'nv_inference_request_duration_us',
      'nv_gpu_memory_used_bytes',
    ]) {
      expect(triton).toContain(name);
    }
    expect(builtInMetricChecks('dockerfile', 'v2', GATE)[0]!.query).toContain(
      'DCGM_FI_DEV_FB_USED{ {{ pods }} }',
    );
  });

  it('holds TTFT and inter-token latency to their own max-regression, the rest to max-regression, at regression-quantile', () => {
    const byName = new Map(builtInMetricChecks('vllm', 'openai', GATE).map((check) => [check.name, check]));
    expect(byName.get('server-ttft')).toMatchObject({ maxRegression: 0.2, quantile: 0.95 });
    expect(byName.get('server-itl')).toMatchObject({ maxRegression: 0.3 });
    expect(byName.get('server-e2e-latency')).toMatchObject({ maxRegression: 0.1 });
    expect(byName.get('server-ttft')!.ifPresent).toBe(false);
    expect(builtInMetricChecks('dockerfile', 'openai', GATE).every((check) => check.ifPresent)).toBe(true);
  });

  it("runs the user's checks first; one of a built-in check's name replaces it", () => {
    const builtIn = builtInMetricChecks('triton', 'v2', GATE);
    const mine = {
      name: 'queue-time',
      query: 'q{ {{ selector }} }',
      max: 5,
      ifPresent: false,
      source: 'metrics-checks item 1',
    };
    const checks = stepMetricChecks([mine], builtIn);
    expect(checks.map((check) => [check.name, check.source])).toEqual([
      ['queue-time', 'metrics-checks item 1'],
      ['request-time', 'built-in (triton)'],
      ['gpu-memory', 'built-in (triton)'],
      ['dcgm-gpu-memory', 'built-in (DCGM exporter, if present)'],
    ]);
  });
});
