import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { parseInputs } from '../../../src/inputs/read.ts';
import { planRun } from '../../../src/plan.ts';
import { previewCommentMarker, renderPreviewComment } from '../../../src/github/pr-comment.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import type { CanaryStep } from '../../../src/kube/rollout.ts';
import type { Run, StepAnalysis } from '../../../src/run.ts';
import {
  renderAnswersSection,
  renderChecksTable,
  renderFinishWorkflow,
  renderJobSummary,
  renderPausedSection,
  renderLatencyTable,
  renderPercentileChart,
  renderStreamSection,
} from '../../../src/github/job-summary.ts';
import type { StreamNumbers } from '../../../src/checks/arm.ts';
import type { PausedCanary } from '../../../src/kube/pause.ts';
import { v2Serving } from '../../../src/kube/manifests.ts';
import {
  DEFAULT_ACTION_REFERENCE,
  formatChange,
  formatMs,
  formatRatio,
  pinnedImage,
  reportOfRun,
  reportDocument,
  reportOutputs,
  REPORT_FORMAT,
  type RunReport,
} from '../../../src/report.ts';

const DIGEST = 'sha256:4f1c0a1e9b6d2c3a5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';
const SHA = 'abcdef1234567890abcdef1234567890abcdef12';

const PROMOTED: RunReport = {
  mode: 'canary',
  decision: 'promoted',
  reason: 'canary p95 is within 10% of stable at 95% confidence (upper bound +4.2%) and no errors',
  namespace: 'ml',
  target: 'resnet',
  commit: SHA,
  image: { reference: `localhost:5000/acme/resnet:${SHA}`, digest: DIGEST },
  canary: {
    n: 1200,
    requests: 1200,
    errors: 0,
    errorRate: 0,
    p50Ms: 20.4,
    p90Ms: 27.31,
    p95Ms: 30.125,
    p99Ms: 41.9,
  },
  stable: {
    n: 1197,
    requests: 1198,
    errors: 1,
    errorRate: 1 / 1198,
    p50Ms: 20.1,
    p90Ms: 26.8,
    p95Ms: 29.5,
    p99Ms: 40.2,
  },
  judge: {
    verdict: 'promote',
    confidence: 0.95,
    maxRegression: 0.1,
    regressionQuantile: 0.95,
    look: 2,
    plannedLooks: 4,
    shift: { ratio: 1.012, lowerBound: 0.991, upperBound: 1.031, significant: false },
    tail: { ratio: 1.021, lowerBound: 0.988, upperBound: 1.042, significant: false, p95Ratio: 1.021 },
  },
  limits: { maxP95Ms: 250, maxErrorRate: 0.01 },
};

const REVERTED: RunReport = {
  ...PROMOTED,
  decision: 'reverted',
  reason: 'canary p95 is 48.0% above stable (95% bound +39.5%, limit +10%)',
  canary: {
    n: 1168,
    requests: 1180,
    errors: 12,
    errorRate: 12 / 1180,
    p50Ms: 29.8,
    p90Ms: 40.3,
    p95Ms: 43.66,
    p99Ms: 61.02,
  },
  judge: {
    verdict: 'revert',
    confidence: 0.95,
    maxRegression: 0.1,
    regressionQuantile: 0.95,
    look: 1,
    plannedLooks: 4,
    shift: { ratio: 1.48, lowerBound: 1.395, upperBound: 1.571, significant: true },
    tail: { ratio: 1.5, lowerBound: 1.41, upperBound: 1.6, significant: true, p95Ratio: 1.48 },
  },
};

const FIRST_RUN: RunReport = {
  ...PROMOTED,
  reason: 'first version in ml/resnet: healthy and within the absolute limits (p95 30.125 ms ≤ 250 ms)',
  stable: undefined,
  judge: undefined,
};

const PREVIEW: RunReport = {
  ...PROMOTED,
  mode: 'preview',
  decision: 'preview',
  reason: 'preview ml/resnet-pr-7 is ready; p95 +2.1% against production (report only)',
  target: 'resnet-pr-7',
  previewUrl: 'http://127.0.0.1:6443/api/v1/namespaces/ml/services/resnet-pr-7:http/proxy/',
};

