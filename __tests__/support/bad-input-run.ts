/**
 * One case of the bad-input corpus (__tests__/fixtures/bad-inputs.ts) run as the runner runs the
 * action: a fresh workspace, every input at its action.yml default unless the case sets it,
 * `node dist/index.js`, then the post step on the state it saved. Every server the inputs and the
 * environment name (API server, registry, BuildKit, GitHub, the Hugging Face hub, the forward
 * proxy) is a loopback listener that counts connections and closes each at once; the build tools on
 * PATH are stand-ins that record each call and fail. So "nothing was built or changed" is measured:
 * no connection anywhere, no tool started.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  BASE_WORKSPACE,
  BASELINE_INPUTS,
  OUTSIDE_FILES,
  PLANTED_MARK,
  PLANTED_SECRETS,
  type BadInputCase,
  type WorkspaceEntry,
} from '../fixtures/bad-inputs.ts';
import { BUNDLE, commandFileValues, POST_BUNDLE, runnerEnvironment, stateVariables } from './runner-step.ts';

const REPO_ROOT = join(import.meta.dirname, '../..');

/** The servers a step could reach, each stood in for by a counting listener. */
export const SERVER_ROLES = ['api', 'registry', 'buildkit', 'github', 'hub', 'proxy'] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

/** Programs the action could start to build or deploy; each stand-in records its call and fails. */
const TOOLS = ['buildctl', 'docker', 'kubectl', 'docker-credential-desktop', 'docker-credential-pass'];

/** A step that outlives this is reported as hung (a refused input exits within a second). */
const STEP_LIMIT_MS = 120_000;

const SHA = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** What one case's step did. */
export interface CaseRun {
  id: string;
  /** Exit code of the main step (null: killed after STEP_LIMIT_MS). */
  code: number | null;
  decision: string | undefined;
  /** Inputs the ::error annotations name, sorted; other errors as `(not an input) <message>`. */
  named: string[];
  /** Annotations whose message does not start with the input its title names. */
  unnamedMessages: string[];
  /** Connections each stand-in server received, main and post step together. */
  contacts: Record<ServerRole, number>;
  /** Calls of the stand-in build tools (`buildctl build …`). */
  toolCalls: string[];
  /** `<where>: <which secret>` for each planted secret found in what the step wrote. */
  leaks: string[];
  postCode: number | null;
  /** ::error lines of the post step. */
  postErrors: string[];
  /** Main and post step's log, for a failure to print. */
  log: string;
}

interface Listeners {
  addresses: Record<ServerRole, string>;
  counts(): Record<ServerRole, number>;
  close(): Promise<void>;
}

/** One loopback listener per server role, counting connections and closing each at once. */
async function countingListeners(): Promise<Listeners> {
  const counts = Object.fromEntries(SERVER_ROLES.map((role) => [role, 0])) as Record<ServerRole, number>;
  const servers: Server[] = [];
  const addresses = {} as Record<ServerRole, string>;
  for (const role of SERVER_ROLES) {
    const server = createServer((socket: Socket) => {
      counts[role] += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address for a listener');
    addresses[role] = `127.0.0.1:${address.port}`;
    servers.push(server);
  }
  return {
    addresses,
    counts: () => ({ ...counts }),
    close: () =>
      Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ).then(() => undefined),
  };
}

/** action.yml's defaults: what the runner passes for every input a workflow leaves out. */
export function actionDefaults(): Record<string, string> {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  return Object.fromEntries(
    Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? '']),
  );
}

function substitute(text: string, places: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => places[key] ?? whole);
}

/** Creates `entries` under `folder`; later entries replace earlier ones at the same path. */
function materialize(
  folder: string,
  entries: readonly WorkspaceEntry[],
  places: Record<string, string>,
): void {
  for (const entry of entries) {
    const path = join(folder, entry.path);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { recursive: true, force: true });
    if ('text' in entry) writeFileSync(path, entry.text);
    else if ('folder' in entry) mkdirSync(path, { recursive: true });
    else if ('copyOf' in entry) cpSync(join(REPO_ROOT, entry.copyOf), path, { recursive: true });
    else symlinkSync(substitute(entry.linkTo, places), path);
  }
}

