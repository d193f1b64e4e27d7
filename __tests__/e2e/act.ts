/**
 * Runs examples/workflows through a real workflow runner, `act` (hack/act: built from the Go module
 * proxy), with the self-hosted platform mapping — steps run on this machine, against the local
 * cluster, registry and BuildKit, and a local GitHub API server (__tests__/github-api).
 *
 * The workflow a user copies is adapted to the local stack and nothing else: the action comes from
 * this checkout (`uses: ./`, with a checkout step where the job had none) and the image goes to
 * localhost:5000; namespaces and timings are set per test. What the action sees of GitHub — event payload, repository, token, API URL — is what a
 * runner gives it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const OWNER = 'acme';
export const REPO = 'models';

/** Builds act once (cached under ~/.cache/model-canary/bin) and returns its path. */
export function actBinary(): string {
  return execFileSync('bash', [join(REPO_ROOT, 'hack/act/build.sh')], { encoding: 'utf8' }).trim();
}

/**
 * A clone of this repository's committed state (HEAD) — the action (action.yml + dist/) and the
 * example models as a user's repository would hold them — whose origin names acme/models.
 */
export function cloneWorkspace(): string {
  const workspace = mkdtempSync(join(tmpdir(), 'model-canary-e2e-'));
  execFileSync('git', ['clone', '--quiet', '--shared', REPO_ROOT, workspace]);
  // MODEL_CANARY_E2E_COMMIT runs the workflows on another commit of this repository (a candidate).
  const candidate = process.env.MODEL_CANARY_E2E_COMMIT;
  if (candidate !== undefined && candidate !== '') {
    execFileSync('git', ['-C', workspace, 'checkout', '--quiet', '-B', 'main', candidate]);
  }
  execFileSync('git', [
    '-C',
    workspace,
    'remote',
    'set-url',
    'origin',
    `https://github.com/${OWNER}/${REPO}.git`,
  ]);
  return workspace;
}

