/**
 * Pure: a job summary's Markdown (what the action appends to GITHUB_STEP_SUMMARY, or a PR comment)
 * → one HTML page that shows it as GitHub shows it: GitHub-flavoured Markdown (tables, inline HTML
 * such as <code> and <details>) and the ```mermaid blocks drawn as charts. The demo writes one page
 * per push (hack/demo.ts). Mermaid is drawn in the browser by its own bundle, loaded from a file
 * next to the page, so the page works offline; a page without a chart loads no script.
 *
 * The Markdown's own HTML is kept, as GitHub keeps it: what the summary quotes from outside (model
 * answers, error messages) is escaped where it is written (src/github/job-summary.ts).
 */
import { Marked, type Tokens } from 'marked';

/** One page: its title, the Markdown it shows, and where the page finds mermaid's browser bundle. */
export interface SummaryPage {
  title: string;
  markdown: string;
  /** The `src` of mermaid's browser bundle (mermaid.min.js), relative to the page. */
  mermaidScript: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The element mermaid draws: its `run()` reads the chart's source from every `.mermaid` element. */
const MERMAID_CLASS = 'mermaid';

/**
 * GitHub-flavoured Markdown → HTML; a ```mermaid fence becomes a `<pre class="mermaid">` holding
 * the chart's escaped source, as GitHub replaces such fences with the drawn chart.
 */
export function markdownToHtml(markdown: string): string {
  // A Marked instance of its own: `marked.use` would change the library's shared default.
  const marked = new Marked({
    gfm: true,
    renderer: {
      code({ text, lang }: Tokens.Code): string | false {
        // The info string's first word names the language, as for any fence.
        if (/^\S*/.exec(lang ?? '')?.[0] !== 'mermaid') return false;
        return `<pre class="${MERMAID_CLASS}">${escapeHtml(text)}</pre>\n`;
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

/** Whether rendered HTML holds a chart for mermaid to draw. */
function hasMermaidChart(html: string): boolean {
  return html.includes(`<pre class="${MERMAID_CLASS}">`);
}

/**
 * Close to GitHub's rendering of a summary (its Markdown styles, light theme), kept short: fonts,
 * tables with borders and right-aligned number columns, code and collapsible sections.
 */
const STYLE = `
body { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.summary { max-width: 1012px; margin: 24px auto; background: #fff; border: 1px solid #d1d9e0;
  border-radius: 6px; }
.summary > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
.markdown-body { padding: 16px 32px 24px; }
.markdown-body h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
.markdown-body h3 { font-size: 1.25em; }
.markdown-body table { border-collapse: collapse; margin: 0 0 16px; display: block; overflow: auto; }
.markdown-body th, .markdown-body td { border: 1px solid #d1d9e0; padding: 6px 13px; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body code { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
.markdown-body pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
.markdown-body pre.mermaid { background: none; text-align: center; }
.markdown-body details { margin-bottom: 16px; }
`;

/** The whole page of one summary. */
export function renderSummaryPage({ title, markdown, mermaidScript }: SummaryPage): string {
  const body = markdownToHtml(markdown);
  const scripts = hasMermaidChart(body)
    ? [
        `<script src="${escapeHtml(mermaidScript)}"></script>`,
        // startOnLoad draws every .mermaid element once the page has loaded.
        `<script>mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' });</script>`,
      ]
    : [];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<section class="summary">',
    `<header>${escapeHtml(title)}</header>`,
    `<article class="markdown-body">`,
    body,
    '</article>',
    '</section>',
    ...scripts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
