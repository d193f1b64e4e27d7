/**
 * Pure: RunReport → the Markdown of the job summary (and the latency part the PR comment reuses).
 * The decision and its reason come first, since that is what a reader opens the summary for.
 */
import type { ArmNumbers, StreamNumbers } from '../checks/arm.ts';
import { formatValue } from '../metrics/spec.ts';
import {
  formatMs,
  formatPercent,
  formatRatio,
  pinnedImage,
  type RatioBounds,
  type Decision,
  type RunReport,
} from '../report.ts';

const DECISION_HEADLINE: Record<Decision, string> = {
  promoted: '✅ promoted',
  reverted: '⏪ reverted',
  paused: '⏸️ paused',
  preview: '🔍 preview',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
};

const PERCENTILES = [
  ['p50', 'p50Ms'],
  ['p90', 'p90Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
] as const satisfies readonly (readonly [string, keyof ArmNumbers])[];

/** Escapes what would break a Markdown table cell or start HTML. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

/** A table row; empty cells stay empty rather than padded. */
function tableRow(cells: readonly string[]): string {
  return `|${cells.map((text) => (text === '' ? ' ' : ` ${text} `)).join('|')}|`;
}

/** What the measured new version is called: the canary, or the preview in preview mode. */
function armName(report: RunReport): string {
  return report.mode === 'preview' ? 'preview' : 'canary';
}

function armRow(label: string, arm: ArmNumbers): string {
  return tableRow([
    label,
    String(arm.n),
    String(arm.requests),
    ...PERCENTILES.map(([, key]) => formatMs(arm[key])),
    `${formatPercent(arm.errorRate)} (${arm.errors})`,
  ]);
}

function limitRow(report: RunReport): string {
  const { limits } = report;
  return tableRow([
    'limit',
    '',
    '',
    '',
    '',
    limits.maxP95Ms !== undefined ? `≤ ${formatMs(limits.maxP95Ms)}` : '',
    limits.maxP99Ms !== undefined ? `≤ ${formatMs(limits.maxP99Ms)}` : '',
    `≤ ${formatPercent(limits.maxErrorRate)}`,
  ]);
}

/** A quantile as people write it: 0.95 → `p95`. */
const percentileName = (quantile: number) => `p${+(quantile * 100).toFixed(1)}`;

/** The test behind each of the judge's signals, as the summary names the one that decided. */
const SIGNAL_TESTS = {
  shift: 'the Mann-Whitney shift test',
  tail: 'the tail rank test',
  exceedance: 'the exceedance test',
} as const;

/** The judge's canary ÷ stable ratios with their bounds, each held to 1 + max-regression. */
function renderJudgeTable(report: RunReport): string | undefined {
  const { judge } = report;
  if (judge === undefined) return undefined;
  const limit = `≤ ${formatRatio(1 + judge.maxRegression)}`;
  const row = (label: string, signal: RatioBounds | undefined): string[] =>
    signal === undefined
      ? []
      : [
          tableRow([
            label,
            formatRatio(signal.ratio),
            `${formatRatio(signal.lowerBound)} – ${formatRatio(signal.upperBound)}`,
            limit,
            signal.upperBound <= 1 + judge.maxRegression
              ? 'within'
              : signal.significant
                ? '**exceeded**'
                : 'unsure',
          ]),
        ];
  const confidence = `${+(judge.confidence * 100).toFixed(2)}%`;
  const quantile = percentileName(judge.regressionQuantile);
  return [
    `| judge (${armName(report)} ÷ stable) | ratio | ${confidence} bounds | limit (max-regression) | |`,
    '|---|--:|--:|--:|---|',
    ...row('shift: whole distribution', judge.shift),
    ...row(`tail: ${quantile}`, judge.tail),
    ...row(`tail: share above pooled ${quantile}`, judge.exceedance),
    ...(judge.tail !== undefined
      ? [tableRow(['p95 alone', formatRatio(judge.tail.p95Ratio), '', '', ''])]
      : []),
    '',
    `Judge: **${judge.verdict}** at look ${judge.look} of ${judge.plannedLooks}` +
      (judge.decidedBy !== undefined
        ? `, decided by ${SIGNAL_TESTS[judge.decidedBy]}${judge.decidedBy === 'shift' ? '' : ` (${quantile})`}`
        : '') +
      (judge.onInconclusive !== undefined
        ? `; on-inconclusive \`${judge.onInconclusive.action}\` made it **${judge.onInconclusive.decision}**.`
        : '.'),
  ].join('\n');
}

/** Milliseconds, or a dash where there was nothing to take a percentile of. */
function msOrDash(ms: number, n: number): string {
  return n > 0 && Number.isFinite(ms) ? formatMs(ms) : '–';
}

function streamRow(label: string, stream: StreamNumbers): string {
  const { ttft, tpot, outputTokensPerSecond: rate } = stream;
  return tableRow([
    label,
    String(stream.streams),
    msOrDash(ttft.p50Ms, ttft.n),
    msOrDash(ttft.p95Ms, ttft.n),
    msOrDash(tpot.p50Ms, tpot.n),
    msOrDash(tpot.p95Ms, tpot.n),
    rate.n > 0 && Number.isFinite(rate.p50) ? rate.p50.toFixed(1) : '–',
  ]);
}

/**
 * Per arm, the streamed answers' time to first token, time per output token and output tokens/s
 * (checks ttft and tpot), and how the tokens were counted; a sentence when nothing was streamed,
 * nothing when nothing was measured.
 */
export function renderStreamSection(report: RunReport): string | undefined {
  if (report.canary === undefined) return undefined;
  const arms = [
    [armName(report), report.canary?.stream],
    ['stable', report.stable?.stream],
  ] as const;
  const streamed = arms.filter((arm): arm is readonly [string, StreamNumbers] => arm[1] !== undefined);
  if (streamed.length === 0) {
    return '_No streamed requests were sent, so time to first token, time per output token and output tokens/s were not measured (an OpenAI probe whose request sets `"stream": true` measures them)._';
  }
  const answers = streamed.reduce((sum, [, stream]) => sum + stream.streams, 0);
  const byUsage = streamed.reduce((sum, [, stream]) => sum + stream.tokensFromUsage, 0);
  const empty = streamed.reduce((sum, [, stream]) => sum + stream.withoutToken, 0);
  const counted =
    byUsage === answers
      ? "Tokens are the server's own count (`usage.completion_tokens`)."
      : byUsage === 0
        ? 'The server sent no token count, so each event carrying text counted as one token (the time per output token is then an upper bound).'
        : `Tokens are the server's own count for ${byUsage} of ${answers} answers, else one per event carrying text.`;
  return [
    '| streamed answers | answers | TTFT p50 ms | TTFT p95 ms | TPOT p50 ms | TPOT p95 ms | output tokens/s (median) |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...streamed.map(([label, stream]) => streamRow(label, stream)),
    '',
    `TTFT runs from each request's intended send time to its first token, TPOT from the first token to the end over the tokens after the first; the latency above runs to each stream's last byte. ${counted}` +
      (empty > 0 ? ` ${empty} answer(s) carried no text.` : ''),
  ].join('\n');
}

/** The canary-vs-stable table (n, p50..p99, error rate, limits) and the judge's bounds below it. */
export function renderLatencyTable(report: RunReport): string {
  if (report.canary === undefined) return '_No latency was measured in this run._';
  const lines = [
    '| | n | requests | p50 ms | p90 ms | p95 ms | p99 ms | error rate |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    armRow(armName(report), report.canary),
  ];
  if (report.stable !== undefined) lines.push(armRow('stable', report.stable));
  lines.push(limitRow(report));
  const judge = renderJudgeTable(report);
  return judge === undefined ? lines.join('\n') : `${lines.join('\n')}\n\n${judge}`;
}

const CHECK_MARK: Record<NonNullable<RunReport['checks']>[number]['outcome'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  inconclusive: '❔ inconclusive',
};

/** Every check of the step that decided, one row each, in the order they were read. */
export function renderChecksTable(report: RunReport): string | undefined {
  if (report.checks === undefined || report.checks.length === 0) return undefined;
  return [
    '| check | outcome | reason |',
    '|---|---|---|',
    ...report.checks.map((check) => tableRow([check.name, CHECK_MARK[check.outcome], cell(check.reason)])),
  ].join('\n');
}

/** How many characters of a query a summary cell shows; the JSON report has it whole. */
const QUERY_CELL_CHARACTERS = 160;

/**
 * The metric checks of the deciding step: one row each with its query (as sent for the canary),
 * stable's and the canary's value, its bound and outcome; the reasons are in the checks table.
 */
export function renderMetricsSection(report: RunReport): string | undefined {
  const metrics = report.metrics;
  if (metrics === undefined || metrics.length === 0) return undefined;
  const value = (figure: number | undefined, unit: string | undefined) =>
    figure === undefined ? '–' : `${formatValue(figure)}${unit !== undefined ? ` ${unit}` : ''}`;
  const query = (text: string) => {
    const flat = text.replace(/\s+/g, ' ').trim();
    const cut = flat.length <= QUERY_CELL_CHARACTERS ? flat : `${flat.slice(0, QUERY_CELL_CHARACTERS)}…`;
    return `<code>${cell(cut).replace(/`/g, "'")}</code>`;
  };
  const windows = [
    ...new Set(metrics.flatMap((m) => (m.windowSeconds !== undefined ? [m.windowSeconds] : []))),
  ];
  return [
    `| metric check | query | stable | ${armName(report)} | bound | outcome |`,
    '|---|---|--:|--:|---|---|',
    ...metrics.map((m) =>
      tableRow([
        cell(m.check),
        query(m.queries.canary !== '' ? m.queries.canary : m.template),
        value(m.stable, m.unit),
        value(m.canary, m.unit) +
          (m.ratio !== undefined && m.stable !== undefined ? ` (${formatRatio(m.ratio)})` : ''),
        cell(m.bound),
        CHECK_MARK[m.outcome],
      ]),
    ),
    '',
    `Evaluated on the metrics server${windows.length === 1 ? ` over the step's ${windows[0]}s window` : ''}; each query's series are in the JSON report (\`metrics\`).`,
  ].join('\n');
}

