/**
 * Pure: the sticky pull-request comment of a preview. One comment per preview name, found again
 * by a hidden marker, so every push updates it in place instead of adding another.
 */
import {
  renderAnswersSection,
  renderLatencyTable,
  renderMetricsSection,
  renderPercentileChart,
  renderStreamSection,
} from './job-summary.ts';
import { pinnedImage, type RunReport } from '../report.ts';

/** The hidden HTML comment that identifies a preview's sticky comment among all of a PR's comments. */
export function previewCommentMarker(name: string): string {
  return `<!-- model-canary:preview:${name} -->`;
}

/** The comment body: marker, headline, the preview's address and image, and the latency comparison. */
export function renderPreviewComment(report: RunReport, name: string, runUrl?: string): string {
  const image = pinnedImage(report);
  const ready = report.decision === 'preview';
  const chart = renderPercentileChart(report);
  const answers = renderAnswersSection(report);
  const streams = renderStreamSection(report);
  const metrics = renderMetricsSection(report);
  return [
    previewCommentMarker(name),
    ready ? `### 🔍 Preview of \`${name}\` is ready` : `### ❌ Preview of \`${name}\` failed`,
    '',
    report.reason,
    '',
    ...(report.previewUrl !== undefined ? [`**Address:** ${report.previewUrl}`, ''] : []),
    ...(image !== undefined ? [`**Image:** \`${image}\``, ''] : []),
    `**Commit:** \`${report.commit}\` · namespace \`${report.namespace}\` · objects \`${report.target}\``,
    '',
    report.stable !== undefined ? '**Latency against production (stable):**' : '**Latency:**',
    '',
    renderLatencyTable(report),
    ...(chart !== undefined ? ['', '<details><summary>Chart</summary>', '', chart, '', '</details>'] : []),
    ...(streams !== undefined ? ['', '**Streamed tokens:**', '', streams] : []),
    ...(metrics !== undefined ? ['', '**Metric checks:**', '', metrics] : []),
    ...(answers !== undefined ? ['', '**Answers:**', '', answers] : []),
    '',
    `<sub>Updated by model-canary${runUrl !== undefined ? ` in [this run](${runUrl})` : ''}. This comment is edited in place on every push; the preview is deleted when the pull request closes.</sub>`,
    '',
  ].join('\n');
}
