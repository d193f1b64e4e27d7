import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { parseSuiteResults, type RecordedResults } from '../../../bench/results.ts';
import {
  formatFigure,
  formatRatio,
  renderBenchmarksPage,
  SUITES,
  winner,
} from '../../../hack/benchmarks-page.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const recorded = (metrics: RecordedResults['metrics'], commit = COMMIT): RecordedResults => ({
  metrics,
  commit,
  date: '2026-11-25T17:41:22.469Z',
});

/** The table row of a metric: the line that starts with its name in backticks. */
const rowOf = (page: string, label: string): string[] => {
  const line = page.split('\n').find((text) => text.startsWith(`| ${label} |`));
  if (!line) throw new Error(`no row ${label} in:\n${page}`);
  // Cells split at pipes that are not escaped (a cell's own pipe is written \|).
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());
};

describe('formatFigure', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [1.77, '1.77'],
    [0.0003, '0.0003'],
    [0.0235, '0.0235'],
    [594.18, '594.2'],
    [199.575, '199.6'],
    [0.0009900499987374374, '0.00099'],
    [6658.040910000001, '6,658'],
    [132170, '132,170'],
    [6127892, '6,127,892'],
    [999.96, '1,000'],
    [-2.5, '-2.5'],
    [-12345.6, '-12,346'],
  ])('%p → %s', (value, shown) => {
    expect(formatFigure(value)).toBe(shown);
  });
});

describe('formatRatio', () => {
  it.each([
    [132170, 73638, '1.79×'],
    [1.7, 89, '0.0191×'],
    [0, 0.0007, '0×'],
    [0.752, 0.0005, '1500×'],
    [1, 1, '1×'],
    [1, 0, '—'],
    [0, 0, '—'],
  ])('%p ÷ %p → %s', (ours, peer, shown) => {
    expect(formatRatio(ours, peer)).toBe(shown);
  });
});

describe('winner', () => {
  it.each([
    [1, 2, 'lower', 'ours'],
    [2, 1, 'lower', 'peer'],
    [1, 2, 'higher', 'peer'],
    [2, 1, 'higher', 'ours'],
    [0, 0, 'lower', 'tie'],
    [3, 3, 'higher', 'tie'],
    [1, 2, undefined, ''],
  ] as const)('ours %p, peer %p, %s is better → %p', (ours, peer, better, expected) => {
    expect(winner(ours, peer, better)).toBe(expected);
  });
});

describe('SUITES: which way each suite’s metrics are better', () => {
  it.each([
    ['build', 'cold_build_s', 'lower'],
    ['build', 'bytes_pushed_warm', 'lower'],
    ['build', 'weights_layer_reused', 'higher'],
    ['build', 'warm_runs', undefined],
    ['rollout', 'detect_crashloop_s', 'lower'],
    ['rollout', 'available_reaction_ms', 'lower'],
    ['rollout', 'api_requests_replicas_1', undefined],
    ['load', 'max_rps_one_core', 'higher'],
    ['load', 'rps_per_cpu_second', 'higher'],
    ['load', 'stall_p99_ms', undefined],
    ['judge', 'aa_false_revert_rate_lognormal_sigma05_n800', 'lower'],
    ['judge', 'aa_false_revert_rate_worst_family_standard_error', undefined],
    ['judge', 'revert_rate_tail20_sigma05_n800', 'higher'],
    ['judge', 'power_p99_x2_slowest2pct_n800', 'higher'],
    ['judge', 'revert_rate_shift10_sigma05_n800', undefined],
    ['judge', 'agreement_false_revert_rate', 'lower'],
    ['judge', 'agreement_revert_rate_flaky01', 'lower'],
    ['judge', 'agreement_power_wrong5', 'higher'],
    ['judge', 'judge_look_ms_n1e4', undefined],
    ['startup', 'dry_run_ms', undefined],
  ])('%s %s: %p', (suite, metric, better) => {
    expect(SUITES[suite]!.better(metric)).toBe(better);
  });
});

