/**
 * reliability: the figures of issue #15's fault suite, each from the same code as its chaos test
 * (docs/reliability.md says how each is measured). RELIABILITY_PARTS picks parts, comma-separated
 * (default: all); a part that needs the local cluster fails when it is down, never skips.
 *
 * - bad-inputs (no cluster): the corpus in __tests__/fixtures/bad-inputs.ts through
 *   `node dist/index.js`; `bad_inputs_rejected_before_change` counts the cases refused as they must
 *   be (exit 1, exactly their inputs named, nothing contacted or started, no secret written).
 * - secrets (cluster): __tests__/chaos/secret-scan.ts; `secret_hits` counts each place a planted
 *   secret was found. A scan that could not have looked (a job not promoted, no build seen, the
 *   pull Secret not as designed) fails instead of writing a figure.
 * - concurrency (cluster): __tests__/chaos/concurrent-runs.ts, five runs started together on one
 *   target; `concurrent_interleavings` counts pairs of runs whose writes overlapped. A run that
 *   neither completed nor waited out its bound, or a completed run whose writes the watch missed,
 *   fails the part.
 * - faults (cluster): __tests__/chaos/fault-runs.ts, twenty canary runs (promoting and reverting
 *   verdicts in turn) through a proxy that faults 5 % of API requests; `fault_runs_correct` counts
 *   those that reached the fault-free decision and left the cluster consistent. Fault-free control
 *   runs that do not reach their verdicts' decisions fail the part.
 * - kills (cluster): __tests__/chaos/kill-runs.ts, twenty kill points over every stage, each
 *   followed by the post step (SIGTERM), the next attempt or mode cleanup from another run
 *   (SIGKILL); `kill_cases_clean` counts the cases that ended with stable serving and nothing of
 *   ours left. `orphan_recovered` is 1 when every case where mode cleanup found a dead run's record
 *   on the Lease undid it (and there was such a case), else 0.
 *
 * `publish` renders docs/reliability.md's table from the results file this run wrote, so the page
 * shows only figures that were measured, with their date and commit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAD_INPUT_CASES } from '../../__tests__/fixtures/bad-inputs.ts';
import { runBadInputCases, wrongsOf } from '../../__tests__/support/bad-input-run.ts';
import { runSecretScan } from '../../__tests__/chaos/secret-scan.ts';
import { runConcurrentRuns } from '../../__tests__/chaos/concurrent-runs.ts';
import { runFaultRuns } from '../../__tests__/chaos/fault-runs.ts';
import { runKillCases } from '../../__tests__/chaos/kill-runs.ts';
import { faultTotal } from '../../__tests__/support/fault-proxy.ts';
import type { Metric, Publish, ResultsDocument, Suite, SuiteResults } from '../results.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = join(REPO_ROOT, 'docs/reliability.md');
const TABLE_START = '<!-- reliability results: written by npm run bench -- reliability -->';
const TABLE_END = '<!-- end of reliability results -->';

/** Cases run side by side in the bad-inputs part. */
const PARALLEL = Number(process.env['RELIABILITY_PARALLEL'] ?? 3);

/** The figures issue #15 asks for, with the value that means done. */
const TARGETS: { metric: string; done: string; part: string }[] = [
  { metric: 'fault_runs_correct', done: '20 of 20', part: 'faults' },
  { metric: 'kill_cases_clean', done: '20 of 20', part: 'kills' },
  { metric: 'bad_inputs_rejected_before_change', done: 'all cases', part: 'bad-inputs' },
  { metric: 'secret_hits', done: '0', part: 'secrets' },
  { metric: 'concurrent_interleavings', done: '0', part: 'concurrency' },
  { metric: 'orphan_recovered', done: '1', part: 'kills' },
];

async function badInputs(): Promise<SuiteResults> {
  const started = Date.now();
  const runs = await runBadInputCases(BAD_INPUT_CASES, PARALLEL, (testCase, run) => {
    const wrongs = wrongsOf(testCase, run);
    if (wrongs.length > 0) console.log(`WRONG ${testCase.id}:\n  ${wrongs.join('\n  ')}`);
  });
  const rejected = runs.filter((run, index) => wrongsOf(BAD_INPUT_CASES[index]!, run).length === 0).length;
  console.log(
    `bad-inputs: ${rejected} of ${runs.length} cases refused before any change, in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
  return {
    bad_inputs_rejected_before_change: { value: rejected, unit: `of ${runs.length} cases` },
  };
}

async function secrets(): Promise<SuiteResults> {
  const scan = await runSecretScan();
  const unseen = [
    ...(scan.decisions.every((decision) => decision === 'promoted')
      ? []
      : [`the jobs' decisions were ${scan.decisions.join(', ')}`]),
    ...(scan.buildctlCommandLines > 0 ? [] : ['no buildctl command line was sampled']),
    ...(scan.blobs > 0 && scan.objects > 0 ? [] : ['no blob or no object was read']),
    ...scan.pullSecretWrongs.map((wrong) => `pull Secret: ${wrong}`),
  ];
  if (unseen.length > 0)
    throw new Error(`the secret scan could not have looked: ${unseen.join('; ')}\n${scan.logs}`);
  for (const hit of scan.hits) console.log(`HIT ${hit}`);
  console.log(
    `secrets: ${scan.hits.length} hits in ${scan.commandLines} command lines, ${scan.objects} objects, ${scan.blobs} blobs and the jobs' logs and files`,
  );
  return { secret_hits: { value: scan.hits.length, unit: 'hits' } };
}

