/**
 * docs/benchmarks.md, rendered from what the suites recorded (bench/results/<suite>.json), so that
 * no figure on the page is typed by hand. Here are only the words: one sentence per suite on what
 * it measures and who its peer is (read from bench/suites/<suite>.ts), which way each metric is
 * better, and notes tied to one recorded run. The figures, the peers' names, the units, the commit
 * and the date all come from the results files.
 */
import type { Metric, RecordedResults, SuiteResults } from '../bench/results.ts';

/** Which way a metric is better. */
export type Better = 'lower' | 'higher';

/** What the page says about one suite besides its figures. */
export interface SuiteDescription {
  /** What the suite measures, one sentence. */
  measures: string;
  /** Who the peer is and how it is run, one sentence. */
  peer: string;
  /** What must be running first, when the suite needs more than Node. */
  needs?: string;
  /** The document that explains the method and reads the figures, relative to docs/. */
  explained?: string;
  /** Which way a metric is better; undefined where neither is (the peer is a floor, or a figure has a right value). */
  better(metric: string): Better | undefined;
  /** A metric that is a second peer's figure for one of ours: which of ours, and that peer's name. */
  secondPeerOf?(metric: string, metrics: SuiteResults): { ours: string; peer: string } | undefined;
  /** Notes on one recorded run, by the commit it recorded: shown only while the results are from it. */
  runNotes?: Record<string, string>;
}

/** One suite as the page shows it: its name, its recorded results if any. */
export interface SuiteOnPage {
  name: string;
  results?: RecordedResults;
}

const lowerIf =
  (pattern: RegExp) =>
  (metric: string): Better | undefined =>
    pattern.test(metric) ? 'lower' : undefined;

/** The Flagger-style figure judge.ts records beside ours, under the name FLAGGER there. */
const FLAGGER_STYLE = 'flagger-style p99 threshold';

/** The suites' words, in the order the page shows them. */
export const SUITES: Record<string, SuiteDescription> = {
  build: {
    measures:
      'The example model (`examples/models/tiny-mlp`) built into its serving image cold (a repository no run used, `--no-cache`) and warm (after a change to the server code only, from the registry cache): the time, the bytes the registry received, and whether the weights layer was reused.',
    peer: 'The same builds from a naive Dockerfile that copies the model folder in one `COPY` without `--link`, as `docker/build-push-action` builds a hand-written Dockerfile.',
    needs: '`npm run cluster:up` (the local registry and BuildKit)',
    better: (metric) =>
      metric === 'weights_layer_reused' ? 'higher' : lowerIf(/_s$|^bytes_pushed_/)(metric),
  },
  rollout: {
    measures:
      'How soon the action knows that a canary has failed (crash loop, image pull failure, unschedulable, never ready) or become available, from the Kubernetes event that made the outcome certain, and how many API requests a canary run costs at 1 and 8 replicas.',
    peer: "`kubectl rollout status` watching the same Deployment with its default timeout, so it answers at the Deployment's progress deadline (the suite cuts the startup budget to 30 s so that this falls inside the run).",
    needs: '`npm run cluster:up` (the local Kubernetes)',
    better: lowerIf(/^detect_|^available_reaction_ms$/),
  },
  load: {
    measures:
      "The load generator's top rate on one core and its CPU cost, its percentile error against the server's own record of each request, and the p99 it reports when the server stalls for 1 s (coordinated omission).",
    peer: 'autocannon against the same loopback servers in the same run, alternating with ours; for the stall, a tool free of coordinated omission reports at least about 900 ms by construction, so neither figure there is simply better.',
    explained: 'load.md',
    better: (metric) => (/^max_rps_|^rps_per_cpu_/.test(metric) ? 'higher' : undefined),
  },
  judge: {
    measures:
      "The latency gate's false reverts (A/A: both arms drawn from one latency shape) and its power (the canary made slower) by seeded simulation over the shapes GPU servers produce, the cost of one look, and the answers check's revert rates.",
    peer: 'On the same draws: a Kayenta-style Mann-Whitney classifier and a Flagger-style p99 threshold for latency, and for answers the rule a hand-written webhook applies (revert on any disagreement). Fewer false reverts and more power are both better and trade against each other, so read the A/A rows with the regressed ones.',
    explained: 'judge.md',
    better: (metric) => {
      if (
        /^aa_false_revert_rate_(?!.*_standard_error$)|^agreement_false_revert_rate$|^agreement_revert_rate_flaky/.test(
          metric,
        )
      )
        return 'lower';
      // A canary 10 % slower overall sits exactly at max-regression: promoting and reverting are both right.
      if (/^(revert_rate|power)_shift10_/.test(metric)) return undefined;
      if (/^(revert_rate|power)_|^agreement_power_/.test(metric)) return 'higher';
      return undefined;
    },
    // judge.ts records the Flagger-style rate of a cell as its own metric beside ours.
    secondPeerOf: (metric, metrics) => {
      const cell = /^flagger_(revert_rate|power)_(.+)$/.exec(metric);
      if (!cell) return undefined;
      const candidates =
        cell[1] === 'power'
          ? [`power_${cell[2]}`]
          : [`aa_false_revert_rate_${cell[2]}`, `revert_rate_${cell[2]}`];
      const ours = candidates.find((name) => metrics[name] !== undefined);
      return ours === undefined ? undefined : { ours, peer: FLAGGER_STYLE };
    },
    runNotes: {
      '38f81d622162807b5bd2f1e64642ee7a9ba6443c':
        'This run took `judge_look_ms_*` while the machine was loaded by other work, so those two figures are far above what one look costs on an idle machine; [docs/judge.md](judge.md) gives an earlier run on an idle one. `npm run bench -- judge` on an idle machine replaces them.',
    },
  },
  reliability: {
    measures:
      'The fault suite of issue #15: hostile inputs refused before any build or cluster change, planted secrets searched for everywhere a run writes, five runs started together on one target, and (as they are recorded) faults injected in front of the API server and kills at every stage.',
    peer: 'None: each figure has a right value (all cases, 0 hits, 0 interleavings), stated beside it in [docs/reliability.md](reliability.md).',
    needs: '`npm run cluster:up` for every part but the bad inputs',
    explained: 'reliability.md',
    better: () => undefined,
  },
  startup: {
    measures:
      "What starting the action costs as the runner starts it: `node dist/index.js` for a dry run and for the post step, the dry run's peak memory, and the size of `dist/`.",
    peer: 'A bare `node -e 0`, the floor every Node action pays: the ratio is the overhead above it, not a contest.',
    explained: 'bundle.md',
    better: () => undefined,
  },
};