/** How many characters of a request or answer a summary cell shows. */
const ANSWER_CELL_CHARACTERS = 120;

function answerCell(text: string): string {
  const cut = text.length <= ANSWER_CELL_CHARACTERS ? text : `${text.slice(0, ANSWER_CELL_CHARACTERS)}…`;
  return `<code>${cell(cut).replace(/`/g, "'")}</code>`;
}

/**
 * The answers check: agreement with its bounds per comparison, then the first disagreeing
 * requests side by side (request, reference answer, canary answer, difference), cut and escaped.
 */
export function renderAnswersSection(report: RunReport): string | undefined {
  const answers = report.answers;
  if (answers === undefined || answers.comparisons.length === 0) return undefined;
  const lines = [
    `Held to min-agreement ${formatPercent(answers.minAgreement)}.`,
    '',
    '| against | agreement | at least | at most | compared | outcome |',
    '|---|--:|--:|--:|--:|---|',
    ...answers.comparisons.map((c) =>
      tableRow([
        c.against,
        formatPercent(c.agreement),
        formatPercent(c.lowerBound),
        formatPercent(c.upperBound),
        `${c.agreed}/${c.compared}`,
        CHECK_MARK[c.outcome],
      ]),
    ),
  ];
  for (const c of answers.comparisons) {
    if (c.disagreements.length === 0) continue;
    lines.push(
      '',
      `First disagreements with ${c.against}:`,
      '',
      `| request | input | ${c.against}'s answer | canary's answer | difference |`,
      '|---|---|---|---|---|',
      ...c.disagreements.map((d) =>
        tableRow([
          cell(d.id),
          answerCell(d.request),
          answerCell(d.reference),
          answerCell(d.candidate),
          cell(d.difference),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** A round upper end for the chart's axis, so bars do not touch the top. */
function axisMax(values: readonly number[]): number {
  const top = Math.max(...values, 1) * 1.15;
  const step = 10 ** Math.floor(Math.log10(top));
  return Math.ceil(top / step) * step;
}

/**
 * A Mermaid xychart of p50..p99 per arm. xychart-beta has no legend, so the title says which series
 * is which: stable as bars, the canary as a line over them.
 */
export function renderPercentileChart(report: RunReport): string | undefined {
  const { canary, stable } = report;
  if (canary === undefined) return undefined;
  const canaryName = armName(report);
  const series = (arm: ArmNumbers): string =>
    `[${PERCENTILES.map(([, key]) => formatMs(arm[key])).join(', ')}]`;
  const values = [canary, ...(stable !== undefined ? [stable] : [])].flatMap((arm) =>
    PERCENTILES.map(([, key]) => arm[key]),
  );
  const title =
    stable !== undefined
      ? `Latency (ms): bars = stable, line = ${canaryName}`
      : `Latency (ms): ${canaryName}`;
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis [${PERCENTILES.map(([name]) => name).join(', ')}]`,
    `  y-axis "ms" 0 --> ${axisMax(values)}`,
    ...(stable !== undefined
      ? [`  bar ${series(stable)}`, `  line ${series(canary)}`]
      : [`  bar ${series(canary)}`]),
    '```',
  ].join('\n');
}

