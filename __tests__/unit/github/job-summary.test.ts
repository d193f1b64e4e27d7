import { describe, expect, it } from '@jest/globals';
import {
  renderJobSummary,
  renderLatencyTable,
  renderPercentileChart,
} from '../../../src/github/job-summary.ts';
import { parseInputs } from '../../../src/inputs/read.ts';
import { planRun } from '../../../src/plan.ts';
import { previewCommentMarker, renderPreviewComment } from '../../../src/github/pr-comment.ts';
import {
  buildRunReport,
  formatChange,
  formatMs,
  formatRatio,
  measuredFigures,
  outcomeOfRun,
  pinnedImage,
  repositoryOfReference,
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
    expect(rows[9]).toBe('| tail: p80–p99 | 1.500× | 1.410× – 1.600× | ≤ 1.100× | **exceeded** |');
    expect(rows.at(-1)).toBe('Judge: **revert** at look 1 of 4.');
  });

  it('calls a bound within the limit within', () => {
    expect(renderLatencyTable(PROMOTED)).toContain(
      '| tail: p80–p99 | 1.021× | 0.988× – 1.042× | ≤ 1.100× | within |',
    );
  });

  it('says so when nothing was measured', () => {
    expect(renderLatencyTable(FAILED_BUILD)).toMatch(/No latency was measured/);
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
  it.each([
    ['localhost:5000/acme/resnet:abc', 'localhost:5000/acme/resnet'],
    ['ghcr.io/acme/resnet', 'ghcr.io/acme/resnet'],
    [`ghcr.io/acme/resnet:v1@${DIGEST}`, 'ghcr.io/acme/resnet'],
  ])('repository of %s is %s', (reference, repository) => {
    expect(repositoryOfReference(reference)).toBe(repository);
  });

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

describe('measuredFigures', () => {
  const numbers = {
    look: 1,
    plannedLooks: 1,
    canary: { ...PROMOTED.canary!, extra: 'ignored' },
    stable: PROMOTED.stable!,
    shift: { ...PROMOTED.judge!.shift!, z: 0.4, criticalZ: 2.9, pValue: 0.3 },
    tail: { ...PROMOTED.judge!.tail!, z: 0.8, criticalZ: 2.9, pValue: 0.2 },
    thresholds: {
      maxP95Ms: 250,
      maxErrorRate: 0.01,
      maxRegression: 0.1,
      confidence: 0.95,
      falseRevertBudget: 0.01,
      minSamplesPerArm: 100,
      minErrorsForRate: 5,
    },
  };

  it('maps a judge verdict onto the report: arms, bounds and limits, nothing else', () => {
    const figures = measuredFigures({ decision: 'promote', numbers });
    expect(figures.canary).toEqual(PROMOTED.canary);
    expect(figures.stable).toEqual(PROMOTED.stable);
    expect(figures.judge).toEqual({ ...PROMOTED.judge, look: 1, plannedLooks: 1 });
    expect(figures.limits).toEqual({ maxP95Ms: 250, maxErrorRate: 0.01 });
  });

  it('leaves the judge out on a first run (no stable to compare with)', () => {
    const first = { ...numbers, stable: undefined, shift: undefined, tail: undefined };
    const figures = measuredFigures({ decision: 'promote', numbers: first });
    expect(figures.judge).toBeUndefined();
    expect(figures.stable).toBeUndefined();
  });
});

describe('buildRunReport', () => {
  const plan = planRun(
    parseInputs({
      get: (name) =>
        (
          ({
            mode: 'release',
            model: 'models/resnet',
            image: 'localhost:5000/acme/resnet',
            namespace: 'ml',
            'max-p95-ms': '250',
          }) as Record<string, string>
        )[name] ?? '',
      run: {
        eventName: 'push',
        sha: SHA,
        ref: 'refs/tags/v1.2.3',
        repository: 'acme/models',
        runId: 1,
        runAttempt: 1,
      },
      pathExists: () => true,
    }),
  );

  it('takes the digest from the pinned image and the release tags from the plan', () => {
    const report = buildRunReport(
      plan,
      { decision: 'promoted', reason: 'ok', completed: true, image: `localhost:5000/acme/resnet@${DIGEST}` },
      SHA,
    );
    expect(report.image).toEqual({
      reference: `localhost:5000/acme/resnet:${SHA}`,
      digest: DIGEST,
      releaseTags: ['v1.2.3', 'v1.2', 'v1'],
    });
    expect(report.limits).toEqual({ maxP95Ms: 250, maxErrorRate: 0.01 });
    expect(report.canary).toBeUndefined();
  });

  it('has no digest when the build never produced one', () => {
    const report = buildRunReport(
      plan,
      { decision: 'skipped', reason: 'build failed', completed: false },
      SHA,
    );
    expect(report.image).toEqual({
      reference: `localhost:5000/acme/resnet:${SHA}`,
      releaseTags: ['v1.2.3', 'v1.2', 'v1'],
    });
  });
});

describe('outcomeOfRun', () => {
  it('a canary whose stages all finished was promoted, for the analysis reason', () => {
    expect(
      outcomeOfRun('canary', {
        image: `localhost:5000/acme/resnet@${DIGEST}`,
        verdict: { decision: 'promote', reason: 'tail within 10%' },
      }),
    ).toEqual({
      decision: 'promoted',
      reason: 'tail within 10%',
      completed: true,
      image: `localhost:5000/acme/resnet@${DIGEST}`,
    });
  });

  it('a canary failure is reverted, any other failure skipped, with the error as reason', () => {
    expect(outcomeOfRun('canary', {}, { reverted: true, reason: 'CrashLoopBackOff' })).toMatchObject({
      decision: 'reverted',
      reason: 'CrashLoopBackOff',
      completed: false,
    });
    expect(outcomeOfRun('preview', {}, { reverted: false, reason: 'forbidden' }).decision).toBe('skipped');
  });

  it('carries the judge numbers when the analysis kept them', () => {
    const numbers = {
      look: 1,
      plannedLooks: 1,
      canary: PROMOTED.canary!,
      thresholds: { maxErrorRate: 0.01, maxRegression: 0.1, confidence: 0.95 },
    };
    const outcome = outcomeOfRun('preview', { verdict: { decision: 'promote', reason: 'ok', numbers } });
    expect(outcome).toMatchObject({ decision: 'preview', verdict: { decision: 'promote', numbers } });
  });
});
