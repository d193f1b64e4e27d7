/**
 * The `analyse` stage: measures the canary beside stable on one interleaved schedule and runs the
 * step's checks at planned looks, stopping as soon as the answer is clear. Connects the pieces:
 * targets (how to reach each arm) → protocols (what to send, after readiness) → load (the
 * schedule) → checks (the decision). Returns the judgement with every number the report shows;
 * decide measures the later canary steps with the same analyseStep.
 */
import * as runner from '../github/runner.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { AnswerCollector } from '../answers/collector.ts';
import { MAX_ANSWER_BYTES } from '../answers/pairing.ts';
import { answersNeeded } from '../checks/answers.ts';
import type { ContainerCrash } from '../checks/canary-pods.ts';
import { DEFAULT_PLANNED_LOOKS, falseRevertBudget } from '../checks/check.ts';
import { judgeStep, warmChecks, type StepJudgement } from '../checks/step.ts';
import { ClusterError } from '../errors.ts';
import { compareModeFor } from '../inputs/answers.ts';
import type { Settings } from '../inputs/settings.ts';
import { clusterOf } from '../kube/cluster.ts';
import { trackSelector } from '../kube/labels.ts';
import { watchForCrashes } from '../kube/rollout-watch.ts';
import { canaryStep, type CanaryStep } from '../kube/rollout.ts';
import { objectNames, type Plan } from '../plan.ts';
import type { Run, StepAnalysis, StepVerdict } from '../run.ts';
import {
  hrtimeClock,
  httpSender,
  measureLoad,
  type ArmCounts,
  type ArmEndpoint,
  type GeneratorHealth,
  type LoadAccounting,
  type LoadOptions,
  type LoadRun,
  type ProbeRequest,
} from '../load/generator.ts';
import { prepareProbe, probeProtocolFor, requestsOfSet, type ProbeSpec } from '../load/protocols.ts';
import {
  armGet,
  describeArm,
  openArms,
  proxyArmTargets,
  urlArmTarget,
  type ArmName,
  type ArmTarget,
} from '../load/targets.ts';
import { builtInMetricChecks, stepMetricChecks } from '../metrics/built-in.ts';
import { PrometheusClient } from '../metrics/prometheus.ts';
import type { MetricCheckSpec } from '../metrics/spec.ts';
import { evaluationIntervalMs, MetricsWatch, type StepArms } from '../metrics/watch.ts';
import { latencyPercentiles, type LatencyPercentiles } from '../stats/latency-percentiles.ts';
import { Memo } from '../stats/memo.ts';

/** Arms in schedule order: request 0 goes to stable, 1 to canary, 2 to stable, … */
export const ARMS: readonly ArmName[] = ['stable', 'canary'];
/** A request still unanswered after this long counts as a timeout. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Readiness and metadata requests before the measurement. */
const PREPARE_TIMEOUT_MS = 10_000;

/**
 * What one arm saw in the measurement window, for the report; the percentiles are of its 2xx
 * latencies (from the intended send time), by the checks' estimator.
 */
export interface ArmSummary extends LatencyPercentiles {
  target: string;
  attempted: number;
  ok: number;
  errors: ArmCounts['errors'];
  statuses: ArmCounts['statuses'];
  errorRate: number;
}

/** What the load generator saw in one step's measurement. */
export interface MeasuredLoad {
  arms: Partial<Record<ArmName, ArmSummary>>;
  generator: GeneratorHealth;
  protocol: ProbeSpec['protocol'];
  /** Requests per second offered to each arm. */
  ratePerArm: number;
  /** Looks the judge made, and whether it stopped before the planned end. */
  looksTaken: number;
  stoppedEarly: boolean;
  measuredMs: number;
}

export interface AnalysisResult extends MeasuredLoad {
  /** The step's checks at the look that decided (or the last look). */
  judgement: StepJudgement;
}