/** Adds an empty commit (a new "push") and returns its SHA. */
export function commit(workspace: string, message: string): string {
  execFileSync('git', [
    '-C',
    workspace,
    '-c',
    'user.name=e2e',
    '-c',
    'user.email=e2e@localhost',
    'commit',
    '--quiet',
    '--allow-empty',
    '-m',
    message,
  ]);
  return execFileSync('git', ['-C', workspace, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
}

/** Moves the workspace to an earlier commit, as a tag push names one. */
export function checkout(workspace: string, sha: string): void {
  execFileSync('git', ['-C', workspace, 'checkout', '--quiet', sha]);
}

export interface WorkflowStep {
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  run?: string;
}

/**
 * An example workflow adapted to the local stack: the action from this checkout, `with:` values
 * overridden per test (image, namespace, probe timings), `with:` keys removed where the local
 * stack has no equivalent, and `before` steps put ahead of the action's (a `docker login`).
 */
export function adaptWorkflow(
  example: string,
  overrides: Record<string, string>,
  remove: readonly string[] = [],
  before: readonly WorkflowStep[] = [],
): string {
  const workflow = parse(readFileSync(join(REPO_ROOT, 'examples/workflows', example), 'utf8')) as {
    jobs: Record<string, { steps: WorkflowStep[] }>;
  };
  for (const job of Object.values(workflow.jobs)) {
    // `uses: ./` needs the repository in the workspace, as `model-canary/model-canary@v0` does not:
    // a job without a checkout (cleanup) gets one, standing in for the runner fetching the action.
    if (!job.steps.some((step) => step.uses?.startsWith('actions/checkout@'))) {
      job.steps.unshift({ uses: 'actions/checkout@v4' });
    }
    // Offline under act the local stack provides BuildKit (buildkit-host); setup-buildx-action
    // would download buildx and start a builder container.
    job.steps = job.steps.filter((step) => !step.uses?.startsWith('docker/setup-buildx-action@'));
    for (const step of job.steps) {
      if (!step.uses?.startsWith('model-canary/model-canary@')) continue;
      step.uses = './';
      const inputs = Object.entries({ ...step.with, ...overrides }).filter(([key]) => !remove.includes(key));
      step.with = Object.fromEntries(inputs);
    }
    const action = job.steps.findIndex((step) => step.uses === './');
    if (action !== -1) job.steps.splice(action, 0, ...before);
  }
  return stringify(workflow);
}

export interface ActRun {
  exitCode: number;
  log: string;
  /** Outputs the model-canary step set (`::set-output::` lines act prints), last value wins. */
  outputs: Record<string, string>;
  /** Job summaries the steps wrote, in order. */
  summaries: string[];
}

export interface ActOptions {
  workspace: string;
  workflow: string;
  event: 'push' | 'pull_request';
  payload: Record<string, unknown>;
  /** Passed as variables of the runner's environment (`--env`), e.g. GITHUB_API_URL. */
  env: Record<string, string>;
  /** Secrets by name; given to act by name only, values through its environment (never argv). */
  secrets: Record<string, string>;
  timeoutMs: number;
}

/** The BuildKit CLIs hack/ built (buildctl, docker-buildx): on a runner they would be installed. */
function buildkitBin(): string {
  const bin = join(homedir(), '.cache/model-canary/bin');
  const dir = readdirSync(bin).find((entry) => entry.startsWith('buildkit-'));
  if (dir === undefined) throw new Error(`BuildKit tools are not built under ${bin}: run npm run cluster:up`);
  return join(bin, dir);
}

/** Runs one workflow event through act; resolves with its log whatever the exit code. */
export function runAct(options: ActOptions): Promise<ActRun> {
  const home = mkdtempSync(join(tmpdir(), 'model-canary-act-home-'));
  // act asks which runner image to use on its first start unless ~/.actrc answers.
  writeFileSync(join(home, '.actrc'), '-P ubuntu-latest=-self-hosted\n');
  const files = join(home, 'event');
  mkdirSync(files);
  const workflowPath = join(files, 'workflow.yml');
  const eventPath = join(files, 'event.json');
  writeFileSync(workflowPath, options.workflow);
  writeFileSync(eventPath, JSON.stringify(options.payload));
  const args = [
    options.event,
    '-W',
    workflowPath,
    '-e',
    eventPath,
    '-P',
    'ubuntu-latest=-self-hosted',
    '--no-cache-server',
    '--actor',
    'octocat',
    ...Object.entries(options.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    ...Object.keys(options.secrets).flatMap((name) => ['-s', name]),
  ];
  return new Promise((resolvePromise) => {
    execFile(
      actBinary(),
      args,
      {
        cwd: options.workspace,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          HOME: home,
          // The action runs on the node that runs this test (Node 24, as `runs.using: node24`).
          PATH: `${dirname(process.execPath)}:${buildkitBin()}:${process.env.PATH ?? ''}`,
          ...options.secrets,
        },
      },
      (error, stdout, stderr) => {
        const log = `${stdout}${stderr}`;
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolvePromise({ exitCode, log, outputs: setOutputs(log), summaries: summaries(log) });
      },
    );
  });
}

function setOutputs(log: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [, name, value] of log.matchAll(/::set-output:: ([\w-]+)=(.*)$/gm)) outputs[name!] = value!;
  return outputs;
}

/** act prints each step's summary as `Summary - <markdown>` up to the next log line of a job. */
function summaries(log: string): string[] {
  return [...log.matchAll(/⚙ {2}Summary - ([\s\S]*?)(?=\n\[[^\]]+\] )/g)].map((match) => match[1]!);
}

/**
 * A job summary with what changes from run to run masked — digests, SHAs, namespaces, measured
 * numbers, and the judge's per-signal wording — so its shape (headline, facts, table rows, chart)
 * can be compared with a snapshot.
 */
export function summaryShape(markdown: string): string {
  return (
    markdown
      .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
      .replace(/\b[0-9a-f]{40}\b/g, '<sha>')
      .replace(/e2e-[a-z0-9]+(-[a-z0-9]+)?/g, '<namespace>')
      .replace(/https:\/\/[^/\s]+\/api\//g, '<api-server>/api/')
      .replace(/\| (within|unsure|\*\*exceeded\*\*) \|/g, '| <status> |')
      // A check's reason is measured prose ("within" or "slower but within"); its name and outcome stay.
      .replace(/^(\| [\w-]+ \| (?:✅ pass|❌ fail|❔ inconclusive) \| ).*( \|)$/gm, '$1<reason>$2')
      // Counts of compared answers ("agreed/compared") are measured too.
      .replace(/\| \d+\/\d+ \|/g, '| N/N |')
      // Measured numbers only: digits inside names (p95, sha256, localhost:5000, pr-7, /4) stay.
      .replace(/(?<![\w.:/-])\d+(\.\d+)?/g, 'N')
  );
}