/** Token figures of an arm: TTFT and TPOT p50/p95, the median answer's output tokens/s. */
function streamOf(
  ttft: [number, number],
  tpot: [number, number],
  rate: number,
  extra: Partial<StreamNumbers> = {},
) {
  const times = ([p50, p95]: [number, number], n: number) => ({
    n,
    p50Ms: p50,
    p90Ms: p95,
    p95Ms: p95,
    p99Ms: p95,
  });
  return {
    streams: 1200,
    withoutToken: 0,
    tokensFromUsage: 1200,
    ttft: times(ttft, 1200),
    tpot: times(tpot, 1200),
    outputTokensPerSecond: { n: 1200, p50: rate },
    ...extra,
  };
}

const STREAMED: RunReport = {
  ...PROMOTED,
  canary: { ...PROMOTED.canary!, stream: streamOf([81.25, 140.5], [24.4, 31.02], 40.98) },
  stable: { ...PROMOTED.stable!, stream: streamOf([80.1, 138], [20.3, 26.5], 49.26) },
};

const FAILED_BUILD: RunReport = {
  mode: 'canary',
  decision: 'skipped',
  reason: 'build failed: base-image | localhost:5000/missing:1 was not found',
  namespace: 'ml',
  target: 'resnet',
  commit: SHA,
  image: { reference: `localhost:5000/acme/resnet:${SHA}` },
  limits: { maxErrorRate: 0.01 },
};

const PAUSED: RunReport = {
  ...PROMOTED,
  decision: 'paused',
  reason:
    'canary p95 is within 10% of stable; paused after step 2/3 with 50% of traffic on the canary until mode promote or mode revert finishes it',
  paused: {
    step: 2,
    steps: 3,
    weightPercent: 50,
    achievedPercent: 50,
    image: `localhost:5000/acme/resnet@${DIGEST}`,
    stableImage: 'localhost:5000/acme/resnet:v1',
    pausedAt: '2025-05-01T10:00:00.000Z',
    action: 'model-canary/model-canary@v0.4.1',
  },
};

/** The finishing workflow as YAML reads it, so a reader can paste it. */
function finishWorkflowOf(report: RunReport): {
  on: { workflow_dispatch: { inputs: { decision: { type: string; options: string[] } } } };
  jobs: { finish: { steps: { uses: string; with: Record<string, string> }[] } };
} {
  return parseYaml(renderFinishWorkflow(report)!) as ReturnType<typeof finishWorkflowOf>;
}

