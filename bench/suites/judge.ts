/**
 * judge: the latency gate's error rates by seeded simulation, on the latency shapes GPU servers
 * produce (docs/judge.md "Measured").
 *
 * Each cell draws both arms from a shape: a function of one standard normal z and one uniform u per
 * request (below). Families: lognormal (σ 0.25–1), two modes (a share of requests 2× or 5× slower:
 * batching, cache misses), a point mass at a cap (a share of requests at a 500 ms timeout), Pareto
 * tails (α 1.1 and 2), latencies rounded to 1 ms, unequal arms (stable ¼ of the canary's requests),
 * errors in both arms, and 40,000 requests per arm (the summarized path). A/A cells give both arms one shape; regressed cells change the canary's.
 * Our judge looks at ¼, ½, ¾ and all of the requests and stops at the first decision; reverted =
 * the verdict `revert` (inconclusive is not reverted). Peers on the full samples: Kayenta-style
 * (Mann-Whitney: two-sided 98 % Hodges-Lehmann interval of the raw latencies; High when its lower
 * end exceeds Kayenta's tolerance band 0.25·|HL| and the mean ratio ≥ 1.0, the MannWhitneyClassifier
 * defaults) and Flagger-style (canary sample p99 above stable's true p99 × 1.1).
 * JUDGE_BENCH_RUNS overrides the 2,000 runs of a regressed cell, JUDGE_BENCH_AA_RUNS the 10,000 of an
 * A/A cell, JUDGE_BENCH_THREADS the worker threads (availableParallelism()).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_PLANNED_LOOKS, MIN_SAMPLES_PER_ARM, falseRevertBudget } from '../../src/checks/check.ts';
import { judgeStep } from '../../src/checks/step.ts';
import type { Settings } from '../../src/inputs/settings.ts';
import { normalQuantile } from '../../src/stats/distributions.ts';
import { Memo } from '../../src/stats/memo.ts';
import { quantileOfSorted } from '../../src/stats/quantiles.ts';
import { xoshiro128 } from '../../src/stats/random.ts';
import { hodgesLehmannOfSorted, shiftConfidenceBoundsOfSorted } from '../../src/stats/rank-tests.ts';
import { DEFAULT_GATE as GATE } from '../../__tests__/support/gate.ts';
import { normalSampler } from '../../__tests__/support/samplers.ts';
import type { Metric, Suite, SuiteResults } from '../results.ts';
import { answerRevertRates } from '../answers-simulation.ts';

const RUNS = Number(process.env.JUDGE_BENCH_RUNS ?? 2000);
/** 10,000 runs measure a 1 % rate to ±0.1 % (one standard error). */
const AA_RUNS = Number(process.env.JUDGE_BENCH_AA_RUNS ?? 10_000);

/** One request's latency (ms) from a standard normal z and a uniform u; NaN for a failed request. */
type Shape = (z: number, u: number) => number;

const lognormal =
  (sigma: number, median = 20): Shape =>
  (z) =>
    median * Math.exp(sigma * z);
/** A share of requests in a slow mode `gap` times the fast one's median, both lognormal σ 0.2. */
const bimodal =
  (share: number, gap: number): Shape =>
  (z, u) =>
    20 * (u < share ? gap : 1) * Math.exp(0.2 * z);
/** A share of requests at a 500 ms timeout; the rest lognormal σ 0.5, none above the cap. */
const capped =
  (share: number): Shape =>
  (z, u) =>
    u < share ? 500 : Math.min(500, 20 * Math.exp(0.5 * z));
/** Pareto with scale 10 ms and shape α (α 1.1: no variance, barely a mean). */
const pareto =
  (alpha: number): Shape =>
  (_z, u) =>
    10 * (1 - u) ** (-1 / alpha);
const rounded =
  (shape: Shape): Shape =>
  (z, u) =>
    Math.round(shape(z, u));
/** A share of failed requests; the uniform is reused, rescaled, for the shape. */
const failing =
  (share: number, shape: Shape): Shape =>
  (z, u) =>
    u < share ? Number.NaN : shape(z, (u - share) / (1 - share));
/** The slowest share of requests (z above its quantile) `factor` times slower. */
const slowestTimes =
  (shape: Shape, share: number, factor: number): Shape =>
  (z, u) =>
    shape(z, u) * (z > normalQuantile(1 - share) ? factor : 1);