export interface AnalyseOptions {
  /** Arm Services when not the plan's (e.g. a preview measured against production's stable). */
  services?: Partial<Record<ArmName, string>>;
  /** False for the first deployment: only the canary is measured, against absolute limits. */
  compareWithStable?: boolean;
  /** The model name for v2 when probe-path does not name it; default the plan's target. */
  modelName?: string;
  /** The runtime the build found (runtime auto resolved), which says the probe's protocol. */
  runtime?: string;
  /** The canary containers that crashed so far (a pod watch); any one stops the step with a revert. */
  crashes?: () => readonly ContainerCrash[];
  /** The step's metric checks, the server they ask and the pods of its arms; omitted without metrics-url. */
  metrics?: {
    client: Pick<PrometheusClient, 'query' | 'url'>;
    checks: readonly MetricCheckSpec[];
    arms: StepArms;
  };
  log?: (line: string) => void;
}

/** Samples per arm at which the judge looks: K equally spaced looks up to the planned total. */
export function lookSchedule(plannedPerArm: number, looks: number): number[] {
  const total = Math.max(1, Math.floor(plannedPerArm));
  return Array.from({ length: looks }, (_, k) => Math.max(1, Math.round((total * (k + 1)) / looks)));
}

function summarise(accounting: LoadAccounting, arm: number, target: string, memo: Memo): ArmSummary {
  const counts = accounting.measured[arm]!;
  const errors = Object.values(counts.errors).reduce((sum, count) => sum + count, 0);
  return {
    target,
    attempted: counts.attempted,
    ok: counts.ok,
    errors: { ...counts.errors },
    statuses: { ...counts.statuses },
    errorRate: counts.attempted > 0 ? errors / counts.attempted : 0,
    ...latencyPercentiles(accounting.samples[arm]!.latenciesMs, memo),
  };
}

/** Finished requests (2xx or failed) of the arm with the fewest, in the measurement window. */
function minFinished(accounting: LoadAccounting): number {
  let fewest = Number.POSITIVE_INFINITY;
  for (const counts of accounting.measured) {
    const { http, timeout, network, dropped } = counts.errors;
    fewest = Math.min(fewest, counts.ok + http + timeout + network + dropped);
  }
  return fewest;
}

function measureWith(
  options: LoadOptions,
  endpoints: ArmEndpoint[],
  requests: readonly ProbeRequest[],
  answers: AnswerCollector | undefined,
): Promise<LoadRun> {
  const clock = hrtimeClock();
  answers?.startWindow();
  const capture =
    answers === undefined
      ? {}
      : {
          answers: {
            wanted: (pair: number) => answers.wanted(pair),
            take: (arm: number, pair: number, body: string) => answers.take(arm, pair, body),
            maxBytes: MAX_ANSWER_BYTES,
          },
        };
  return measureLoad(
    options,
    httpSender(endpoints, requests, { timeoutMs: REQUEST_TIMEOUT_MS, clock, ...capture }),
    clock,
  );
}

/**
 * The collector of a step's compared answers, or undefined when nothing is compared (no
 * comparison mode, or neither stable nor expected answers to compare with).
 */
function answerCollector(
  settings: Settings,
  protocol: ProbeSpec['protocol'],
  arms: readonly ArmName[],
  requests: readonly { id: string; body: string; where: string }[],
): AnswerCollector | undefined {
  const { answers, gate } = settings;
  const mode = compareModeFor(answers.compare, protocol);
  const expected = new Map((answers.expected?.entries ?? []).map((entry) => [entry.id, entry.body]));
  const paired = arms.includes('stable');
  if (mode === undefined || (!paired && expected.size === 0)) return undefined;
  const stable = arms.indexOf('stable');
  return new AnswerCollector({
    requests,
    rules: {
      mode,
      tolerance: answers.tolerance,
      minSimilarity: answers.minSimilarity,
      ignorePaths: answers.ignorePaths,
    },
    arms: { canary: arms.indexOf('canary'), ...(stable >= 0 ? { stable } : {}) },
    paired,
    expected,
    firstPairs: Math.max(requests.length, answersNeeded(answers.minAgreement, gate.confidence)),
    share: answers.compareShare,
    minAgreement: answers.minAgreement,
  });
}

async function armTargets(
  plan: Plan,
  settings: Settings,
  kube: KubeConfig,
  arms: readonly ArmName[],
  options: AnalyseOptions,
) {
  if (settings.probe.target === 'url') {
    if (settings.probe.url === undefined) throw new Error('probe-target url needs probe-url');
    return arms.map((arm) => urlArmTarget(settings.probe.url!, arm, process.env));
  }
  const services = {
    canary: options.services?.canary ?? plan.objects.canaryService,
    stable: options.services?.stable ?? plan.objects.stableService,
  };
  const both = await proxyArmTargets(kube, plan.namespace, services);
  return arms.map((arm) => both.find((target) => target.arm === arm)!);
}

