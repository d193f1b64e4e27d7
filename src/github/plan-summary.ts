/** Pure rendering of a Plan and the checks it runs, for the log and the job summary (dry-run shows it and stops). */
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The facts of a plan as label/value rows, shared by the log and the Markdown table. */
export function planFacts(plan: Plan, { probe, gate }: Pick<Settings, 'probe' | 'gate'>): [string, string][] {
  const rows: [string, string][] = [
    ['mode', plan.mode],
    ['stages', plan.stages.join(' → ')],
    ['namespace', plan.namespace],
    ['target', plan.target],
    [
      'objects',
      `Deployments ${plan.objects.stableDeployment}, ${plan.objects.canaryDeployment}; Services ${plan.objects.service}, ${plan.objects.stableService}, ${plan.objects.canaryService}; Lease ${plan.objects.lease}`,
    ],
    [
      'adopt',
      plan.adopt
        ? 'yes: a Deployment or Service of these names that another manager made is taken over'
        : 'no: a Deployment or Service of these names that another manager made stops the run',
    ],
    [
      'labels',
      Object.entries(plan.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ],
  ];
  if (plan.image) {
    rows.push(['image', plan.image.reference]);
    if (plan.image.releaseTags.length > 0) rows.push(['release tags', plan.image.releaseTags.join(', ')]);
    if (plan.image.cacheReference) rows.push(['build cache', plan.image.cacheReference]);
  }
  if (plan.podTemplate !== undefined) {
    const pod = plan.podTemplate;
    rows.push([
      'pod template',
      `${pod.file}: model container '${pod.modelContainer}' (${pod.modelContainerReason === 'named model' ? 'named model' : 'the first container; name one model to choose another'}); ` +
        `overridden: ${pod.overridden.join(', ')}; kept from the template: ${[...pod.kept, 'everything else'].join(', ')}`,
    ]);
  }
  rows.push([
    'traffic',
    `${plan.traffic.router}, canary steps ${plan.traffic.steps.map((s) => `${s}%`).join(' → ')}` +
      (plan.traffic.pauseAfter !== undefined
        ? `, then pause after ${plan.traffic.pauseAfter}% for mode promote or revert to finish`
        : ''),
  ]);
  rows.push(['GPU budget', gpuBudgetFact(plan.traffic)]);
  rows.push([
    'probe',
    `${probe.protocol ?? 'runtime default'} via ${probe.target}, ${probe.ratePerSecond} req/s per arm for ${formatMs(probe.durationMs)} after ${formatMs(probe.warmupMs)} warm-up`,
  ]);
  const limits = [
    gate.maxP95Ms !== undefined ? `p95 ≤ ${gate.maxP95Ms} ms` : undefined,
    gate.maxP99Ms !== undefined ? `p99 ≤ ${gate.maxP99Ms} ms` : undefined,
    `errors ≤ ${(gate.maxErrorRate * 100).toFixed(2)}%`,
    `p95 regression ≤ ${(gate.maxRegression * 100).toFixed(1)}% at ${gate.confidence} confidence`,
    // Streams are judged on their tokens too; v2 and plain HTTP probes send none.
    probe.protocol === 'v2' || probe.protocol === 'http'
      ? undefined
      : `streamed OpenAI answers: TTFT regression ≤ ${(gate.maxRegressionTtft * 100).toFixed(1)}%, TPOT regression ≤ ${(gate.maxRegressionTpot * 100).toFixed(1)}%`,
    `inconclusive → ${gate.onInconclusive}`,
  ].filter((s) => s !== undefined);
  rows.push(['gate', limits.join('; ')]);
  return rows;
}

/**
 * Input gpu-budget as the run will apply it. `auto` and an autoscaler are found by the pre-flight,
 * against the cluster; the run's log says what it found (src/kube/rollout.ts, budgetPreflight).
 */
function gpuBudgetFact(traffic: Plan['traffic']): string {
  if (traffic.gpusPerReplica === 0) return 'none: the pods ask for no GPU';
  const extra = traffic.maxExtraGpus > 0 ? ` + ${traffic.maxExtraGpus} (max-extra-gpus)` : '';
  const shift = `shift (stable lends the canary its replicas step by step: GPUs in use at most stable's${extra})`;
  const spare = "spare (the canary on free GPUs beside stable's, room for the largest step checked first)";
  const autoscaler =
    '; an HPA or KEDA ScaledObject on stable keeps its replicas, and the canary is added as spare';
  if (traffic.gpuBudget === 'spare') return `${spare}${autoscaler}`;
  if (traffic.gpuBudget === 'shift')
    return `${shift}; refused when an HPA or KEDA ScaledObject owns stable's replicas`;
  return `auto: ${spare} when the pre-flight finds room, else ${shift}${autoscaler}`;
}

/** Markdown for the job summary of a dry run. */
export function renderPlanMarkdown(plan: Plan, settings: Pick<Settings, 'probe' | 'gate'>): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    `## model-canary plan (dry run: nothing was changed)`,
    '',
    '| | |',
    '|---|---|',
    ...planFacts(plan, settings).map(([label, value]) => `| ${label} | ${escape(value)} |`),
    '',
  ].join('\n');
}