/** Tail +20 % at p95: on the log scale canary = y + a·max(0, z), a = ln 1.2 / z_0.95 (median unchanged). */
const tail20 =
  (sigma: number): Shape =>
  (z) =>
    20 * Math.exp(sigma * z + (Math.log(1.2) / normalQuantile(0.95)) * Math.max(0, z));
const times =
  (shape: Shape, factor: number): Shape =>
  (z, u) =>
    shape(z, u) * factor;

interface CellSpec {
  key: string;
  family: string;
  label: string;
  stable: Shape;
  canary: Shape;
  nCanary: number;
  nStable: number;
  aa: boolean;
  gate?: Partial<Settings['gate']>;
}

const aa = (key: string, family: string, label: string, shape: Shape, n = 800, nStable = n): CellSpec => ({
  key,
  family,
  label,
  stable: shape,
  canary: shape,
  nCanary: n,
  nStable,
  aa: true,
});
const regressed = (
  key: string,
  family: string,
  label: string,
  stable: Shape,
  canary: Shape,
  gate?: Partial<Settings['gate']>,
): CellSpec => ({
  key,
  family,
  label,
  stable,
  canary,
  nCanary: 800,
  nStable: 800,
  aa: false,
  ...(gate ? { gate } : {}),
});

const CELLS: CellSpec[] = [
  aa('lognormal_sigma025_n800', 'lognormal', 'σ 0.25', lognormal(0.25)),
  aa('lognormal_sigma05_n800', 'lognormal', 'σ 0.5', lognormal(0.5)),
  aa('lognormal_sigma10_n200', 'lognormal', 'σ 1, n 200', lognormal(1), 200),
  aa('lognormal_sigma10_n800', 'lognormal', 'σ 1', lognormal(1)),
  aa('lognormal_sigma10_n1600', 'lognormal', 'σ 1, n 1600', lognormal(1), 1600),
  ...[0.05, 0.2, 0.5].flatMap((share) =>
    [2, 5].map((gap) =>
      aa(
        `bimodal_share${share * 100}_gap${gap}_n800`,
        'two modes',
        `${share * 100} % at ${gap}×`,
        bimodal(share, gap),
      ),
    ),
  ),
  aa('bimodal_share5_gap5_n200', 'two modes', '5 % at 5×, n 200', bimodal(0.05, 5), 200),
  aa('bimodal_share5_gap5_n1600', 'two modes', '5 % at 5×, n 1600', bimodal(0.05, 5), 1600),
  ...[0.01, 0.05, 0.2].map((share) =>
    aa(`capped_share${share * 100}_n800`, 'cap', `${share * 100} % at 500 ms`, capped(share)),
  ),
  aa('pareto_alpha11_n800', 'pareto', 'α 1.1', pareto(1.1)),
  aa('pareto_alpha2_n800', 'pareto', 'α 2', pareto(2)),
  aa('rounded_lognormal_n800', 'rounded 1 ms', 'lognormal 5 ms σ 0.3', rounded(lognormal(0.3, 5))),
  aa('rounded_bimodal_n800', 'rounded 1 ms', '20 % at 5×', rounded(bimodal(0.2, 5))),
  aa('unequal_lognormal_n800', 'unequal arms', 'σ 0.5, stable 200', lognormal(0.5), 800, 200),
  aa('unequal_bimodal_n800', 'unequal arms', '5 % at 5×, stable 200', bimodal(0.05, 5), 800, 200),
  // Above EXACT_SAMPLE_LIMIT (20,000) the arms are summarized: looks 3 and 4 here judge log buckets.
  aa('summarized_lognormal_sigma05_n40000', 'summarized', 'σ 0.5, n 40,000', lognormal(0.5), 40_000),
  aa('summarized_bimodal_share5_gap5_n40000', 'summarized', '5 % at 5×, n 40,000', bimodal(0.05, 5), 40_000),
  aa('errors_both_arms', 'errors', '1 % both, σ 0.5', failing(0.01, lognormal(0.5))),
  aa('errors_both_arms_3pct', 'errors', '3 % both, σ 0.5', failing(0.03, lognormal(0.5))),
  regressed('shift20_sigma05_n800', 'lognormal', '+20 % all', lognormal(0.5), times(lognormal(0.5), 1.2)),
  regressed(
    'shift10_sigma05_n800',
    'lognormal',
    '+10 % all (at the tolerance)',
    lognormal(0.5),
    times(lognormal(0.5), 1.1),
  ),
  regressed('tail20_sigma05_n800', 'lognormal', 'tail +20 % p95', lognormal(0.5), tail20(0.5)),
  regressed(
    'p99_x2_slowest2pct_n800',
    'tail only',
    'slowest 2 % ×2',
    lognormal(0.5),
    slowestTimes(lognormal(0.5), 0.02, 2),
  ),
  regressed(
    'p99_x2_slowest2pct_n800_regression_quantile_p99',
    'tail only',
    'slowest 2 % ×2, regression-quantile p99',
    lognormal(0.5),
    slowestTimes(lognormal(0.5), 0.02, 2),
    { regressionQuantile: 0.99 },
  ),
  regressed(
    'p95_x13_slowest10pct_n800',
    'tail only',
    'slowest 10 % ×1.3',
    lognormal(0.5),
    slowestTimes(lognormal(0.5), 0.1, 1.3),
  ),
  regressed(
    'bimodal_share5to10_gap5_n800',
    'two modes',
    'slow share 5 → 10 % at 5×',
    bimodal(0.05, 5),
    bimodal(0.1, 5),
  ),
  regressed('capped_share1to5_n800', 'cap', 'timeouts 1 → 5 %', capped(0.01), capped(0.05)),
  regressed(
    'errors_1to3pct_n800',
    'errors',
    'errors 1 → 3 %',
    failing(0.01, lognormal(0.5)),
    failing(0.03, lognormal(0.5)),
  ),
];