/** At most 4 significant digits, integers whole, thousands separated: the JSON keeps every digit. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const shown = Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
  if (!Number.isInteger(shown)) return String(shown);
  return String(shown).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** ours ÷ peer, 3 significant digits; a dash where the quotient means nothing (a zero peer). */
export function formatRatio(ours: number, peer: number): string {
  if (peer === 0) return '—';
  return `${Number((ours / peer).toPrecision(3))}×`;
}

/** Who did better by the metric's direction: `ours`, `peer`, `tie`, or '' where no direction applies. */
export function winner(ours: number, peer: number, better: Better | undefined): string {
  if (better === undefined) return '';
  if (ours === peer) return 'tie';
  return ours < peer === (better === 'lower') ? 'ours' : 'peer';
}

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');

interface Row {
  metric: string;
  ours: Metric;
  peer?: string;
  peerValue?: number;
  better: Better | undefined;
}

/** One row per metric with its recorded peer, and one more per second peer's figure that names it. */
function rowsOf(results: RecordedResults, description: SuiteDescription): { row: Row; label: string }[] {
  const { metrics } = results;
  const seconds = new Map<string, { metric: string; peer: string }[]>();
  for (const metric of Object.keys(metrics)) {
    const second = description.secondPeerOf?.(metric, metrics);
    if (second)
      seconds.set(second.ours, [...(seconds.get(second.ours) ?? []), { metric, peer: second.peer }]);
  }
  const shownAsSecond = new Set([...seconds.values()].flat().map((second) => second.metric));
  return Object.entries(metrics)
    .filter(([metric]) => !shownAsSecond.has(metric))
    .flatMap(([metric, ours]) => {
      const better = description.better(metric);
      const own = {
        row: {
          metric,
          ours,
          ...(ours.peer !== undefined ? { peer: ours.peer } : {}),
          ...(ours.peer_value !== undefined ? { peerValue: ours.peer_value } : {}),
          better,
        },
        label: code(metric),
      };
      const others = (seconds.get(metric) ?? []).map((second) => ({
        row: { metric, ours, peer: second.peer, peerValue: metrics[second.metric]!.value, better },
        label: `${code(metric)} (the peer's figure: ${code(second.metric)})`,
      }));
      return [own, ...others];
    });
}