/** A folder of stand-ins for TOOLS that append their call to $MODEL_CANARY_TOOL_LOG and fail. */
function standInTools(root: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const path = join(bin, tool);
    writeFileSync(path, '#!/bin/sh\necho "$(basename "$0") $*" >> "$MODEL_CANARY_TOOL_LOG"\nexit 1\n');
    chmodSync(path, 0o755);
  }
  return bin;
}

/** Runs a step of the bundle (`entry`: its main or its post file) to its end, or kills it after STEP_LIMIT_MS. */
function runStep(entry: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry], {
      env,
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n(harness: killed after ${STEP_LIMIT_MS / 1000}s)\n`;
      child.kill('SIGKILL');
    }, STEP_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The inputs the ::error annotations name, and the messages that do not start with their input.
 * An input annotation is `::error title=model-canary%3A input <name>::<name>: <message>`.
 */
function annotationsOf(log: string): { named: string[]; unnamedMessages: string[] } {
  const named = new Set<string>();
  const unnamedMessages: string[] = [];
  for (const line of log.split('\n')) {
    const annotation = /^::error(?: ([^:]*))?::(.*)$/.exec(line);
    if (annotation === null) continue;
    const [, properties = '', message = ''] = annotation;
    const input = /title=model-canary%3A input ([a-z0-9-]+)/.exec(properties)?.[1];
    if (input === undefined) {
      named.add(`(not an input) ${message}`);
      continue;
    }
    named.add(input);
    if (!message.startsWith(`${input}: `)) unnamedMessages.push(message);
  }
  return { named: [...named].sort(), unnamedMessages };
}

/** `<where>: <secret>` for each planted secret (or a part of one, by its mark) in the texts. */
function leaksIn(texts: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    const whole = Object.entries(PLANTED_SECRETS).filter(([, value]) => text.includes(value));
    for (const [secret] of whole) leaks.push(`${where}: ${secret}`);
    if (whole.length === 0 && text.includes(PLANTED_MARK)) leaks.push(`${where}: part of a planted secret`);
  }
  return leaks;
}

/**
 * The log as the runner shows it: it consumes `::add-mask::` commands (that is how a value gets
 * masked), so those lines are not in any log a user sees.
 */
function shownLog(output: string): string {
  return output
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** Runs one case: its workspace and run context, the main step, then the post step. */
export async function runBadInputCase(testCase: BadInputCase): Promise<CaseRun> {
  const root = mkdtempSync(join(tmpdir(), 'model-canary-bad-input-'));
  const workspace = join(root, 'workspace');
  const outside = join(root, 'outside');
  const home = join(root, 'home');
  for (const folder of [workspace, outside, home, join(root, 'runner-temp')]) mkdirSync(folder);
  const listeners = await countingListeners();
  try {
    const places: Record<string, string> = { ...listeners.addresses, workspace, outside };
    materialize(outside, OUTSIDE_FILES, places);
    materialize(workspace, [...BASE_WORKSPACE, ...(testCase.files ?? [])], places);
    const defaults = actionDefaults();
    const inputs: Record<string, string> = { ...defaults };
    for (const [name, value] of Object.entries({ ...BASELINE_INPUTS, ...testCase.inputs })) {
      inputs[name] = value === '' ? (defaults[name] ?? '') : substitute(value, places);
    }
    const event = join(root, 'event.json');
    writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main', after: SHA }));
    const toolLog = join(root, 'tools.log');
    const proxy = `http://ci-proxy:${PLANTED_SECRETS['proxy password']}@${listeners.addresses.proxy}`;
    const step = runnerEnvironment({
      inputs,
      workspace,
      sha: SHA,
      runId: 1500 + Math.floor(Math.random() * 1e6),
      extraEnv: {
        PATH: `${standInTools(root)}:${process.env['PATH']}`,
        HOME: home,
        DOCKER_CONFIG: join(home, '.docker'),
        RUNNER_TEMP: join(root, 'runner-temp'),
        GITHUB_EVENT_PATH: event,
        GITHUB_API_URL: `http://${listeners.addresses.github}`,
        GITHUB_SERVER_URL: `http://${listeners.addresses.github}`,
        HF_ENDPOINT: `http://${listeners.addresses.hub}`,
        HF_TOKEN: PLANTED_SECRETS.HF_TOKEN,
        HTTPS_PROXY: proxy,
        HTTP_PROXY: proxy,
        BUILDKIT_HOST: `tcp://${listeners.addresses.buildkit}`,
        MODEL_CANARY_TOOL_LOG: toolLog,
        ...Object.fromEntries(Object.entries(testCase.env ?? {}).map(([k, v]) => [k, substitute(v, places)])),
      },
    });
    const main = await runStep(BUNDLE, step.env);
    const outputs = commandFileValues(step.outputFile);
    const post = await runStep(POST_BUNDLE, { ...step.env, ...stateVariables(step.stateFile) });
    const log = shownLog(main.output);
    const postLog = shownLog(post.output);
    const toolCalls = readFileSync(toolLog, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean);
    return {
      id: testCase.id,
      code: main.code,
      decision: outputs['decision'],
      ...annotationsOf(log),
      contacts: listeners.counts(),
      toolCalls,
      leaks: leaksIn({
        'main step log': log,
        'post step log': postLog,
        GITHUB_OUTPUT: readFileSync(step.outputFile, 'utf8'),
        GITHUB_STATE: readFileSync(step.stateFile, 'utf8'),
        GITHUB_STEP_SUMMARY: readFileSync(step.summaryFile, 'utf8'),
        GITHUB_ENV: readFileSync(step.env['GITHUB_ENV']!, 'utf8'),
        'build tool calls': toolCalls.join('\n'),
      }),
      postCode: post.code,
      postErrors: postLog.split('\n').filter((line) => line.startsWith('::error')),
      log: `--- main step (exit ${main.code}) ---\n${log}\n--- post step (exit ${post.code}) ---\n${postLog}`,
    };
  } finally {
    await listeners.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Why a case was not refused as it must be, or [] when it was: exit 1, decision skipped, exactly
 * its inputs named (each message starting with its input), no server contacted, no tool started,
 * no planted secret written, and a post step that exits 0 without an error.
 */
export function wrongsOf(testCase: BadInputCase, run: CaseRun): string[] {
  const wrongs: string[] = [];
  if (run.code !== 1) wrongs.push(`the main step exited ${run.code}, not 1`);
  if (run.decision !== 'skipped') wrongs.push(`decision is '${run.decision}', not 'skipped'`);
  const expected = [...testCase.refused].sort();
  if (JSON.stringify(run.named) !== JSON.stringify(expected)) {
    wrongs.push(`the errors name ${run.named.join(', ') || 'nothing'}; expected ${expected.join(', ')}`);
  }
  for (const message of run.unnamedMessages)
    wrongs.push(`an error does not start with its input: ${message}`);
  const contacted = SERVER_ROLES.filter((role) => run.contacts[role] > 0);
  for (const role of contacted) wrongs.push(`the ${role} stand-in got ${run.contacts[role]} connection(s)`);
  for (const call of run.toolCalls) wrongs.push(`a build tool was started: ${call}`);
  for (const leak of run.leaks) wrongs.push(`a planted secret was written: ${leak}`);
  if (run.postCode !== 0) wrongs.push(`the post step exited ${run.postCode}`);
  for (const error of run.postErrors) wrongs.push(`the post step reported ${error}`);
  return wrongs;
}

/** Runs `cases`, `parallel` at a time (each has its own listeners and workspace), in order. */
export async function runBadInputCases(
  cases: readonly BadInputCase[],
  parallel: number,
  onDone: (testCase: BadInputCase, run: CaseRun) => void = () => undefined,
): Promise<CaseRun[]> {
  const runs: CaseRun[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < cases.length; index = next++) {
      runs[index] = await runBadInputCase(cases[index]!);
      onDone(cases[index]!, runs[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return runs;
}