interface CellResult {
  ours: number;
  kayenta: number;
  flagger: number;
  samplesUsed: number;
  runs: number;
}

/** One arm's requests: latencies of the successful ones in order, and the running error count. */
function drawArm(shape: Shape, n: number, normal: () => number, random: () => number) {
  const latencies = new Float64Array(n);
  const errorsBefore = new Uint32Array(n + 1);
  let successes = 0;
  for (let i = 0; i < n; i++) {
    const value = shape(normal(), random());
    errorsBefore[i + 1] = errorsBefore[i]! + (Number.isNaN(value) ? 1 : 0);
    if (!Number.isNaN(value)) latencies[successes++] = value;
  }
  return { latencies: latencies.subarray(0, successes), errorsBefore };
}

type Arm = ReturnType<typeof drawArm>;

/** The arm as the judge sees it after its first `requests` requests. */
function armAt(arm: Arm, requests: number) {
  const errors = arm.errorsBefore[requests]!;
  return { latenciesMs: arm.latencies.subarray(0, requests - errors), errors, requests };
}

function oursReverts(canary: Arm, stable: Arm, spec: CellSpec, memo: Memo) {
  const gate = { ...GATE, ...spec.gate };
  for (let look = 1; look <= DEFAULT_PLANNED_LOOKS; look++) {
    const at = (n: number) => Math.ceil((n * look) / DEFAULT_PLANNED_LOOKS);
    const verdict = judgeStep({
      canary: armAt(canary, at(spec.nCanary)),
      stable: armAt(stable, at(spec.nStable)),
      gate,
      look: { index: look, of: DEFAULT_PLANNED_LOOKS },
      memo,
    });
    if (verdict.decision !== 'continue') {
      return { reverted: verdict.decision === 'revert', used: at(spec.nCanary) };
    }
  }
  return { reverted: false, used: spec.nCanary };
}

/** Kayenta's MannWhitneyClassifier with its defaults, at the 98 % confidence NetflixACAJudge uses. */
function kayentaReverts(sortedCanary: Float64Array, sortedStable: Float64Array): boolean {
  // Two-sided 98 % interval = one-sided 99 % bounds.
  const { lower } = shiftConfidenceBoundsOfSorted(sortedCanary, sortedStable, 0.99);
  if (!(lower > 0)) return false;
  const estimate = hodgesLehmannOfSorted(sortedCanary, sortedStable);
  const mean = (values: Float64Array) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return lower > 0.25 * Math.abs(estimate) && mean(sortedCanary) / mean(sortedStable) >= 1;
}

/** The stable shape's p99 from 200,000 draws: the Flagger-style threshold's base. */
function trueP99(shape: Shape, seed: number): number {
  const random = xoshiro128(seed);
  const normal = normalSampler(random);
  const values = Float64Array.from({ length: 200_000 }, () => shape(normal(), random()))
    .filter((value) => !Number.isNaN(value))
    .sort();
  return quantileOfSorted(values, 0.99);
}