function renderRow({ row, label }: { row: Row; label: string }): string {
  const compared = row.peerValue !== undefined;
  const cells = [
    label,
    formatFigure(row.ours.value),
    cell(row.ours.unit),
    row.peer === undefined ? '' : cell(row.peer),
    compared ? formatFigure(row.peerValue!) : row.peer === undefined ? '' : '—',
    compared ? formatRatio(row.ours.value, row.peerValue!) : '',
    compared ? winner(row.ours.value, row.peerValue!, row.better) : '',
  ];
  return `| ${cells.join(' | ')} |`;
}

/** Every peer a suite's figures are compared with, in first-seen order. */
function peersOf(results: RecordedResults, description: SuiteDescription): string[] {
  return [
    ...new Set(rowsOf(results, description).flatMap(({ row }) => (row.peer === undefined ? [] : [row.peer]))),
  ];
}

function descriptionOf(name: string): SuiteDescription {
  const description = SUITES[name];
  if (!description) {
    throw new Error(
      `benchmark suite ${name} has no description in hack/benchmarks-page.ts (SUITES): add what it measures and its peer, one sentence each`,
    );
  }
  return description;
}

function renderSuite(name: string, results: RecordedResults, description: SuiteDescription): string[] {
  const note = description.runNotes?.[results.commit];
  return [
    `## ${name}`,
    '',
    description.measures,
    '',
    `**Peer.** ${description.peer}`,
    '',
    `- Command: ${code(`npm run bench -- ${name}`)}${description.needs ? `, after ${description.needs}` : ''}`,
    `- Recorded: ${results.date}, at commit ${code(results.commit)}`,
    `- Method: [${code(`bench/suites/${name}.ts`)}](../bench/suites/${name}.ts)` +
      (description.explained
        ? `; figures read in [docs/${description.explained}](${description.explained})`
        : ''),
    ...(note ? ['', `> ${note}`] : []),
    '',
    "| metric | ours | unit | peer | peer's figure | ours ÷ peer | better |",
    '|---|---:|---|---|---:|---:|---|',
    ...rowsOf(results, description).map(renderRow),
    '',
  ];
}

const HEADER =
  '<!-- Generated by `npm run docs` from bench/results/*.json (hack/benchmarks-page.ts); `npm test` fails when it is stale. Edit the generator or re-run a suite, not this page. -->';

const HOW_TO_READ = [
  'Each suite measures model-canary and its peer in the same run, on the same machine (the judge',
  'suite simulates both on the same seeded draws), and writes `bench/results/<suite>.json`',
  '([docs/architecture.md](architecture.md#benchmarks)). Timed suites alternate the two where they',
  'can and record medians of repeated runs. The machines these ran on are shared, so compare a',
  'figure with its peer in the same row rather than with another suite or another run. Each suite',
  'was recorded at its own commit and date, given under its heading.',
  '',
  'In the tables, figures have at most 4 significant digits (the JSON keeps every digit). "ours ÷',
  'peer" divides our figure by the peer\'s; "better" says which of the two is better where a',
  'direction applies (lower time, higher throughput, fewer false reverts, more power) and is empty',
  'where none does.',
];

/** The whole page, from each suite's recorded results (in SUITES order; suites not yet run listed last). */
export function renderBenchmarksPage(suites: readonly SuiteOnPage[]): string {
  const order = Object.keys(SUITES);
  const position = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const sorted = [...suites].sort(
    (a, b) => position(a.name) - position(b.name) || a.name.localeCompare(b.name),
  );
  const recorded = sorted.flatMap((suite) =>
    suite.results
      ? [{ name: suite.name, results: suite.results, description: descriptionOf(suite.name) }]
      : [],
  );
  const notRun = sorted.filter((suite) => !suite.results).map((suite) => suite.name);
  return [
    HEADER,
    '',
    '# Benchmarks',
    '',
    ...HOW_TO_READ,
    '',
    '| suite | compared with | recorded |',
    '|---|---|---|',
    ...recorded.map(
      ({ name, results, description }) =>
        `| [${name}](#${name}) | ${peersOf(results, description).map(cell).join('; ')} | ${results.date.slice(0, 10)}, ${code(results.commit.slice(0, 7))} |`,
    ),
    '',
    ...recorded.flatMap(({ name, results, description }) => renderSuite(name, results, description)),
    ...(notRun.length > 0
      ? [
          '## Not recorded yet',
          '',
          ...notRun.map(
            (name) =>
              `- ${code(name)}: no \`bench/results/${name}.json\`; run ${code(`npm run bench -- ${name}`)}.`,
          ),
          '',
        ]
      : []),
  ].join('\n');
}
