/**
 * The action run as the GitHub runner runs it: `node dist/index.js` with INPUT_* variables, the
 * GitHub context and the step's command files, then the post step with the saved state as STATE_*
 * variables. Used by the tests that must see what a workflow sees (outputs, summary, exit code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const BUNDLE = join(REPO_ROOT, 'dist/index.js');
/** The post step's entry, as action.yml's runs.post names it. */
export const POST_BUNDLE = join(REPO_ROOT, 'dist/post.js');

export interface RunnerStep {
  env: NodeJS.ProcessEnv;
  stateFile: string;
  outputFile: string;
  summaryFile: string;
}

export interface RunnerStepOptions {
  /** Inputs by their action.yml names. */
  inputs: Record<string, string>;
  /** GITHUB_WORKSPACE: where the inputs' repository paths are read. */
  workspace: string;
  sha: string;
  runId: number;
  attempt?: number;
  /** Further variables, e.g. PATH with buildctl on it. */
  extraEnv?: NodeJS.ProcessEnv;
}

/** A runner-like environment for one step: inputs, GitHub context and fresh command files. */
export function runnerEnvironment({
  inputs,
  workspace,
  sha,
  runId,
  attempt = 1,
  extraEnv = {},
}: RunnerStepOptions): RunnerStep {
  const dir = mkdtempSync(join(tmpdir(), 'model-canary-step-'));
  const file = (name: string) => {
    writeFileSync(join(dir, name), '');
    return join(dir, name);
  };
  const step = {
    stateFile: file('state'),
    outputFile: file('output'),
    summaryFile: file('summary'),
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'model-canary/tests',
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: String(attempt),
    GITHUB_STATE: step.stateFile,
    GITHUB_OUTPUT: step.outputFile,
    GITHUB_STEP_SUMMARY: step.summaryFile,
    GITHUB_ENV: file('env'),
    ...extraEnv,
  };
  for (const [key, value] of Object.entries(inputs)) env[`INPUT_${key.toUpperCase()}`] = value;
  return { env, ...step };
}

/** `name<<delimiter` … `delimiter` blocks of a command file (GITHUB_STATE, GITHUB_OUTPUT). */
export function commandFileValues(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (match === null) continue;
    const [, key, delimiter] = match;
    const value: string[] = [];
    for (i += 1; i < lines.length && lines[i] !== delimiter; i += 1) value.push(lines[i]!);
    values[key!] = value.join('\n');
  }
  return values;
}

/** STATE_* variables from a GITHUB_STATE file, as the runner passes them to the post step. */
export function stateVariables(stateFile: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(commandFileValues(stateFile)).map(([key, value]) => [`STATE_${key}`, value]),
  );
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

/** Runs a command to its end; its stdout and stderr interleaved as they came. */
export async function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await exited(child);
  return { code, output };
}

export interface ActionJob {
  /** The step's environment and command files (GITHUB_STATE, GITHUB_ENV…), as the job left them. */
  step: RunnerStep;
  code: number | null;
  output: string;
  outputs: Record<string, string>;
  summary: string;
  post: { code: number | null; output: string };
}

/** One job's step of the action: the main step, then its post step on the saved state. */
export async function runActionJob(options: RunnerStepOptions): Promise<ActionJob> {
  const step = runnerEnvironment(options);
  const main = await runProcess(process.execPath, [BUNDLE], step.env);
  const post = await runProcess(process.execPath, [POST_BUNDLE], {
    ...step.env,
    ...stateVariables(step.stateFile),
  });
  return {
    step,
    ...main,
    outputs: commandFileValues(step.outputFile),
    summary: readFileSync(step.summaryFile, 'utf8'),
    post,
  };
}