/** A YAML scalar: plain when it cannot be misread, else double-quoted (JSON's quoting is YAML's). */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/@:-]*$/.test(text) ? text : JSON.stringify(text);
}

/**
 * The workflow that finishes a paused canary, for this run's target: dispatched by hand with
 * promote or revert. It needs no other input: the paused run left on the canary everything the
 * promotion applies (src/kube/pause.ts).
 */
export function renderFinishWorkflow(report: RunReport): string | undefined {
  const { paused } = report;
  if (paused === undefined) return undefined;
  return [
    'on:',
    '  workflow_dispatch:',
    '    inputs:',
    '      decision:',
    `        description: ${yamlScalar(`promote or revert the paused canary of ${report.namespace}/${report.target}`)}`,
    '        type: choice',
    '        options: [promote, revert]',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  finish:',
    '    runs-on: ubuntu-latest',
    '    # An Environment with required reviewers makes the decision theirs: environment: production',
    '    steps:',
    `      - uses: ${yamlScalar(paused.action)}`,
    '        with:',
    '          mode: ${{ inputs.decision }}',
    `          name: ${yamlScalar(report.target)}`,
    `          namespace: ${yamlScalar(report.namespace)}`,
    ...(paused.context !== undefined ? [`          context: ${yamlScalar(paused.context)}`] : []),
    '          kubeconfig: ${{ secrets.KUBECONFIG }}',
  ].join('\n');
}

