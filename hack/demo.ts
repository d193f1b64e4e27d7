/**
 * The pushes of `npm run demo`, run by hack/demo.sh once the local cluster is up and the demo's
 * namespace is empty:
 *   node hack/demo.ts <namespace> <mermaid.min.js>
 * One push of each kind a team's workflows make, each as the runner runs the action (`node
 * dist/index.js` with the inputs, the GitHub context and the step's command files, then the post
 * step on the saved state: __tests__/support/runner-step.ts), so that every decision shows once:
 *   1. the tiny ONNX model into an empty namespace: stable after its checks (promoted);
 *   2. a version 40 ms slower (examples/models/tiny-mlp-slow): canaried, measured, reverted;
 *   3. a version as fast but wrong (examples/models/tiny-mlp-wrong): its answers disagree, reverted;
 *   4. the first version again under a new commit, its pods now from the team's pod template
 *      (examples/pod-template/deployment.yaml: a ServiceAccount, env from a Secret, a cache
 *      volume): canaried beside stable and promoted;
 *   5. a pull request with the slower version: a preview beside production, measured against it,
 *      and the sticky comment on the pull request (preview);
 *   6. that pull request closed: the preview deleted (cleanup, decision skipped);
 *   7. tag v1.0.0 on commit 4: its verified image retagged without a rebuild, canaried, promoted.
 * GitHub's API is the local server the integration tests use (__tests__/github-api/server.ts),
 * which checks every call against GitHub's OpenAPI description, so the comment and the GitHub
 * Deployments are really posted. Each push prints one line; the end prints the table of all of
 * them. Everything a push left (log, job summary as Markdown and as a page drawn like GitHub's,
 * JSON report, the comment) goes to .demo/<push>/, and .demo/index.html links the pages.
 * Exits 1 when a push did not decide as the demo expects, its post step failed, or GitHub's API
 * refused a call.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { FakeGitHub } from '../__tests__/github-api/server.ts';
import {
  BUILDKIT_HOST,
  buildctlPath,
  CACHE_BIN,
  KUBECONFIG_PATH,
  REGISTRY,
  REPO_ROOT,
} from '../__tests__/integration/local-cluster.ts';
import { runActionJob, type ActionJob } from '../__tests__/support/runner-step.ts';
import { cell } from '../src/github/job-summary.ts';
import { previewCommentMarker } from '../src/github/pr-comment.ts';
import { renderSummaryPage } from './job-summary-html.ts';

/** The demo's target: its Deployment and Services are called this. */
const NAME = 'tiny-mlp';
const OWNER = 'model-canary';
const REPO = 'demo';
/** The only token the local GitHub API accepts; the action gets it as input github-token. */
const TOKEN = 'ghs_modelCanaryDemoToken000000000000000';
const PULL_REQUEST = 42;
const RELEASE = 'v1.0.0';
const OUT_DIR = join(REPO_ROOT, '.demo');
/** mermaid's browser bundle is copied here once, beside the pages that draw charts with it. */
const MERMAID_FILE = 'mermaid.min.js';

type Decision = 'promoted' | 'reverted' | 'preview' | 'skipped' | 'failed';

/** One push: what the runner gives the action, and what the demo expects it to decide. */
interface Push {
  /** Folder name under .demo/, e.g. `02-slower-canary`. */
  slug: string;
  /** What the push is, said in a few words. */
  title: string;
  mode: 'canary' | 'preview' | 'cleanup' | 'release';
  sha: string;
  ref: string;
  event: 'push' | 'pull_request';
  /** The webhook payload at GITHUB_EVENT_PATH (pull requests). */
  payload?: Record<string, unknown>;
  inputs: Record<string, string>;
  expected: Decision;
}

/** What a push did, for its line and the table at the end. */
interface PushResult {
  push: Push;
  job: ActionJob;
  decision: string;
  reason: string;
  seconds: number;
  summaryPage: string;
  /** The page of the comment a preview posted on its pull request. */
  commentPage?: string;
  /** What went wrong beside the decision: a post step that failed, a comment not posted. */
  problems: string[];
}