async function concurrency(): Promise<SuiteResults> {
  const { runs, interleavings, logs } = await runConcurrentRuns(5);
  const unseen = runs.filter((run) => (run.code === 0 && run.decided ? run.writes === 0 : !run.gaveUp));
  if (unseen.length > 0) {
    throw new Error(`runs ${unseen.map((run) => run.holder).join(', ')} failed or went unseen:\n${logs}`);
  }
  for (const run of runs) {
    console.log(
      `${run.holder}: exit ${run.code}, ${run.waited ? 'waited' : 'did not wait'}, ${run.writes} writes at ${run.window?.join('–') ?? 'none'}`,
    );
  }
  console.log(`concurrency: ${interleavings} interleavings among ${runs.length} runs`);
  return {
    concurrent_interleavings: { value: interleavings, unit: `overlapping pairs of ${runs.length} runs` },
  };
}

async function faults(): Promise<SuiteResults> {
  const { control, runs, faults: injected } = await runFaultRuns(20, 0.05);
  const wrongControl = control.filter((run) => !run.correct);
  if (wrongControl.length > 0)
    throw new Error(
      `the fault-free runs did not decide as their verdicts:\n${wrongControl.map((run) => run.log).join('\n')}`,
    );
  for (const [index, run] of runs.entries()) {
    const count = faultTotal(run.faults);
    console.log(
      `run ${index + 1} (${run.verdict}): ${run.correct ? 'correct' : 'WRONG'}, ${run.decision ?? 'no decision'}, ${count} faults in ${run.requests} requests`,
    );
    if (!run.correct) console.log(run.log);
  }
  const correct = runs.filter((run) => run.correct).length;
  const total = faultTotal(injected);
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  console.log(
    `faults: ${correct} of ${runs.length} runs correct; ${total} faults in ${requests} requests (${Object.entries(
      injected,
    )
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')})`,
  );
  return {
    fault_runs_correct: { value: correct, unit: `of ${runs.length} runs` },
    fault_injected: { value: total, unit: `faults in ${requests} API requests` },
  };
}

async function kills(): Promise<SuiteResults> {
  const cases = await runKillCases();
  for (const c of cases) {
    console.log(
      `case ${c.index + 1} ${c.point.stage} (${c.point.verdict}), ${c.recovery}: ${c.clean ? 'clean' : 'NOT CLEAN'}; pending at kill ${c.pendingAtKill.join(', ') || 'none'}${c.exitedBeforeKill ? '; had exited before the kill' : ''}`,
    );
    if (!c.clean) console.log(c.log);
  }
  const clean = cases.filter((c) => c.clean).length;
  const orphans = cases.filter((c) => c.recovery === 'cleanup' && c.pendingAtKill.length > 0);
  const undone = orphans.filter((c) => c.clean && c.recoveredOrphan).length;
  console.log(
    `kills: ${clean} of ${cases.length} clean; ${undone} of ${orphans.length} orphaned records undone`,
  );
  return {
    kill_cases_clean: { value: clean, unit: `of ${cases.length} cases` },
    orphan_recovered: {
      value: orphans.length > 0 && undone === orphans.length ? 1 : 0,
      unit: `(${undone} of ${orphans.length} orphaned canaries undone by mode cleanup from another run)`,
    },
  };
}

const PARTS: Record<string, () => Promise<SuiteResults>> = {
  'bad-inputs': badInputs,
  secrets,
  concurrency,
  faults,
  kills,
};

export const run: Suite = async () => {
  const requested = (process.env['RELIABILITY_PARTS'] ?? Object.keys(PARTS).join(','))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const unknown = requested.filter((part) => !(part in PARTS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown RELIABILITY_PARTS ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}`,
    );
  }
  const results: SuiteResults = {};
  for (const part of requested) Object.assign(results, await PARTS[part]!());
  return results;
};

function shown(metric: Metric | string | undefined): string {
  return metric === undefined || typeof metric === 'string'
    ? 'not measured in this run'
    : `${metric.value} ${metric.unit}`;
}

/** docs/reliability.md's table, from the results file at `path`. */
export const publish: Publish = (path) => {
  const results = JSON.parse(readFileSync(path, 'utf8')) as ResultsDocument;
  const named = new Set(TARGETS.map((target) => target.metric));
  const rows = [
    ...TARGETS.map(
      ({ metric, done, part }) => `| \`${metric}\` | ${shown(results[metric])} | ${done} | ${part} |`,
    ),
    ...Object.keys(results)
      .filter((key) => key !== 'commit' && key !== 'date' && !named.has(key))
      .map((metric) => `| \`${metric}\` | ${shown(results[metric])} | | |`),
  ];
  const table = [
    TABLE_START,
    `Measured ${results.date.slice(0, 10)} at commit \`${results.commit.slice(0, 12)}\` (\`bench/results/reliability.json\`).`,
    '',
    '| metric | measured | done when | part |',
    '|---|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n');
  const page = readFileSync(PAGE, 'utf8');
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${PAGE} lacks the markers around its results table`);
  writeFileSync(PAGE, page.slice(0, start) + table + page.slice(end + TABLE_END.length));
  return PAGE;
};