function simulateCell(spec: CellSpec, seed: number): CellResult {
  const random = xoshiro128(seed);
  const normal = normalSampler(random);
  const memo = new Memo();
  const flaggerThreshold = trueP99(spec.stable, seed + 7919) * 1.1;
  const runs = spec.aa ? AA_RUNS : RUNS;
  const result: CellResult = { ours: 0, kayenta: 0, flagger: 0, samplesUsed: 0, runs };
  for (let run = 0; run < runs; run++) {
    const stable = drawArm(spec.stable, spec.nStable, normal, random);
    const canary = drawArm(spec.canary, spec.nCanary, normal, random);
    const ours = oursReverts(canary, stable, spec, memo);
    result.ours += ours.reverted ? 1 : 0;
    result.samplesUsed += ours.used;
    const sortedCanary = Float64Array.from(canary.latencies).sort();
    const sortedStable = Float64Array.from(stable.latencies).sort();
    result.kayenta += kayentaReverts(sortedCanary, sortedStable) ? 1 : 0;
    result.flagger += quantileOfSorted(sortedCanary, 0.99) > flaggerThreshold ? 1 : 0;
  }
  result.ours /= runs;
  result.kayenta /= runs;
  result.flagger /= runs;
  result.samplesUsed /= runs;
  return result;
}

/** One look's wall time and the process's peak resident memory, at n latencies per arm (child process). */
function measureLook(n: number): { ms: number; rssMb: number } {
  const draw = normalSampler(xoshiro128(n));
  const canary = Float64Array.from({ length: n }, () => 20 * Math.exp(0.5 * draw()));
  const stable = Float64Array.from({ length: n }, () => 20 * Math.exp(0.5 * draw()));
  const started = performance.now();
  judgeStep({
    canary: { latenciesMs: canary, errors: 0, requests: n },
    stable: { latenciesMs: stable, errors: 0, requests: n },
    gate: GATE,
    look: { index: DEFAULT_PLANNED_LOOKS, of: DEFAULT_PLANNED_LOOKS },
  });
  return { ms: performance.now() - started, rssMb: process.resourceUsage().maxRSS / 1024 };
}

// In a child process: one look's cost, alone in its process so the peak memory is the look's own.
if (isMainThread && process.env.JUDGE_LOOK_SAMPLES !== undefined) {
  console.log(JSON.stringify(measureLook(Number(process.env.JUDGE_LOOK_SAMPLES))));
}

// In a worker: simulate the cells given and send them back. Cells are independent and seeded, so
// splitting them over threads changes no figure, only the wall time.
if (!isMainThread && (workerData as { judgeCells?: number[] } | undefined)?.judgeCells) {
  const indices = (workerData as { judgeCells: number[] }).judgeCells;
  parentPort!.postMessage(indices.map((index) => [index, simulateCell(CELLS[index]!, 1 + index)] as const));
}