/** The state of one demo run: its namespace, the GitHub API it reports to, and the pushes so far. */
interface Demo {
  namespace: string;
  api: FakeGitHub;
  /** Makes the commit SHA of push `n`. */
  commit: (n: number) => string;
  results: PushResult[];
}

/** The inputs every push shares: the target, the cluster, the GitHub token. */
function targetInputs(demo: Demo): Record<string, string> {
  return {
    name: NAME,
    namespace: demo.namespace,
    kubeconfig: readFileSync(KUBECONFIG_PATH, 'utf8'),
    'github-token': TOKEN,
  };
}

/**
 * The inputs of a push that deploys and measures: the image, one GPU per replica, a 10% canary
 * and a 30 s probe of the example's request, its answers held to the example's expected outputs.
 */
function rolloutInputs(demo: Demo): Record<string, string> {
  return {
    ...targetInputs(demo),
    image: `${REGISTRY}/model-canary/demo/${NAME}`,
    gpus: '1',
    'canary-weight': '10',
    'probe-payload': 'examples/models/payloads/tiny-mlp-v2.json',
    'expected-outputs': 'examples/models/payloads/tiny-mlp-v2.expected.json',
    'probe-rate': '20',
    'probe-duration': '30s',
    warmup: '5s',
    'max-p95-ms': '500',
  };
}

/** The inputs of a push that builds `model` with the local BuildKit. */
function buildInputs(demo: Demo, model: string): Record<string, string> {
  return {
    ...rolloutInputs(demo),
    model,
    builder: 'buildctl',
    'buildkit-host': BUILDKIT_HOST,
    'base-image': `${REGISTRY}/model-canary/mlserver:1.7.1`,
  };
}

/** A push of `model` to main: mode canary; `inputs` adds to the build's. */
function canaryPush(
  demo: Demo,
  slug: string,
  title: string,
  model: string,
  expected: Decision,
  inputs: Record<string, string> = {},
): Promise<PushResult> {
  const n = demo.results.length + 1;
  return runPush(demo, {
    slug,
    title: `${title} (${model.replace('examples/models/', '')})`,
    mode: 'canary',
    sha: demo.commit(n),
    ref: 'refs/heads/main',
    event: 'push',
    inputs: { ...buildInputs(demo, model), ...inputs },
    expected,
  });
}

/**
 * What a team makes once before its pods start from examples/pod-template/deployment.yaml: the
 * ServiceAccount it names and the Secret its env comes from (the comments there say so).
 */
function createTeamObjects(demo: Demo): void {
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'model-server', namespace: demo.namespace },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'model-secrets', namespace: demo.namespace },
      stringData: { API_KEY: 'demo-api-key' },
    },
  ];
  execFileSync(join(CACHE_BIN, 'kubectl'), ['--kubeconfig', KUBECONFIG_PATH, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    stdio: ['pipe', 'ignore', 'inherit'],
  });
}

/** The webhook payload of a pull request event, as much of it as the action reads and a bit more. */
function pullRequestPayload(action: 'opened' | 'closed', sha: string): Record<string, unknown> {
  return {
    action,
    number: PULL_REQUEST,
    pull_request: {
      number: PULL_REQUEST,
      state: action === 'closed' ? 'closed' : 'open',
      head: { ref: 'slower-model', sha },
      base: { ref: 'main' },
    },
    repository: { full_name: `${OWNER}/${REPO}` },
  };
}