/**
 * Runs warm-up and measurement against the canary and stable arms and returns the judge's
 * verdict. With `on-inconclusive: extend`, an inconclusive first window is followed by one more
 * of the same length, judged on both windows together.
 */
export async function analyse(
  plan: Plan,
  settings: Settings,
  kube: KubeConfig,
  options: AnalyseOptions = {},
): Promise<AnalysisResult> {
  const log = options.log ?? (() => undefined);
  const arms = options.compareWithStable === false ? (['canary'] as const) : ARMS;
  const probe = settings.probe;
  const protocol = probeProtocolFor(probe.protocol, options.runtime ?? settings.build.runtime, probe.path);
  const entries = probe.requests?.entries ?? [];
  const payload = entries[0]?.body;

  const targets: ArmTarget[] = await armTargets(plan, settings, kube, arms, options);
  for (const target of targets) log(`probe target ${describeArm(target)}`);
  // Enough sockets per arm for every request that may be outstanding at the rate within a second,
  // bounded so a stalled arm cannot pile up connections on the API server.
  const maxInFlight = Math.min(256, Math.max(8, Math.ceil(probe.ratePerSecond)));
  const open = openArms(targets, maxInFlight);
  let watch: MetricsWatch | undefined;
  try {
    const spec: ProbeSpec = {
      protocol,
      defaultModel: options.modelName ?? plan.target,
      ...(probe.path !== undefined ? { path: probe.path } : {}),
      ...(payload !== undefined ? { payload } : {}),
      ...(probe.method !== undefined ? { method: probe.method } : {}),
    };
    const request = await prepareProbe(
      spec,
      open.endpoints.map((endpoint) => armGet(endpoint, PREPARE_TIMEOUT_MS)),
    );
    const requests = requestsOfSet(
      protocol,
      request,
      entries.map((entry) => entry.body),
    );
    // A generated request (no probe-payload) is a set of one, named for what made it.
    const answers = answerCollector(
      settings,
      protocol,
      arms,
      entries.length > 0 ? entries : [{ id: 'generated', body: request.body ?? '', where: 'generated' }],
    );
    log(
      `probe: ${protocol} ${request.method} ${request.path}, ${requests.length} request(s), ${probe.ratePerSecond} req/s per arm, warm-up ${probe.warmupMs} ms, ${probe.durationMs} ms`,
    );

    const plannedPerArm = (probe.ratePerSecond * probe.durationMs) / 1000;
    const looks = lookSchedule(plannedPerArm, DEFAULT_PLANNED_LOOKS);
    let looksTaken = 0;
    let verdict: StepJudgement | undefined;
    const memo = new Memo();
    warmChecks(settings.gate, looks.length, memo);
    const metrics = options.metrics;
    if (metrics !== undefined && metrics.checks.length > 0) {
      log(
        `metrics: ${metrics.checks.length} check(s) against ${metrics.client.url}: ${metrics.checks.map((check) => check.name).join(', ')}`,
      );
      watch = new MetricsWatch({
        ...metrics,
        windowStartMs: Date.now() + probe.warmupMs,
        intervalMs: evaluationIntervalMs(probe.durationMs, looks.length),
        confidence: 1 - falseRevertBudget(settings.gate.confidence),
        log,
      });
      watch.start();
    }
    // Streamed answers are timed token by token too, and judged on TTFT and TPOT (docs/load.md).
    const streamed = requests.some((probeRequest) => probeRequest.stream !== undefined);
    const judgeNow = (accounting: LoadAccounting, index: number): StepJudgement =>
      judgeStep({
        canary: accounting.observations(arms.indexOf('canary'), streamed),
        ...(arms.length === 2 ? { stable: accounting.observations(arms.indexOf('stable'), streamed) } : {}),
        gate: settings.gate,
        look: { index, of: looks.length },
        memo,
        ...(answers !== undefined ? { answers: answers.evidence() } : {}),
        ...(options.crashes !== undefined ? { crashes: options.crashes() } : {}),
        ...(watch !== undefined ? { metrics: watch.latest() } : {}),
      });
    const crashed = (): boolean => (options.crashes?.().length ?? 0) > 0;
    const loadOptions: LoadOptions = {
      arms: arms.length,
      ratePerSecond: probe.ratePerSecond * arms.length,
      arrivals: 'poisson',
      seed: 1,
      warmupMs: probe.warmupMs,
      durationMs: probe.durationMs,
      // Time ends the run; this bound only caps a runaway (Poisson counts exceed the mean half the time).
      maxRequests:
        Math.ceil((probe.ratePerSecond * arms.length * (probe.warmupMs + probe.durationMs) * 1.5) / 1000) +
        100,
      maxInFlight,
      shouldStop: (accounting) => {
        // A crash is certain the moment it is seen: judged then, not at the next planned look.
        if (crashed()) {
          looksTaken = Math.min(looks.length, looksTaken + 1);
          verdict = judgeNow(accounting, looksTaken);
          log(`look ${looksTaken}/${looks.length}: ${verdict.decision}: ${verdict.reason}`);
          return true;
        }
        // The last planned look is taken once the window ends, on whatever arrived.
        // Looks count finished requests, so a canary that only fails is judged (on errors) in time.
        if (looksTaken >= looks.length - 1 || minFinished(accounting) < looks[looksTaken]!) return false;
        looksTaken++;
        verdict = judgeNow(accounting, looksTaken);
        log(`look ${looksTaken}/${looks.length}: ${verdict.decision}: ${verdict.reason}`);
        return verdict.decision !== 'continue';
      },
    };
    const first = await measureWith(loadOptions, open.endpoints, requests, answers);
    let run = first;
    if (watch !== undefined) {
      // The metric checks' last evaluation covers the whole window; an early promotion is confirmed on it.
      await watch.refresh();
      if (verdict?.decision === 'promote') {
        verdict = judgeNow(run.accounting, looksTaken);
        log(`metrics at the window's end: ${verdict.decision}: ${verdict.reason}`);
      }
    }
    if (verdict === undefined || verdict.decision === 'continue') {
      looksTaken = looks.length;
      verdict = judgeNow(run.accounting, looks.length);
      log(`look ${looksTaken}/${looks.length}: ${verdict.decision}: ${verdict.reason}`);
    }
    // A crash seen after the deciding look (or between the last request and now) still reverts.
    if (verdict.decision !== 'revert' && crashed()) {
      verdict = judgeNow(run.accounting, Math.max(1, looksTaken));
      log(`the canary crashed: ${verdict.decision}: ${verdict.reason}`);
    }
    const stoppedEarly = looksTaken < looks.length;
    let measuredMs = run.elapsedMs - probe.warmupMs;
    if (verdict.decision === 'inconclusive' && settings.gate.onInconclusive === 'extend' && !crashed()) {
      log('inconclusive: on-inconclusive is extend, measuring one more window');
      const second = await measureWith(
        { ...loadOptions, warmupMs: 0, shouldStop: undefined },
        open.endpoints,
        requests,
        answers,
      );
      second.accounting.include(first.accounting);
      run = second;
      measuredMs += second.elapsedMs;
      await watch?.refresh();
      verdict = judgeNow(run.accounting, looks.length);
      log(`extended window: ${verdict.decision}: ${verdict.reason}`);
    }
    if (run.health.bottleneck) log(`warning: ${run.health.reason}`);
    const summaries: Partial<Record<ArmName, ArmSummary>> = {};
    arms.forEach(
      (arm, index) => (summaries[arm] = summarise(run.accounting, index, describeArm(targets[index]!), memo)),
    );
    return {
      judgement: verdict,
      arms: summaries,
      generator: run.health,
      protocol,
      ratePerArm: probe.ratePerSecond,
      looksTaken,
      stoppedEarly,
      measuredMs,
    };
  } finally {
    watch?.stop();
    await open.close();
  }
}