async function simulateCells(): Promise<CellResult[]> {
  const threads = Math.max(
    1,
    Math.min(Number(process.env.JUDGE_BENCH_THREADS ?? availableParallelism()), CELLS.length),
  );
  const cost = (spec: CellSpec) => (spec.aa ? AA_RUNS : RUNS) * (spec.nCanary + spec.nStable);
  const shares: number[][] = Array.from({ length: threads }, () => []);
  // Costlier cells first, dealt round-robin, so the threads finish together.
  CELLS.map((spec, index) => ({ index, cost: cost(spec) }))
    .sort((a, b) => b.cost - a.cost)
    .forEach(({ index }, order) => shares[order % threads]!.push(index));
  const done = await Promise.all(
    shares.map(
      (share) =>
        new Promise<(readonly [number, CellResult])[]>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { judgeCells: share } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const results: CellResult[] = [];
  for (const [index, result] of done.flat()) results[index] = result;
  return results;
}

function lookCost(n: number): { ms: number; rssMb: number } {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, JUDGE_LOOK_SAMPLES: String(n) },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`look cost at n = ${n} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number; rssMb: number };
}

const pct = (share: number, digits = 2) => `${(share * 100).toFixed(digits)} %`.padStart(9);
const standardError = (rate: number, runs: number) => Math.sqrt((Math.max(rate, 1e-4) * (1 - rate)) / runs);

export const run: Suite = async () => {
  const started = performance.now();
  console.log(
    `judge settings: confidence ${GATE.confidence}, max-regression ${GATE.maxRegression * 100} %, ` +
      `regression-quantile p${GATE.regressionQuantile * 100}, false-revert budget ${(falseRevertBudget(GATE.confidence) * 100).toFixed(1)} %, ` +
      `${DEFAULT_PLANNED_LOOKS} looks, min ${MIN_SAMPLES_PER_ARM} samples per arm; ${AA_RUNS} seeded runs per A/A cell, ${RUNS} per regressed cell`,
  );
  const costs = { n1e4: lookCost(10_000), n1e6: lookCost(1_000_000) };
  console.log(
    `one look (fresh process): ${costs.n1e4.ms.toFixed(0)} ms at 10,000 per arm, ${costs.n1e6.ms.toFixed(0)} ms and ${costs.n1e6.rssMb.toFixed(0)} MB peak RSS at 1,000,000 per arm`,
  );
  const results = await simulateCells();
  console.log(
    `\n${'cell'.padEnd(52)}${'runs'.padStart(7)}${'ours'.padStart(10)}${'± s.e.'.padStart(9)}${'used'.padStart(7)}${'kayenta'.padStart(10)}${'flagger'.padStart(10)}`,
  );
  CELLS.forEach((spec, index) => {
    const cell = results[index]!;
    console.log(
      `${`${spec.aa ? 'A/A' : 'regr'} ${spec.family}: ${spec.label}`.padEnd(52)}${String(cell.runs).padStart(7)}${pct(cell.ours)} ${pct(standardError(cell.ours, cell.runs)).trim().padStart(8)} ${cell.samplesUsed.toFixed(0).padStart(6)}${pct(cell.kayenta)} ${pct(cell.flagger)}`,
    );
  });

  const metrics: SuiteResults = {};
  const ratio = (value: number, peer?: string, peerValue?: number): Metric => ({
    value,
    unit: 'ratio',
    ...(peer !== undefined && peerValue !== undefined ? { peer, peer_value: peerValue } : {}),
  });
  const KAYENTA = 'kayenta-style mann-whitney';
  const FLAGGER = 'flagger-style p99 threshold';
  const byKey = (key: string) => results[CELLS.findIndex((spec) => spec.key === key)]!;
  let worst = { key: '', cell: results[0]! };
  CELLS.forEach((spec, index) => {
    const cell = results[index]!;
    if (spec.aa && cell.ours >= worst.cell.ours) worst = { key: spec.key, cell };
    metrics[`${spec.aa ? 'aa_false_revert_rate' : 'revert_rate'}_${spec.key}`] = ratio(
      cell.ours,
      KAYENTA,
      cell.kayenta,
    );
    metrics[`flagger_revert_rate_${spec.key}`] = ratio(cell.flagger);
    metrics[`samples_used_${spec.key}`] = { value: cell.samplesUsed, unit: 'samples per arm' };
  });
  const worstKayenta = Math.max(...CELLS.map((spec, index) => (spec.aa ? results[index]!.kayenta : 0)));
  metrics.aa_false_revert_rate_worst_family = ratio(worst.cell.ours, KAYENTA, worstKayenta);
  metrics.aa_false_revert_rate_worst_family_standard_error = ratio(
    standardError(worst.cell.ours, worst.cell.runs),
  );
  metrics.aa_false_revert_rate_errors_both_arms = ratio(
    byKey('errors_both_arms').ours,
    KAYENTA,
    byKey('errors_both_arms').kayenta,
  );
  for (const key of [
    'shift20_sigma05_n800',
    'tail20_sigma05_n800',
    'p99_x2_slowest2pct_n800',
    'p95_x13_slowest10pct_n800',
  ]) {
    metrics[`power_${key}`] = ratio(byKey(key).ours, KAYENTA, byKey(key).kayenta);
    metrics[`flagger_power_${key}`] = ratio(byKey(key).flagger);
  }
  const p99 = byKey('p99_x2_slowest2pct_n800_regression_quantile_p99');
  metrics.power_p99_x2_slowest2pct_n800_regression_quantile_p99 = ratio(p99.ours, FLAGGER, p99.flagger);
  metrics.judge_look_ms_n1e4 = { value: costs.n1e4.ms, unit: 'ms' };
  metrics.judge_look_ms_n1e6 = { value: costs.n1e6.ms, unit: 'ms' };
  metrics.judge_rss_mb_n1e6 = { value: costs.n1e6.rssMb, unit: 'MB' };
  console.log(
    `\nA/A false reverts, worst cell of every family: ${worst.key} ${pct(worst.cell.ours).trim()} ± ${pct(standardError(worst.cell.ours, worst.cell.runs)).trim()} (one standard error); Kayenta-style worst ${pct(worstKayenta).trim()}`,
  );
  Object.assign(metrics, answerRevertRates());
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`);
  return metrics;
};