describe('the paused summary', () => {
  it('heads the summary with the pause and ends it with how to finish, after the figures', () => {
    const markdown = renderJobSummary(PAUSED);
    const order = [
      '⏸️ paused',
      PAUSED.reason,
      '| canary | 1200 | 1200 |',
      '### Finish the paused canary',
      '```yaml',
    ].map((text) => markdown.indexOf(text));
    expect(order.every((position) => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('says what promote and revert each do, with both images, and the share the canary serves', () => {
    const section = renderPausedSection(PAUSED)!;
    expect(section).toMatch(
      /passed step 2 of 3 \(50% asked\) and has served 50% of requests beside stable since 2025-05-01/,
    );
    expect(section).toContain(`**promote**: stable takes \`localhost:5000/acme/resnet@${DIGEST}\``);
    expect(section).toContain('**revert**: the canary goes; stable keeps `localhost:5000/acme/resnet:v1`');
    expect(section).toMatch(/a canary run on this target is refused until then/);
  });

  it('gives a workflow that dispatches promote or revert on this target with this action', () => {
    const workflow = finishWorkflowOf(PAUSED);
    expect(workflow.on.workflow_dispatch.inputs.decision).toMatchObject({
      type: 'choice',
      options: ['promote', 'revert'],
    });
    expect(workflow.jobs.finish.steps).toEqual([
      {
        uses: 'model-canary/model-canary@v0.4.1',
        with: {
          mode: '${{ inputs.decision }}',
          name: 'resnet',
          namespace: 'ml',
          kubeconfig: '${{ secrets.KUBECONFIG }}',
        },
      },
    ]);
  });

  it('names the context the run used, quoted where YAML would misread it', () => {
    for (const context of ['prod-ci', 'arn:aws:eks:eu-west-1:123:cluster/prod', 'team a # gpu', "it's"]) {
      const workflow = finishWorkflowOf({ ...PAUSED, paused: { ...PAUSED.paused!, context } });
      expect(workflow.jobs.finish.steps[0]!.with['context']).toBe(context);
    }
  });

  it('is absent from a run that did not pause', () => {
    expect(renderPausedSection(PROMOTED)).toBeUndefined();
    expect(renderFinishWorkflow(PROMOTED)).toBeUndefined();
    expect(renderJobSummary(PROMOTED)).not.toContain('Finish the paused canary');
  });
});

describe('renderJobSummary', () => {
  it.each([
    ['promoted canary', PROMOTED],
    ['reverted canary', REVERTED],
    ['first run without stable', FIRST_RUN],
    ['preview', PREVIEW],
    ['failed build, nothing measured', FAILED_BUILD],
  ])('renders a %s', (_name, report) => {
    expect(renderJobSummary(report)).toMatchSnapshot();
  });

  it('puts the decision and reason before the image, the table and the chart', () => {
    const markdown = renderJobSummary(REVERTED);
    const order = ['reverted', REVERTED.reason, DIGEST, '| canary | 1168 | 1180 |', '```mermaid'].map(
      (text) => markdown.indexOf(text),
    );
    expect(order.every((position) => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('escapes table-breaking characters in the reason', () => {
    expect(renderJobSummary(FAILED_BUILD)).toContain('base-image \\| localhost');
  });
});

describe('renderLatencyTable', () => {
  it('names the quantile and the test that decided', () => {
    const table = renderLatencyTable({
      ...REVERTED,
      judge: { ...REVERTED.judge!, regressionQuantile: 0.99, decidedBy: 'exceedance' },
    });
    expect(table).toContain('| tail: p99 | 1.500× |');
    expect(table).toContain('Judge: **revert** at look 1 of 4, decided by the exceedance test (p99).');
  });

  it('shows both arms with n, the limits, and the judge bounds against max-regression', () => {
    const rows = renderLatencyTable(REVERTED).split('\n');
    expect(rows[0]).toBe('| | n | requests | p50 ms | p90 ms | p95 ms | p99 ms | error rate |');
    expect(rows[2]).toBe('| canary | 1168 | 1180 | 29.8 | 40.3 | 43.66 | 61.02 | 1.02% (12) |');
    expect(rows[3]).toBe('| stable | 1197 | 1198 | 20.1 | 26.8 | 29.5 | 40.2 | 0.08% (1) |');
    expect(rows[4]).toBe('| limit | | | | | ≤ 250 | | ≤ 1.00% |');
    expect(rows[6]).toBe('| judge (canary ÷ stable) | ratio | 95% bounds | limit (max-regression) | |');
    expect(rows[8]).toBe(
      '| shift: whole distribution | 1.480× | 1.395× – 1.571× | ≤ 1.100× | **exceeded** |',
    );
    expect(rows[9]).toBe('| tail: p95 | 1.500× | 1.410× – 1.600× | ≤ 1.100× | **exceeded** |');
    expect(rows.at(-1)).toBe('Judge: **revert** at look 1 of 4.');
  });

  it('calls a bound within the limit within', () => {
    expect(renderLatencyTable(PROMOTED)).toContain(
      '| tail: p95 | 1.021× | 0.988× – 1.042× | ≤ 1.100× | within |',
    );
  });

  it('says so when nothing was measured', () => {
    expect(renderLatencyTable(FAILED_BUILD)).toMatch(/No latency was measured/);
  });
});

describe('renderStreamSection', () => {
  it('shows TTFT and TPOT p50/p95 and output tokens/s per arm, and how the tokens were counted', () => {
    const lines = renderStreamSection(STREAMED)!.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '| streamed answers | answers | TTFT p50 ms | TTFT p95 ms | TPOT p50 ms | TPOT p95 ms | output tokens/s (median) |',
      '|---|--:|--:|--:|--:|--:|--:|',
      '| canary | 1200 | 81.25 | 140.5 | 24.4 | 31.02 | 41.0 |',
      '| stable | 1200 | 80.1 | 138 | 20.3 | 26.5 | 49.3 |',
    ]);
    expect(lines.at(-1)).toMatch(/latency above runs to each stream's last byte/);
    expect(lines.at(-1)).toMatch(/Tokens are the server's own count \(`usage.completion_tokens`\)\.$/);
  });

  it('says when the tokens were counted by events, and how many answers carried no text', () => {
    const byEvents: RunReport = {
      ...STREAMED,
      canary: {
        ...STREAMED.canary!,
        stream: streamOf([81, 140], [24, 31], 41, { tokensFromUsage: 0, withoutToken: 3 }),
      },
      stable: { ...STREAMED.stable!, stream: streamOf([80, 138], [20, 26], 49, { tokensFromUsage: 0 }) },
    };
    expect(renderStreamSection(byEvents)).toMatch(
      /each event carrying text counted as one token \(the time per output token is then an upper bound\)\. 3 answer\(s\) carried no text\.$/,
    );
    const mixed: RunReport = { ...STREAMED, stable: byEvents.stable };
    expect(renderStreamSection(mixed)).toMatch(/server's own count for 1200 of 2400 answers/);
  });

  it('shows a dash where no answer gave a time (one-token answers have no TPOT)', () => {
    const short: RunReport = {
      ...STREAMED,
      stable: undefined,
      canary: {
        ...STREAMED.canary!,
        stream: {
          ...streamOf([81, 140], [Number.NaN, Number.NaN], Number.NaN),
          tpot: { n: 0, p50Ms: Number.NaN, p90Ms: Number.NaN, p95Ms: Number.NaN, p99Ms: Number.NaN },
          outputTokensPerSecond: { n: 0, p50: Number.NaN },
        },
      },
    };
    expect(renderStreamSection(short)).toContain('| canary | 1200 | 81 | 140 | – | – | – |');
  });

  it('says so in a sentence when no streamed request was sent, and nothing when nothing was measured', () => {
    expect(renderStreamSection(PROMOTED)).toMatch(/^_No streamed requests were sent, so time to first token/);
    expect(renderStreamSection(FAILED_BUILD)).toBeUndefined();
  });

  it('is in the job summary, the PR comment and the JSON report', () => {
    expect(renderJobSummary(STREAMED)).toContain('### Streamed tokens\n\n| streamed answers |');
    expect(
      renderPreviewComment({ ...STREAMED, mode: 'preview', decision: 'preview' }, 'resnet-pr-7'),
    ).toContain('| preview | 1200 | 81.25 | 140.5 | 24.4 | 31.02 | 41.0 |');
    const document = JSON.parse(JSON.stringify(reportDocument(STREAMED))) as RunReport;
    expect(document.canary!.stream).toEqual(STREAMED.canary!.stream);
  });
});

describe('renderPercentileChart', () => {
  it('draws stable as bars and the canary as a line over p50..p99', () => {
    const chart = renderPercentileChart(REVERTED)!;
    expect(chart).toContain('xychart-beta');
    expect(chart).toContain('x-axis [p50, p90, p95, p99]');
    expect(chart).toContain('bar [20.1, 26.8, 29.5, 40.2]');
    expect(chart).toContain('line [29.8, 40.3, 43.66, 61.02]');
    expect(chart).toContain('y-axis "ms" 0 --> 80');
  });

  it('draws the canary alone when there is no stable', () => {
    const chart = renderPercentileChart(FIRST_RUN)!;
    expect(chart).toContain('bar [20.4, 27.31, 30.13, 41.9]');
    expect(chart).not.toContain('line');
  });

  it('draws nothing when nothing was measured', () => {
    expect(renderPercentileChart(FAILED_BUILD)).toBeUndefined();
  });
});

describe('reportOutputs', () => {
  it('sets every output action.yml declares from the report', () => {
    expect(reportOutputs(PREVIEW, '/tmp/r.json')).toEqual({
      decision: 'preview',
      reason: PREVIEW.reason,
      report: '/tmp/r.json',
      image: `localhost:5000/acme/resnet@${DIGEST}`,
      digest: DIGEST,
      'p50-ms': '20.4',
      'p95-ms': '30.13',
      'p99-ms': '41.9',
      'error-rate': '0',
      'baseline-p95-ms': '29.5',
      'preview-url': PREVIEW.previewUrl,
    });
  });

  it('leaves out what was not measured rather than writing zeros', () => {
    const outputs = reportOutputs(FAILED_BUILD, '/tmp/r.json');
    expect(Object.keys(outputs).sort()).toEqual(['decision', 'image', 'reason', 'report']);
    expect(outputs.image).toBe(`localhost:5000/acme/resnet:${SHA}`);
  });
});

describe('reportDocument', () => {
  it('carries the format tag, the pinned image and every figure', () => {
    const document = JSON.parse(JSON.stringify(reportDocument(REVERTED)));
    expect(document.format).toBe(REPORT_FORMAT);
    expect(document.pinnedImage).toBe(`localhost:5000/acme/resnet@${DIGEST}`);
    expect(document.canary.p99Ms).toBe(61.02);
    expect(document.judge.tail.upperBound).toBe(1.6);
  });
});

describe('formatting', () => {
  it('rounds milliseconds to a readable precision', () => {
    expect([formatMs(0.12345), formatMs(12.3456), formatMs(123.456), formatMs(40)]).toEqual([
      '0.123',
      '12.35',
      '123.5',
      '40',
    ]);
  });

  it('signs relative changes', () => {
    expect([formatChange(0.042), formatChange(-0.012), formatChange(-0.0001)]).toEqual([
      '+4.2%',
      '-1.2%',
      '0.0%',
    ]);
    expect(formatRatio(1.04123)).toBe('1.041×');
  });

  it('pins the image by digest', () => {
    expect(pinnedImage(PROMOTED)).toBe(`localhost:5000/acme/resnet@${DIGEST}`);
  });
});

describe('renderPreviewComment', () => {
  it('starts with the hidden marker and carries address, image and the comparison', () => {
    const body = renderPreviewComment(PREVIEW, 'resnet', 'https://github.com/acme/models/actions/runs/9');
    expect(body.startsWith(`${previewCommentMarker('resnet')}\n`)).toBe(true);
    expect(body).toMatchSnapshot();
  });

  it('says the preview failed when it did not come up', () => {
    const body = renderPreviewComment({ ...FAILED_BUILD, mode: 'preview', target: 'resnet-pr-7' }, 'resnet');
    expect(body).toContain('### ❌ Preview of `resnet` failed');
    expect(body).toContain('_No latency was measured in this run._');
  });

  it('keeps one marker per preview name', () => {
    expect(previewCommentMarker('resnet')).toBe('<!-- model-canary:preview:resnet -->');
    expect(previewCommentMarker('bert')).not.toBe(previewCommentMarker('resnet'));
  });
});

function settingsFor(inputs: Record<string, string>, ref = 'refs/heads/main') {
  return parseInputs({
    get: (name) =>
      (
        ({
          model: 'models/resnet',
          image: 'localhost:5000/acme/resnet',
          namespace: 'ml',
          ...inputs,
        }) as Record<string, string>
      )[name] ?? '',
    run: { eventName: 'push', sha: SHA, ref, repository: 'acme/models', runId: 1, runAttempt: 1 },
    pathExists: () => true,
    outsideWorkspace: () => undefined,
    readText: () => undefined,
    listFolder: () => undefined,
  });
}

function runOf(inputs: Record<string, string>, extra: Partial<Run> = {}, ref?: string): Run {
  const settings = settingsFor(inputs, ref);
  return { settings, plan: planRun(settings), analyses: [], ...extra };
}

/** Latencies around `median` ms, deterministic and spread like a real arm. */
function latencies(median: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => median * Math.exp(0.3 * Math.sin(i * 12.9898) * 1.7));
}

const STEP: CanaryStep = {
  namespace: 'ml',
  stableService: 'resnet-stable',
  canaryService: 'resnet-canary',
  canaryPods: 'model-canary.dev/target=resnet,model-canary.dev/track=canary',
  firstDeploy: false,
  weightPercent: 10,
  achievedPercent: 10,
  index: 0,
  total: 1,
};

const LOAD: StepAnalysis['load'] = {
  arms: {},
  generator: {
    schedulingLagP50Ms: 0.1,
    schedulingLagP99Ms: 0.5,
    schedulingLagMaxMs: 1,
    eventLoopDelayP99Ms: 1,
    eventLoopDelayMaxMs: 2,
    bottleneck: false,
  },
  protocol: 'v2',
  ratePerArm: 20,
  looksTaken: 4,
  stoppedEarly: false,
  measuredMs: 60_000,
};

/** A step judged by the real checks on these arms, resolved as the analyse stage resolves it. */
function analysisOf(
  canary: number[],
  stable: number[] | undefined,
  verdict: StepAnalysis['verdict']['decision'],
): StepAnalysis {
  const judgement = judgeStep({
    canary: { latenciesMs: canary, errors: 0, requests: canary.length },
    ...(stable !== undefined ? { stable: { latenciesMs: stable, errors: 0, requests: stable.length } } : {}),
    gate: settingsFor({}).gate,
  });
  return { step: STEP, judgement, verdict: { decision: verdict, reason: judgement.reason }, load: LOAD };
}

describe('reportOfRun', () => {
  it('takes the digest from the pinned image and the release tags from the plan', () => {
    const report = reportOfRun(
      runOf(
        { mode: 'release', 'max-p95-ms': '250' },
        { outcome: { decision: 'promoted', reason: 'ok', image: `localhost:5000/acme/resnet@${DIGEST}` } },
        'refs/tags/v1.2.3',
      ),
    );
    expect(report.decision).toBe('promoted');
    expect(report.image).toEqual({
      reference: `localhost:5000/acme/resnet:${SHA}`,
      digest: DIGEST,
      releaseTags: ['v1.2.3', 'v1.2', 'v1'],
    });
    expect(report.limits).toEqual({ maxP95Ms: 250, maxErrorRate: 0.01 });
    expect(report.canary).toBeUndefined();
  });

  it('has no digest when the build never produced one', () => {
    const report = reportOfRun(runOf({ mode: 'release' }, {}, 'refs/tags/v1.2.3'), {
      reason: 'build failed',
      reverted: false,
    });
    expect(report.image).toEqual({
      reference: `localhost:5000/acme/resnet:${SHA}`,
      releaseTags: ['v1.2.3', 'v1.2', 'v1'],
    });
  });

  it('a canary whose stages all finished was promoted, for the analysis reason', () => {
    const analysis = analysisOf(latencies(20, 400), latencies(20, 400), 'promote');
    const report = reportOfRun(runOf({}, { analyses: [analysis] }));
    expect(report).toMatchObject({ decision: 'promoted', reason: analysis.judgement.reason });
    expect(report.reason).toMatch(/within max-regression/);
  });

  it('a failure is reverted when the cluster was put back, else failed, with the error as reason', () => {
    expect(reportOfRun(runOf({}), { reverted: true, reason: 'CrashLoopBackOff' })).toMatchObject({
      decision: 'reverted',
      reason: 'CrashLoopBackOff',
    });
    expect(reportOfRun(runOf({ mode: 'promote' }), { reverted: false, reason: 'forbidden' }).decision).toBe(
      'failed',
    );
  });

  it('a paused run reports where the canary stopped, with the action and context to finish it with', () => {
    const paused: PausedCanary = {
      run: 'acme/models/1/1',
      pausedAt: '2025-05-01T10:00:00.000Z',
      step: 1,
      steps: 2,
      weightPercent: 10,
      achievedPercent: 10,
      image: `localhost:5000/acme/resnet@${DIGEST}`,
      stableImage: 'localhost:5000/acme/resnet:v1',
      router: 'replicas',
      serving: v2Serving('resnet'),
      promotion: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'resnet' } },
    };
    const outcome = { decision: 'paused', reason: 'paused after step 1/2', paused } as const;
    const analysis = analysisOf(latencies(20, 400), latencies(20, 400), 'promote');
    const report = reportOfRun(
      runOf({ 'canary-steps': '10,50', 'pause-after': '10' }, { outcome, analyses: [analysis] }),
    );
    expect(report).toMatchObject({ decision: 'paused', reason: 'paused after step 1/2' });
    expect(report.canary).toEqual(analysis.judgement.arms.canary);
    expect(report.paused).toEqual({
      step: 1,
      steps: 2,
      weightPercent: 10,
      achievedPercent: 10,
      image: paused.image,
      stableImage: paused.stableImage,
      pausedAt: paused.pausedAt,
      action: DEFAULT_ACTION_REFERENCE,
    });
    const run = runOf({ 'canary-steps': '10,50', 'pause-after': '10' }, { outcome });
    const named = reportOfRun({
      ...run,
      settings: {
        ...run.settings,
        cluster: { ...run.settings.cluster, context: 'prod-ci' },
        run: { ...run.settings.run, action: 'acme/model-canary@v1' },
      },
    });
    expect(named.paused).toMatchObject({ action: 'acme/model-canary@v1', context: 'prod-ci' });
    // The pause did not stand when a later failure was undone.
    expect(reportOfRun(run, { reverted: true, reason: 'lost the Lease' }).paused).toBeUndefined();
  });

  it('maps the deciding step onto the report: arms, checks, the judge bounds', () => {
    const analysis = analysisOf(latencies(20, 400), latencies(20, 300), 'promote');
    const report = reportOfRun(
      runOf({}, { analyses: [analysisOf(latencies(50, 400), latencies(20, 400), 'revert'), analysis] }),
    );
    expect(report.canary).toEqual(analysis.judgement.arms.canary);
    expect(report.stable).toEqual(analysis.judgement.arms.stable);
    expect(report.stable!.n).toBe(300);
    expect(report.checks!.map((check) => [check.name, check.outcome])).toEqual([
      ['error-rate', 'pass'],
      ['latency-limits', 'pass'],
      ['latency', 'pass'],
    ]);
    expect(report.judge).toMatchObject({ verdict: 'promote', confidence: 0.95, maxRegression: 0.1, look: 1 });
    expect(report.judge!.tail!.upperBound).toBeGreaterThan(report.judge!.tail!.ratio);
    expect(report.judge!.onInconclusive).toBeUndefined();
    expect(report.judge!.regressionQuantile).toBe(0.95);
    expect(report.judge!.exceedance!.expectedShare).toBeCloseTo(0.05, 2);
    expect(report.judge!.decidedBy).toBeUndefined();
  });

  it("carries each arm's token figures and the ttft and tpot checks of a streamed probe", () => {
    const streamed = (median: number, n: number) => ({
      latenciesMs: latencies(median * 5, n),
      errors: 0,
      requests: n,
      stream: {
        streams: n,
        withoutToken: 0,
        tokensFromUsage: n,
        ttftMs: latencies(median, n),
        tpotMs: latencies(median / 4, n),
        outputTokensPerSecond: latencies(median / 4, n).map((ms) => 1000 / ms),
      },
    });
    const judgement = judgeStep({
      canary: streamed(80, 300),
      stable: streamed(80, 300),
      gate: settingsFor({}).gate,
    });
    const analysis = {
      step: STEP,
      judgement,
      verdict: { decision: 'promote' as const, reason: 'ok' },
      load: LOAD,
    };
    const report = reportOfRun(runOf({}, { analyses: [analysis] }));
    expect(report.canary!.stream).toMatchObject({ streams: 300, ttft: { n: 300 }, tpot: { n: 300 } });
    expect(report.stable!.stream!.ttft.p50Ms).toBeCloseTo(judgement.arms.stable!.stream!.ttft.p50Ms, 12);
    expect(report.checks!.map((check) => check.name)).toEqual([
      'error-rate',
      'latency-limits',
      'ttft',
      'tpot',
      'latency',
    ]);
  });

  it('names the test that reverted the step', () => {
    const report = reportOfRun(
      runOf({}, { analyses: [analysisOf(latencies(50, 400), latencies(20, 400), 'revert')] }),
    );
    expect(report.judge!.decidedBy).toBe('shift');
    expect(renderLatencyTable(report)).toContain('decided by the Mann-Whitney shift test');
  });

  it("shows the judge's own inconclusive outcome beside what on-inconclusive made of it", () => {
    // Too few samples: the checks cannot decide at the last look.
    const analysis = analysisOf(latencies(20, 40), latencies(20, 40), 'revert');
    expect(analysis.judgement.decision).toBe('inconclusive');
    const report = reportOfRun(runOf({}, { analyses: [analysis] }));
    expect(report.judge).toMatchObject({
      verdict: 'inconclusive',
      onInconclusive: { action: 'revert', decision: 'revert' },
    });
    expect(renderLatencyTable(report)).toContain(
      'Judge: **inconclusive** at look 1 of 1; on-inconclusive `revert` made it **revert**.',
    );
  });

  it('leaves the judge out on a first run (no stable to compare with)', () => {
    const report = reportOfRun(
      runOf({}, { analyses: [analysisOf(latencies(20, 400), undefined, 'promote')] }),
    );
    expect(report.judge).toBeUndefined();
    expect(report.stable).toBeUndefined();
    expect(report.checks!.map((check) => check.name)).toEqual(['error-rate', 'latency-limits', 'latency']);
  });
});

describe('renderChecksTable', () => {
  it('lists every check of the deciding step with its outcome and escaped reason', () => {
    const table = renderChecksTable({
      ...PROMOTED,
      checks: [
        { name: 'error-rate', outcome: 'pass', reason: 'canary error rate 0% (0/1200) is within 1%' },
        { name: 'latency', outcome: 'fail', reason: 'tail | 1.5× stable' },
      ],
    })!.split('\n');
    expect(table[0]).toBe('| check | outcome | reason |');
    expect(table[2]).toBe('| error-rate | ✅ pass | canary error rate 0% (0/1200) is within 1% |');
    expect(table[3]).toBe('| latency | ❌ fail | tail \\| 1.5× stable |');
    expect(renderJobSummary({ ...PROMOTED, checks: [] })).not.toContain('### Checks');
  });
});

describe('renderAnswersSection', () => {
  const WRONG: RunReport = {
    ...PROMOTED,
    decision: 'reverted',
    answers: {
      minAgreement: 0.99,
      comparisons: [
        {
          against: 'stable',
          compared: 400,
          agreed: 380,
          agreement: 0.95,
          lowerBound: 0.93,
          upperBound: 0.97,
          needed: 299,
          outcome: 'fail',
          disagreements: [
            {
              id: 'r20',
              request: `{"inputs": [${'1, '.repeat(100)}1]}`,
              reference: '{"label": "a|b"}',
              candidate: '<script>x</script>',
              difference: 'differs at /label',
            },
          ],
        },
      ],
    },
  };

  it('shows agreement with its bounds and the first disagreements side by side, cut and escaped', () => {
    const section = renderAnswersSection(WRONG)!;
    expect(section).toContain('Held to min-agreement 99.00%.');
    expect(section).toContain('| stable | 95.00% | 93.00% | 97.00% | 380/400 | ❌ fail |');
    expect(section).toContain("| request | input | stable's answer | canary's answer | difference |");
    expect(section).toContain('<code>{"label": "a\\|b"}</code>');
    expect(section).toContain('<code>&lt;script>x&lt;/script></code>');
    expect(section).not.toContain('<script>');
    expect(section).toMatch(/<code>\{"inputs": \[(1, ){36}…<\/code>/);
    expect(renderJobSummary(WRONG)).toContain('### Answers');
    expect(renderPreviewComment({ ...WRONG, mode: 'preview', decision: 'preview' }, 'resnet')).toContain(
      '**Answers:**',
    );
    expect(renderAnswersSection(PROMOTED)).toBeUndefined();
  });
});