/** The verdict a step hands to `decide`: `inconclusive` resolved by on-inconclusive. */
export function stepVerdictOf(
  judgement: Pick<StepJudgement, 'decision' | 'reason'>,
  onInconclusive: Settings['gate']['onInconclusive'],
): StepVerdict {
  if (judgement.decision === 'revert' || judgement.decision === 'promote') {
    return { decision: judgement.decision, reason: judgement.reason };
  }
  // `extend` already measured a second window; still unclear, the safe side is stable.
  const decision = onInconclusive === 'promote' ? 'promote' : 'revert';
  return { decision, reason: `${judgement.reason}; on-inconclusive ${onInconclusive}: ${decision}` };
}

/**
 * The pods of a step's arms as the metric checks select them: the canary's and stable's; on a
 * first deployment only the new stable; in a preview, the preview's pods against production's stable.
 */
export function metricArms(plan: Plan, settings: Settings, step: CanaryStep): StepArms {
  const namespace = step.namespace;
  if (plan.preview !== undefined) {
    return {
      canary: {
        namespace,
        target: plan.target,
        track: 'stable',
        preview: plan.preview,
        deployment: plan.objects.stableDeployment,
      },
      stable: {
        namespace,
        target: settings.name,
        track: 'stable',
        deployment: objectNames(settings.name).stableDeployment,
      },
    };
  }
  const stable = {
    namespace,
    target: plan.target,
    track: 'stable' as const,
    deployment: plan.objects.stableDeployment,
  };
  if (step.firstDeploy) return { canary: stable };
  return {
    canary: { namespace, target: plan.target, track: 'canary', deployment: plan.objects.canaryDeployment },
    stable,
  };
}

