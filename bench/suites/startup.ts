/**
 * startup: what starting the action costs, as the runner starts it (docs/bundle.md).
 *
 * - Dry run: `node dist/index.js` with a canary input set and dry-run true, every other input at
 *   its action.yml default, and the GITHUB_* variables and files a runner sets; each run must exit
 *   0 with decision=skipped. Post: the post step after it, given the state it saved as STATE_*
 *   variables (nothing pending). Peer: a bare `node -e 0`. One process at a time, alternating
 *   dry run, post, bare; medians of STARTUP_BENCH_RUNS (20) with the spread printed, after one
 *   untimed round that warms the file cache.
 * - Peak RSS of the dry run and of `node -e 0`, from process.resourceUsage() at exit (a preloaded
 *   hook, so in separate runs from the timed ones).
 * - Bytes under the bundle folder: dist/, or STARTUP_BENCH_DIST for a candidate bundle built elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { median, spread, type Suite } from '../results.ts';

const RUNS = Number(process.env['STARTUP_BENCH_RUNS'] ?? 20);
const RSS_RUNS = 5;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = resolve(process.env['STARTUP_BENCH_DIST'] ?? join(REPO_ROOT, 'dist'));
const PEER = 'node -e 0';

/** What a user's canary workflow passes (examples/workflows/canary.yml), planned but not carried out. */
const DRY_RUN_INPUTS: Record<string, string> = {
  mode: 'canary',
  model: 'examples/models/tiny-mlp',
  image: 'ghcr.io/acme/tiny-mlp',
  namespace: 'models',
  gpus: '1',
  'canary-steps': '10,50',
  'dry-run': 'true',
  'github-token': 'ghs_startupBenchmarkToken0000000000000000',
};

/** Writes maxRSS (KiB) to fd 3 when the process exits. */
const RSS_HOOK =
  'data:text/javascript,import{writeSync}from"node:fs";' +
  'process.on("exit",()=>writeSync(3,String(process.resourceUsage().maxRSS)))';

/** The runner's file-command format, `name<<DELIMITER\nvalue\nDELIMITER`, as a map. */
function readFileCommands(path: string): Record<string, string> {
  const pattern = /^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  return Object.fromEntries([...readFileSync(path, 'utf8').matchAll(pattern)].map((m) => [m[1]!, m[3]!]));
}

/** Every input the runner passes: action.yml's defaults, then the dry run's own. */
function inputVariables(): Record<string, string> {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? '']),
  );
  Object.assign(inputs, DRY_RUN_INPUTS);
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
  );
}

interface Step {
  env: Record<string, string>;
  files: { output: string; state: string; summary: string };
}

/** The environment of a push-triggered job's step, with fresh file-command files under `dir`. */
function runnerStep(dir: string): Step {
  const event = join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/models' } }));
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary') };
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? dir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: REPO_ROOT,
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: 'feedfacefeedfacefeedfacefeedfacefeedface',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: event,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'canary',
    GITHUB_JOB: 'canary',
    GITHUB_ACTION: 'model-canary',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    ...inputVariables(),
  };
  return { env, files };
}

interface Timed {
  ms: number;
  status: number | null;
  log: string;
  /** maxRSS in KiB, when run with RSS_HOOK. */
  rssKib?: number;
}

function timed(args: string[], env: Record<string, string>, measureRss = false): Timed {
  const start = performance.now();
  const child = spawnSync(process.execPath, measureRss ? [`--import=${RSS_HOOK}`, ...args] : args, {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', ...(measureRss ? ['pipe' as const] : [])],
  });
  const ms = performance.now() - start;
  const rss = measureRss ? Number(child.output[3]) : undefined;
  return {
    ms,
    status: child.status,
    log: `${child.stdout}${child.stderr}`,
    ...(rss !== undefined ? { rssKib: rss } : {}),
  };
}

/** The main step's dry run; throws unless it exited 0 with decision=skipped. */
function dryRun(step: Step, measureRss = false): Timed {
  for (const file of Object.values(step.files)) writeFileSync(file, '');
  const run = timed([join(DIST, 'index.js')], step.env, measureRss);
  const decision = readFileCommands(step.files.output)['decision'];
  if (run.status !== 0 || decision !== 'skipped') {
    throw new Error(`the dry run exited ${run.status} with decision '${decision}':\n${run.log}`);
  }
  return run;
}

/** The post step after the last dry run, given its saved state; throws unless it found nothing pending. */
function postStep(step: Step): Timed {
  const state = Object.entries(readFileCommands(step.files.state)).map(([name, value]) => [
    `STATE_${name}`,
    value,
  ]);
  const run = timed([join(DIST, 'index.js')], { ...step.env, ...Object.fromEntries(state) });
  if (run.status !== 0 || !run.log.includes('nothing pending')) {
    throw new Error(`the post step exited ${run.status}:\n${run.log}`);
  }
  return run;
}

function bare(measureRss = false): Timed {
  return timed(['-e', '0'], { PATH: process.env['PATH'] ?? '' }, measureRss);
}

function filesUnder(folder: string): { path: string; bytes: number }[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(folder, path), bytes: statSync(path).size };
    })
    .sort((a, b) => b.bytes - a.bytes);
}

export const run: Suite = async () => {
  const files = filesUnder(DIST);
  const distBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  const step = runnerStep(mkdtempSync(join(tmpdir(), 'model-canary-startup-')));
  console.log(`startup: ${DIST}, ${RUNS} runs of each alternating; figures are "median (min–max)"`);
  dryRun(step);
  postStep(step);
  bare();

  const dry: number[] = [];
  const post: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    dry.push(dryRun(step).ms);
    post.push(postStep(step).ms);
    peer.push(bare().ms);
  }
  const dryRss: number[] = [];
  const peerRss: number[] = [];
  for (let i = 0; i < RSS_RUNS; i++) {
    dryRss.push(dryRun(step, true).rssKib! / 1024);
    peerRss.push(bare(true).rssKib! / 1024);
  }

  const ratio = median(dry) / median(peer);
  console.log('\n| file | bytes |\n|---|---|');
  for (const file of files) console.log(`| ${file.path} | ${file.bytes.toLocaleString('en')} |`);
  console.log('\n| metric | model-canary | node -e 0 | goal |');
  console.log('|---|---|---|---|');
  console.log(
    `| dry run, ms | ${spread(dry)} | ${spread(peer)} | ≤ 2.5 × node -e 0 (now ${ratio.toFixed(2)} ×) |`,
  );
  console.log(`| post step, nothing pending, ms | ${spread(post)} | | |`);
  console.log(`| peak RSS of the dry run, MB | ${spread(dryRss)} | ${spread(peerRss)} | |`);
  console.log(`| bytes under dist/ | ${distBytes.toLocaleString('en')} | | ≤ 8 MB |`);

  const ms = (values: number[]): number => Number(median(values).toFixed(1));
  return {
    dry_run_ms: { value: ms(dry), unit: 'ms', peer: PEER, peer_value: ms(peer) },
    bare_node_ms: { value: ms(peer), unit: 'ms' },
    post_ms: { value: ms(post), unit: 'ms', peer: PEER, peer_value: ms(peer) },
    dist_bytes: { value: distBytes, unit: 'bytes' },
    rss_mb: { value: ms(dryRss), unit: 'MB', peer: PEER, peer_value: ms(peerRss) },
  };
};
