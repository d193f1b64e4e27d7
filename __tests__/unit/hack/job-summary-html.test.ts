import { describe, expect, it } from '@jest/globals';
import { escapeHtml, markdownToHtml, renderSummaryPage } from '../../../hack/job-summary-html.ts';
import { renderJobSummary } from '../../../src/github/job-summary.ts';
import { previewCommentMarker, renderPreviewComment } from '../../../src/github/pr-comment.ts';
import type { RunReport } from '../../../src/report.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const SCRIPT = '../mermaid.min.js';

const arm = (p50Ms: number) => ({
  n: 600,
  requests: 600,
  errors: 0,
  errorRate: 0,
  p50Ms,
  p90Ms: p50Ms + 5,
  p95Ms: p50Ms + 8,
  p99Ms: p50Ms + 15,
});

const PROMOTED: RunReport = {
  mode: 'canary',
  decision: 'promoted',
  reason: 'the canary passed its checks and was promoted',
  namespace: 'demo',
  target: 'tiny-mlp',
  commit: SHA,
  image: { reference: `localhost:5000/demo/tiny-mlp:${SHA}`, digest: `sha256:${'ab'.repeat(32)}` },
  canary: arm(20),
  stable: arm(21),
  checks: [{ name: 'latency', outcome: 'pass', reason: 'canary p95 within 10% | of stable' }],
  limits: { maxP95Ms: 500, maxErrorRate: 0.01 },
};

const FIRST_DEPLOY: RunReport = { ...PROMOTED, stable: undefined, checks: undefined };

/** A wrong canary: its answers quoted in <code> cells, with characters that must stay text. */
const WRONG_ANSWERS: RunReport = {
  ...PROMOTED,
  decision: 'reverted',
  reason: 'answers disagree with stable on 100% of requests',
  answers: {
    minAgreement: 0.99,
    comparisons: [
      {
        against: 'stable',
        compared: 40,
        agreed: 0,
        agreement: 0,
        lowerBound: 0,
        upperBound: 0.07,
        needed: 300,
        outcome: 'fail',
        disagreements: [
          {
            id: 'request-1',
            request: '{"inputs":[{"data":[1,2]}]}',
            reference: '<script>alert(1)</script> & 0.91',
            candidate: '0.12 & <b>',
            difference: 'top-1 differs',
          },
        ],
      },
    ],
  },
};

/** Failed before anything was measured: no chart. */
const FAILED_BUILD: RunReport = {
  mode: 'canary',
  decision: 'failed',
  reason: 'build failed: base-image localhost:5000/missing:1 was not found',
  namespace: 'demo',
  target: 'tiny-mlp',
  commit: SHA,
  limits: { maxErrorRate: 0.01 },
};