/** A pull request opened with `model`: mode preview, then its sticky comment saved beside the summary. */
async function previewPush(demo: Demo, slug: string, model: string): Promise<PushResult> {
  const sha = demo.commit(demo.results.length + 1);
  const result = await runPush(demo, {
    slug,
    title: `pull request #${PULL_REQUEST} (${model.replace('examples/models/', '')}): a preview, report only`,
    mode: 'preview',
    sha,
    ref: `refs/pull/${PULL_REQUEST}/merge`,
    event: 'pull_request',
    payload: pullRequestPayload('opened', sha),
    inputs: { ...buildInputs(demo, model), mode: 'preview' },
    expected: 'preview',
  });
  const comment = demo.api
    .issueComments(PULL_REQUEST)
    .find((posted) => posted.body.includes(previewCommentMarker(NAME)));
  if (comment === undefined) {
    result.problems.push(`no comment on pull request #${PULL_REQUEST} carries the preview's marker`);
    return result;
  }
  const folder = join(OUT_DIR, slug);
  writeFileSync(join(folder, 'comment.md'), comment.body);
  result.commentPage = join(folder, 'comment.html');
  writePage(result.commentPage, `Pull request #${PULL_REQUEST}: comment by ${comment.login}`, comment.body);
  console.log(`  comment by ${comment.login} on pull request #${PULL_REQUEST}: ${shown(result.commentPage)}`);
  return result;
}

/** The pull request closed: mode cleanup deletes its preview. */
function cleanupPush(demo: Demo, slug: string): Promise<PushResult> {
  const preview = demo.results.find((result) => result.push.mode === 'preview');
  const sha = preview?.push.sha ?? demo.commit(demo.results.length + 1);
  return runPush(demo, {
    slug,
    title: `pull request #${PULL_REQUEST} closed: its preview deleted`,
    mode: 'cleanup',
    sha,
    ref: `refs/pull/${PULL_REQUEST}/merge`,
    event: 'pull_request',
    payload: pullRequestPayload('closed', sha),
    inputs: { ...targetInputs(demo), mode: 'cleanup' },
    expected: 'skipped',
  });
}

/**
 * Tag `version` on the commit of push `from`: mode release gives the image that push built and
 * verified its version tag without building, then rolls it out as a canary. The release's digest
 * must be the one that push deployed.
 */
async function releasePush(demo: Demo, slug: string, version: string, from: PushResult): Promise<PushResult> {
  const result = await runPush(demo, {
    slug,
    title: `tag ${version} on the commit of push ${demo.results.indexOf(from) + 1}: retagged, not rebuilt`,
    mode: 'release',
    sha: from.push.sha,
    ref: `refs/tags/${version}`,
    event: 'push',
    inputs: { ...rolloutInputs(demo), mode: 'release' },
    expected: 'promoted',
  });
  const built = from.job.outputs['digest'];
  const released = result.job.outputs['digest'];
  if (built === undefined || built === '' || released !== built) {
    result.problems.push(
      `the release's digest ${released || 'none'} is not the one the commit's push built (${built || 'none'})`,
    );
  } else {
    console.log(
      `  ${version} names the digest push ${demo.results.indexOf(from) + 1} built and verified: ${built}`,
    );
  }
  return result;
}

/** A path as the demo prints it: relative to the repository, where `npm run demo` runs. */
function shown(path: string): string {
  return relative(REPO_ROOT, path);
}

/** Writes a summary page; its charts load the mermaid bundle from .demo/. */
function writePage(path: string, title: string, markdown: string): void {
  const mermaidScript = relative(dirname(path), join(OUT_DIR, MERMAID_FILE));
  writeFileSync(path, renderSummaryPage({ title, markdown, mermaidScript }));
}

/** The workflow commands that tell a user something went wrong (errors and warnings). */
function annotations(output: string): string[] {
  return output.split('\n').filter((line) => /^::(error|warning)/.test(line));
}