/** The metric checks of a run whose model `runtime` serves: the user's, then the built-in ones. */
export function metricChecksOf(settings: Settings, runtime: string): MetricCheckSpec[] {
  if (settings.metrics === undefined) return [];
  const protocol = probeProtocolFor(settings.probe.protocol, runtime, settings.probe.path);
  const builtIn = settings.metrics.builtIn ? builtInMetricChecks(runtime, protocol, settings.gate) : [];
  return stepMetricChecks(settings.metrics.checks, builtIn);
}

/** Measures one canary step (its arm Services at its weight) and judges it. */
export async function analyseStep(run: Run, step: CanaryStep): Promise<StepAnalysis> {
  const { plan, settings } = run;
  // Its own connection: the rollout's request count stays the rollout's.
  const cluster = clusterOf(settings);
  const log = (line: string): void => runner.info(line);
  const crashWatch = watchForCrashes(cluster, step.namespace, step.canaryPods, log);
  const metricsClient =
    settings.metrics !== undefined ? new PrometheusClient(settings.metrics.server) : undefined;
  const runtime = run.image?.runtime ?? settings.build.runtime;
  try {
    const { judgement, ...load } = await analyse(plan, settings, cluster.config, {
      services: { canary: step.canaryService, stable: step.stableService },
      compareWithStable: !step.firstDeploy,
      ...(run.image?.modelName !== undefined ? { modelName: run.image.modelName } : {}),
      ...(run.image?.runtime !== undefined ? { runtime: run.image.runtime } : {}),
      crashes: () => crashWatch.crashes(),
      ...(metricsClient !== undefined
        ? {
            metrics: {
              client: metricsClient,
              checks: metricChecksOf(settings, runtime),
              arms: metricArms(plan, settings, step),
            },
          }
        : {}),
      log,
    });
    return { step, judgement, verdict: stepVerdictOf(judgement, settings.gate.onInconclusive), load };
  } finally {
    crashWatch.stop();
    await metricsClient?.close();
  }
}

/**
 * The first step to measure: the canary the deploy stage left running (or, on a first deploy, the
 * new stable alone against absolute limits); a preview is measured against production's stable.
 */
export function firstStep({ plan, settings, rollout, canary }: Run): CanaryStep {
  if (rollout === undefined || canary === undefined)
    throw new ClusterError('canary', 'analyse ran without a deployed canary');
  if (plan.preview === undefined) return canaryStep(rollout.ctx, canary, 0);
  return {
    namespace: plan.namespace,
    stableService: objectNames(settings.name).stableService,
    canaryService: plan.objects.stableService,
    canaryPods: trackSelector(plan.target, 'stable', plan.preview),
    firstDeploy: false,
    weightPercent: 0,
    achievedPercent: 0,
    index: 0,
    total: 1,
  };
}

/** Stage `analyse`: measures and judges the first step. */
export async function analyseStage(run: Run): Promise<{ analyses: StepAnalysis[] }> {
  return { analyses: [await analyseStep(run, firstStep(run))] };
}
