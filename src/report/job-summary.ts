/**
 * Pure: RunReport → the Markdown of the job summary (and the latency part the PR comment reuses).
 * The decision and its reason come first, since that is what a reader opens the summary for.
 */
import {
  formatChange,
  formatMs,
  formatPercent,
  pinnedImage,
  type ArmStats,
  type Decision,
  type RunReport,
} from './run-report.ts';

const DECISION_HEADLINE: Record<Decision, string> = {
  promoted: '✅ promoted',
  reverted: '⏪ reverted',
  preview: '🔍 preview',
  skipped: '⏭️ skipped',
};

const PERCENTILES = [
  ['p50', 'p50Ms'],
  ['p90', 'p90Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
] as const satisfies readonly (readonly [string, keyof ArmStats])[];

/** Escapes what would break a Markdown table cell or start HTML. */
function cell(text: string): string {
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

function armRow(label: string, arm: ArmStats): string {
  return tableRow([
    label,
    String(arm.requests),
    ...PERCENTILES.map(([, key]) => formatMs(arm[key])),
    `${formatPercent(arm.errorRate)} (${arm.errors})`,
  ]);
}

function limitRow(report: RunReport): string {
  const { limits, judge } = report;
  const p95Limits = [
    limits.maxP95Ms !== undefined ? `≤ ${formatMs(limits.maxP95Ms)}` : undefined,
    judge !== undefined && report.stable !== undefined
      ? `≤ stable ${formatChange(judge.maxRegression)}`
      : undefined,
  ].filter((limit) => limit !== undefined);
  const p99Limit = limits.maxP99Ms !== undefined ? `≤ ${formatMs(limits.maxP99Ms)}` : '';
  return tableRow([
    'limit',
    '',
    '',
    '',
    p95Limits.join(' and '),
    p99Limit,
    `≤ ${formatPercent(limits.maxErrorRate)}`,
  ]);
}

function judgeRow(report: RunReport): string | undefined {
  const { judge } = report;
  if (judge === undefined) return undefined;
  const quantile = `p${Math.round(judge.quantile * 100)}`;
  const cells: Record<string, string> = { p50: '', p90: '', p95: '', p99: '' };
  cells[quantile] =
    `${formatChange(judge.relativeChange)} [${formatChange(judge.lowerBound)}, ${formatChange(judge.upperBound)}]`;
  const label = `judge: ${armName(report)} vs stable, ${Math.round(judge.confidence * 100)}% bounds`;
  return tableRow([label, '', ...PERCENTILES.map(([name]) => cells[name]!), judge.verdict]);
}

/** The canary-vs-stable table: n, p50..p99, error rate, the limits and the judge's bounds. */
export function renderLatencyTable(report: RunReport): string {
  if (report.canary === undefined) return '_No latency was measured in this run._';
  const lines = [
    '| | requests | p50 ms | p90 ms | p95 ms | p99 ms | error rate |',
    '|---|--:|--:|--:|--:|--:|--:|',
    armRow(armName(report), report.canary),
  ];
  if (report.stable !== undefined) lines.push(armRow('stable', report.stable));
  lines.push(limitRow(report));
  const judge = judgeRow(report);
  if (judge !== undefined) lines.push(judge);
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
  const series = (arm: ArmStats): string =>
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
    '',
  ].join('\n');
}