/** Runs one push, saves what it left under .demo/<slug>/, and prints its line. */
async function runPush(demo: Demo, push: Push): Promise<PushResult> {
  const n = demo.results.length + 1;
  const folder = join(OUT_DIR, push.slug);
  mkdirSync(folder, { recursive: true });
  const eventEnv: NodeJS.ProcessEnv = {};
  if (push.payload !== undefined) {
    eventEnv['GITHUB_EVENT_PATH'] = join(folder, 'event.json');
    writeFileSync(eventEnv['GITHUB_EVENT_PATH'], `${JSON.stringify(push.payload, null, 2)}\n`);
  }
  // The push's one line: what it is now, so a slow push shows what it waits for; what it decided
  // and how long it took once it ends. Anything worth a closer look goes under it, indented.
  process.stdout.write(`[push ${n}] ${push.mode}, ${push.title}, commit ${push.sha.slice(0, 7)}: `);
  const started = performance.now();
  const job = await runActionJob({
    workspace: REPO_ROOT,
    sha: push.sha,
    runId: 1000 + n,
    inputs: push.inputs,
    extraEnv: {
      PATH: `${dirname(buildctlPath())}:${process.env['PATH']}`,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_REF: push.ref,
      GITHUB_EVENT_NAME: push.event,
      GITHUB_API_URL: demo.api.url,
      // The JSON report goes to the runner's temporary folder: here, the push's own.
      RUNNER_TEMP: folder,
      ...eventEnv,
    },
  });
  const seconds = Math.round((performance.now() - started) / 1000);
  writeFileSync(join(folder, 'log.txt'), `${job.output}\n----- post step -----\n${job.post.output}`);
  writeFileSync(join(folder, 'summary.md'), job.summary);
  const summaryPage = join(folder, 'summary.html');
  writePage(summaryPage, `${push.mode} summary — push ${n}: ${push.title}`, job.summary);

  const decision = job.outputs['decision'] ?? 'none';
  const reason = job.outputs['reason'] ?? `no reason given (exit ${job.code}; log: ${shown(folder)}/log.txt)`;
  const problems: string[] = [];
  if (decision !== push.expected)
    problems.push(`decided ${decision}, where the demo expects ${push.expected}`);
  if (job.post.code !== 0) problems.push(`its post step exited ${job.post.code}`);
  console.log(`${decision} in ${seconds} s — ${reason}`);
  for (const line of [...annotations(job.output), ...annotations(job.post.output)]) console.log(`  ${line}`);
  const result = { push, job, decision, reason, seconds, summaryPage, problems };
  demo.results.push(result);
  return result;
}