/** Reverses escapeHtml, as the browser does before mermaid reads a chart's text. */
function unescapeHtml(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The source of every ```mermaid fence of a Markdown text, in order. */
function mermaidFences(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((match) => match[1]!);
}

/** The chart sources of every element mermaid draws, as the browser hands them to mermaid. */
function mermaidCharts(html: string): string[] {
  return [...html.matchAll(/<pre class="mermaid">([\s\S]*?)<\/pre>/g)].map((match) =>
    unescapeHtml(match[1]!),
  );
}

/** Markdown tables: one separator row (|---|--:|) each. */
function markdownTables(markdown: string): number {
  return markdown.split('\n').filter((line) => /^\|(?:\s*:?-+:?\s*\|)+$/.test(line)).length;
}

describe('renderSummaryPage: a job summary drawn as GitHub shows it', () => {
  it.each([
    ['a canary beside stable (bars and a line)', PROMOTED, 1],
    ['a first deployment (bars only)', FIRST_DEPLOY, 1],
    ['a wrong canary with its answers quoted', WRONG_ANSWERS, 1],
    ['a build that failed before measuring (no chart)', FAILED_BUILD, 0],
  ])('%s', (_, report, charts) => {
    const markdown = renderJobSummary(report);
    const page = renderSummaryPage({ title: 'canary summary', markdown, mermaidScript: SCRIPT });

    // Every chart becomes an element mermaid draws, holding exactly the fence's source.
    expect(mermaidCharts(page)).toEqual(mermaidFences(markdown));
    expect(mermaidCharts(page)).toHaveLength(charts);
    expect(page).not.toContain('language-mermaid');
    // Every table of the summary is a table of the page.
    expect(page.match(/<table>/g)?.length ?? 0).toBe(markdownTables(markdown));
    // mermaid's bundle is loaded, then started, after the charts; a page without one loads nothing.
    const scripts = [...page.matchAll(/<script[^>]*>[^<]*<\/script>/g)].map((match) => match[0]);
    if (charts > 0) {
      expect(scripts).toEqual([
        `<script src="${SCRIPT}"></script>`,
        expect.stringMatching(/^<script>mermaid\.initialize\(\{ startOnLoad: true/),
      ]);
      expect(page.indexOf('<script')).toBeGreaterThan(page.lastIndexOf('<pre class="mermaid">'));
    } else {
      expect(scripts).toEqual([]);
    }
  });

  it('keeps what the summary quotes as text: a quoted answer never becomes markup', () => {
    const page = renderSummaryPage({
      title: 'canary summary',
      markdown: renderJobSummary(WRONG_ANSWERS),
      mermaidScript: SCRIPT,
    });
    // The summary's own HTML passes through as written (a bare & is text to a browser).
    expect(page).toContain('<code>&lt;script>alert(1)&lt;/script> & 0.91</code>');
    expect(page).toContain('<code>0.12 & &lt;b></code>');
    expect(page).not.toContain('<script>alert(1)');
  });

  it('draws the chart of a preview comment inside its collapsed section, and hides its marker', () => {
    const preview: RunReport = {
      ...PROMOTED,
      mode: 'preview',
      decision: 'preview',
      target: 'tiny-mlp-pr-42',
      previewUrl: 'https://127.0.0.1:6443/api/v1/namespaces/demo/services/tiny-mlp-pr-42:http/proxy/',
    };
    const markdown = renderPreviewComment(preview, 'tiny-mlp', 'https://github.com/o/r/actions/runs/1');
    const html = markdownToHtml(markdown);
    const details = /<details><summary>Chart<\/summary>([\s\S]*?)<\/details>/.exec(html);
    expect(details).not.toBeNull();
    expect(mermaidCharts(details![1]!)).toEqual(mermaidFences(markdown));
    // The marker stays an HTML comment: there for the next run to find, invisible to a reader.
    expect(html).toContain(previewCommentMarker('tiny-mlp'));
    expect(html).toContain('<a href="https://github.com/o/r/actions/runs/1">this run</a>');
  });

  it.each([
    [
      'several charts, each drawn, in order',
      '```mermaid\npie\n  "a" : 1\n```\n\ntext\n\n```mermaid\nxychart-beta\n  bar [1, 2]\n```\n',
    ],
    [
      'a chart whose source holds markup characters',
      '```mermaid\nflowchart LR\n  A["<b>a & b</b>"] --> B\n```\n',
    ],
    [
      'a fence whose info string goes on after the language',
      '```mermaid title="x"\nflowchart LR\n  A --> B\n```\n',
    ],
  ])('mermaid fences: %s', (_, markdown) => {
    const html = markdownToHtml(markdown);
    const sources = [...markdown.matchAll(/^```mermaid[^\n]*\n([\s\S]*?)\n```$/gm)].map((match) => match[1]!);
    expect(mermaidCharts(html)).toEqual(sources);
    expect(html).not.toMatch(/<pre class="mermaid">[^<]*<(?!\/pre>)/);
  });

  it.each([
    ['another language', '```js\nconst a = 1 < 2;\n```\n', 'language-js'],
    ['no language', '```\nplain\n```\n', '<pre><code>'],
    ['a language that only starts like mermaid', '```mermaidx\nx\n```\n', 'language-mermaidx'],
  ])('a fence of %s stays a code block', (_, markdown, expected) => {
    const html = markdownToHtml(markdown);
    expect(html).toContain(expected);
    expect(mermaidCharts(html)).toEqual([]);
  });

  it('escapes the title and the script address', () => {
    const page = renderSummaryPage({
      title: 'push 5 <preview> "#42" & co',
      markdown: renderJobSummary(PROMOTED),
      mermaidScript: 'a "b"/mermaid.min.js',
    });
    const title = escapeHtml('push 5 <preview> "#42" & co');
    expect(page).toContain(`<title>${title}</title>`);
    expect(page).toContain(`<header>${title}</header>`);
    expect(page).toContain('<script src="a &quot;b&quot;/mermaid.min.js"></script>');
  });
});