describe('renderBenchmarksPage', () => {
  const build = recorded({
    cold_build_s: { value: 1.77, unit: 's', peer: 'naive Dockerfile', peer_value: 2.323 },
    warm_build_s: { value: 0.483, unit: 's', peer: 'naive Dockerfile', peer_value: 0.462 },
    warm_runs: { value: 5, unit: 'count' },
  });
  const startup = recorded(
    { dry_run_ms: { value: 64.4, unit: 'ms', peer: 'node -e 0', peer_value: 34 } },
    'fedcba9876543210fedcba9876543210fedcba98',
  );

  it("shows every figure beside its peer's, with the command, the commit and the date of its run", () => {
    const page = renderBenchmarksPage([{ name: 'build', results: build }]);
    expect(rowOf(page, '`cold_build_s`')).toEqual([
      '`cold_build_s`',
      '1.77',
      's',
      'naive Dockerfile',
      '2.323',
      '0.762×',
      'ours',
    ]);
    expect(rowOf(page, '`warm_build_s`')).toEqual([
      '`warm_build_s`',
      '0.483',
      's',
      'naive Dockerfile',
      '0.462',
      '1.05×',
      'peer',
    ]);
    expect(rowOf(page, '`warm_runs`')).toEqual(['`warm_runs`', '5', 'count', '', '', '', '']);
    expect(page).toContain('`npm run bench -- build`');
    expect(page).toContain(`at commit \`${COMMIT}\``);
    expect(page).toContain('2026-11-25T17:41:22.469Z');
    expect(page).toContain('| [build](#build) | naive Dockerfile | 2026-11-25, `0123456` |');
    expect(page).toContain(SUITES['build']!.measures);
  });

  it('orders suites as SUITES does, each with its own commit, whatever order they come in', () => {
    const page = renderBenchmarksPage([
      { name: 'startup', results: startup },
      { name: 'build', results: build },
    ]);
    expect(page.indexOf('## build')).toBeLessThan(page.indexOf('## startup'));
    expect(page).toContain('at commit `fedcba9876543210fedcba9876543210fedcba98`');
    // A floor, not a rival: the ratio is shown, no winner.
    expect(rowOf(page, '`dry_run_ms`')).toEqual([
      '`dry_run_ms`',
      '64.4',
      'ms',
      'node -e 0',
      '34',
      '1.89×',
      '',
    ]);
  });

  it("puts a second peer's figure in a row of its own beside ours, not as a metric of ours", () => {
    const page = renderBenchmarksPage([
      {
        name: 'judge',
        results: recorded({
          aa_false_revert_rate_x: { value: 0.0056, unit: 'ratio', peer: 'kayenta-style', peer_value: 0.0015 },
          flagger_revert_rate_x: { value: 0.048, unit: 'ratio' },
          revert_rate_y: { value: 0.9, unit: 'ratio', peer: 'kayenta-style', peer_value: 0.1 },
          flagger_revert_rate_y: { value: 0.95, unit: 'ratio' },
          flagger_revert_rate_orphan: { value: 0.5, unit: 'ratio' },
        }),
      },
    ]);
    expect(rowOf(page, '`aa_false_revert_rate_x`')).toEqual([
      '`aa_false_revert_rate_x`',
      '0.0056',
      'ratio',
      'kayenta-style',
      '0.0015',
      '3.73×',
      'peer',
    ]);
    expect(rowOf(page, "`aa_false_revert_rate_x` (the peer's figure: `flagger_revert_rate_x`)")).toEqual([
      "`aa_false_revert_rate_x` (the peer's figure: `flagger_revert_rate_x`)",
      '0.0056',
      'ratio',
      'flagger-style p99 threshold',
      '0.048',
      '0.117×',
      'ours',
    ]);
    expect(rowOf(page, "`revert_rate_y` (the peer's figure: `flagger_revert_rate_y`)")).toContain('peer');
    expect(page).not.toContain('| `flagger_revert_rate_x` |');
    // Without a metric of ours to sit beside, the figure is still shown, as a row of its own.
    expect(rowOf(page, '`flagger_revert_rate_orphan`')).toEqual([
      '`flagger_revert_rate_orphan`',
      '0.5',
      'ratio',
      '',
      '',
      '',
      '',
    ]);
  });

  it("shows a run's note only while the results are from that run's commit", () => {
    const [commit, note] = Object.entries(SUITES['judge']!.runNotes!)[0]!;
    const metrics = { judge_look_ms_n1e4: { value: 6658.04, unit: 'ms' } };
    expect(renderBenchmarksPage([{ name: 'judge', results: recorded(metrics, commit) }])).toContain(
      `> ${note}`,
    );
    expect(renderBenchmarksPage([{ name: 'judge', results: recorded(metrics) }])).not.toContain(note);
  });

  it('escapes a pipe in a unit or a peer name, so the row keeps its columns', () => {
    const page = renderBenchmarksPage([
      {
        name: 'build',
        results: recorded({ odd: { value: 1, unit: 'a|b', peer: 'x|y', peer_value: 2 } }),
      },
    ]);
    expect(page).toContain('| `odd` | 1 | a\\|b | x\\|y | 2 | 0.5× |  |');
  });

  it('lists suites without results as not recorded yet, and a peer without a figure as a dash', () => {
    const page = renderBenchmarksPage([
      { name: 'rollout' },
      { name: 'load', results: recorded({ stall_p99_ms: { value: 901.4, unit: 'ms', peer: 'autocannon' } }) },
    ]);
    expect(page).toContain('## Not recorded yet');
    expect(page).toContain('- `rollout`: no `bench/results/rollout.json`; run `npm run bench -- rollout`.');
    expect(page).not.toContain('## rollout');
    expect(rowOf(page, '`stall_p99_ms`')).toEqual([
      '`stall_p99_ms`',
      '901.4',
      'ms',
      'autocannon',
      '—',
      '',
      '',
    ]);
  });

  it('refuses results of a suite it has no words for, naming the suite and where to add them', () => {
    expect(() => renderBenchmarksPage([{ name: 'soak', results: build }])).toThrow(
      /suite soak has no description in hack\/benchmarks-page\.ts \(SUITES\)/,
    );
  });

  it("shows every metric of this repository's recorded results, under its suite", () => {
    const suites = readdirSync('bench/results')
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({
        name: file.replace(/\.json$/, ''),
        results: parseSuiteResults(readFileSync(`bench/results/${file}`, 'utf8'), file),
      }));
    expect(suites.length).toBeGreaterThan(0);
    const page = renderBenchmarksPage(suites);
    for (const { name, results } of suites) {
      const section = page.slice(page.indexOf(`## ${name}\n`)).split('\n## ')[0]!;
      for (const metric of Object.keys(results.metrics)) expect(section).toContain(`\`${metric}\``);
      expect(section).toContain(results.commit);
    }
  });
});