/** Pads the columns of a text table to their widest cell. */
function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((text, column) => text.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Cuts a reason for the terminal's table; the whole one is on the push's line and in index.html. */
function shortened(text: string, characters = 64): string {
  return text.length <= characters ? text : `${text.slice(0, characters - 1)}…`;
}

/** The table of every push, printed, and as .demo/index.html with links to each page. */
function reportPushes(demo: Demo, seconds: number): void {
  const rows = demo.results.map((result, index) => ({
    push: String(index + 1),
    mode: result.push.mode,
    decision:
      result.decision === result.push.expected
        ? result.decision
        : `${result.decision} (expected ${result.push.expected})`,
    reason: result.reason,
    seconds: String(result.seconds),
    page: result.summaryPage,
  }));
  console.log(`\nEvery decision of the demo (${rows.length} pushes, ${seconds} s in all):\n`);
  console.log(
    textTable([
      ['push', 'mode', 'decision', 'reason', 'seconds', 'job summary'],
      ...rows.map((row) => [
        row.push,
        row.mode,
        row.decision,
        shortened(row.reason),
        row.seconds,
        shown(row.page),
      ]),
    ]),
  );
  const index = [
    '## model-canary demo: every decision',
    '',
    `${rows.length} pushes on namespace \`${demo.namespace}\`, ${seconds} s in all.`,
    '',
    '| push | mode | decision | reason | seconds | job summary |',
    '|--:|---|---|---|--:|---|',
    ...rows.map(
      (row, i) =>
        `| ${row.push} | ${row.mode} | ${cell(row.decision)} | ${cell(row.reason)} | ${row.seconds} | [${cell(demo.results[i]!.push.title)}](${relative(OUT_DIR, row.page)}) |`,
    ),
    '',
  ];
  for (const result of demo.results) {
    if (result.commentPage === undefined) continue;
    index.push(
      `The comment on pull request #${PULL_REQUEST}: [as GitHub shows it](${relative(OUT_DIR, result.commentPage)}).`,
      '',
    );
  }
  writePage(join(OUT_DIR, 'index.html'), 'model-canary demo', index.join('\n'));
}

/** The GitHub side: each Deployment with its statuses, and any call GitHub would have refused. */
function reportGitHub(demo: Demo): string[] {
  console.log(
    `\nGitHub (the local API server, ${demo.api.exchanges.length} calls checked against GitHub's OpenAPI description):`,
  );
  for (const deployment of demo.api.deployments()) {
    const states = deployment.statuses.map((status) => status.state).join(' → ');
    console.log(
      `  deployment ${deployment.id} to ${deployment.environment} of ${deployment.ref.slice(0, 7)}: ${states}`,
    );
  }
  const problems = demo.api.problems();
  for (const problem of problems) console.log(`  refused by the OpenAPI description: ${problem}`);
  return problems;
}

/** The commit SHAs of this run: distinct per push and per run, so each push tags its own image. */
function commitsOf(): (n: number) => string {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const run = Date.now();
  return (n) => createHash('sha1').update(`${head}-${run}-${n}`).digest('hex');
}

async function main(): Promise<number> {
  const [namespace, mermaidBundle] = process.argv.slice(2);
  if (namespace === undefined || mermaidBundle === undefined) {
    console.error('usage: node hack/demo.ts <namespace> <mermaid.min.js> (npm run demo runs it)');
    return 2;
  }
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  copyFileSync(mermaidBundle, join(OUT_DIR, MERMAID_FILE));
  const api = await FakeGitHub.start({ owner: OWNER, repo: REPO, token: TOKEN });
  const demo: Demo = { namespace, api, commit: commitsOf(), results: [] };
  const started = performance.now();
  let problems: string[];
  try {
    await canaryPush(
      demo,
      '01-first-deploy',
      'the first version into an empty namespace',
      'examples/models/tiny-mlp',
      'promoted',
    );
    await canaryPush(
      demo,
      '02-slower-canary',
      'a version 40 ms slower',
      'examples/models/tiny-mlp-slow',
      'reverted',
    );
    await canaryPush(
      demo,
      '03-wrong-canary',
      'a version as fast but wrong',
      'examples/models/tiny-mlp-wrong',
      'reverted',
    );
    createTeamObjects(demo);
    const promoted = await canaryPush(
      demo,
      '04-promoted-canary',
      "the first version again, new commit, from the team's pod template",
      'examples/models/tiny-mlp',
      'promoted',
      { 'pod-template': 'examples/pod-template/deployment.yaml' },
    );
    await previewPush(demo, '05-preview', 'examples/models/tiny-mlp-slow');
    await cleanupPush(demo, '06-preview-cleanup');
    await releasePush(demo, '07-release', RELEASE, promoted);
  } finally {
    // Also after a push that threw: the table of those that ran, and the GitHub side so far.
    reportPushes(demo, Math.round((performance.now() - started) / 1000));
    const refused = reportGitHub(demo);
    await api.close();
    problems = [
      ...demo.results.flatMap((result, index) =>
        result.problems.map((problem) => `push ${index + 1}: ${problem}`),
      ),
      ...refused.map((problem) => `GitHub API: ${problem}`),
    ];
    console.log(
      `\nOpen ${shown(join(OUT_DIR, 'index.html'))} in a browser for every job summary as GitHub shows it.`,
    );
  }
  if (problems.length === 0) return 0;
  console.log(
    `\nThe demo did not go as expected:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  );
  return 1;
}

process.exitCode = await main();