/** What the paused canary does now, and how a person finishes it (the workflow to run). */
export function renderPausedSection(report: RunReport): string | undefined {
  const { paused } = report;
  const workflow = renderFinishWorkflow(report);
  if (paused === undefined || workflow === undefined) return undefined;
  return [
    `The canary passed step ${paused.step} of ${paused.steps} (${paused.weightPercent}% asked) and has served ` +
      `${paused.achievedPercent}% of requests beside stable since ${paused.pausedAt}. Nothing changes until a ` +
      'person decides on the figures above; a canary run on this target is refused until then.',
    '',
    `- **promote**: stable takes \`${paused.image}\` and the canary goes.`,
    `- **revert**: the canary goes; stable keeps \`${paused.stableImage}\`.`,
    '',
    'Run this workflow (e.g. saved as `.github/workflows/finish.yml`: `gh workflow run finish.yml -f decision=promote`), ' +
      'with a `kubeconfig` secret that reaches the same cluster as this run:',
    '',
    '```yaml',
    workflow,
    '```',
  ].join('\n');
}

/** The job summary of a finished run. */
export function renderJobSummary(report: RunReport): string {
  const image = pinnedImage(report);
  const facts: [string, string][] = [
    ['target', `${report.namespace}/${report.target}`],
    ['mode', report.mode],
  ];
  if (image !== undefined) facts.push(['image', `\`${image}\``]);
  if (report.image?.digest !== undefined) facts.push(['digest', `\`${report.image.digest}\``]);
  if (report.image?.releaseTags !== undefined && report.image.releaseTags.length > 0) {
    facts.push(['release tags', report.image.releaseTags.map((tag) => `\`${tag}\``).join(', ')]);
  }
  if (report.previewUrl !== undefined) facts.push(['preview', report.previewUrl]);
  if (report.commit !== '') facts.push(['commit', `\`${report.commit}\``]);
  const chart = renderPercentileChart(report);
  const checks = renderChecksTable(report);
  const answers = renderAnswersSection(report);
  const streams = renderStreamSection(report);
  const paused = renderPausedSection(report);
  const metrics = renderMetricsSection(report);
  return [
    `## model-canary: ${DECISION_HEADLINE[report.decision]}`,
    '',
    `**${cell(report.reason)}**`,
    '',
    '| | |',
    '|---|---|',
    ...facts.map(([label, value]) => `| ${label} | ${cell(value)} |`),
    '',
    '### Latency',
    '',
    renderLatencyTable(report),
    ...(chart !== undefined ? ['', chart] : []),
    ...(streams !== undefined ? ['', '### Streamed tokens', '', streams] : []),
    ...(checks !== undefined ? ['', '### Checks', '', checks] : []),
    ...(metrics !== undefined ? ['', '### Metrics', '', metrics] : []),
    ...(answers !== undefined ? ['', '### Answers', '', answers] : []),
    ...(paused !== undefined ? ['', '### Finish the paused canary', '', paused] : []),
    '',
  ].join('\n');
}
