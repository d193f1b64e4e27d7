/**
 * What the action knows about the workflow run. The runner documents it as environment variables
 * (GITHUB_SHA, GITHUB_REF, …) and the webhook payload in the file at GITHUB_EVENT_PATH; they are
 * read here rather than through @actions/github, whose import the bundle does not pay at startup.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as runner from '../github/runner.ts';

/** What the action knows about the workflow run, from the runner's GitHub context. */
export interface RunContext {
  eventName: string;
  sha: string;
  ref: string;
  repository: string;
  runId: number;
  runAttempt: number;
  pullRequest?: number;
  /**
   * This action as the workflow's step names it, `owner/repo@ref` (GITHUB_ACTION_REPOSITORY and
   * GITHUB_ACTION_REF): a paused run's job summary writes the finishing workflow with it.
   */
  action?: string;
}

/** The parts of a webhook payload the run context takes: a pull request's number. */
export interface EventPayload {
  number?: unknown;
  pull_request?: { number?: unknown };
}

/** Pure: the run context from the runner's environment variables and the event's payload. */
export function runContextOf(env: NodeJS.ProcessEnv, payload: EventPayload): RunContext {
  const pullRequest = payload.pull_request?.number ?? payload.number;
  const actionRepository = env['GITHUB_ACTION_REPOSITORY'] ?? '';
  const actionRef = env['GITHUB_ACTION_REF'] ?? '';
  return {
    eventName: env['GITHUB_EVENT_NAME'] ?? '',
    sha: env['GITHUB_SHA'] ?? '',
    ref: env['GITHUB_REF'] ?? '',
    repository: env['GITHUB_REPOSITORY'] ?? '',
    runId: Number.parseInt(env['GITHUB_RUN_ID'] ?? '', 10) || 0,
    runAttempt: Number(env['GITHUB_RUN_ATTEMPT'] ?? '1') || 1,
    ...(typeof pullRequest === 'number' ? { pullRequest } : {}),
    // Both are empty for a step that runs a local action (uses: ./) or outside a runner.
    ...(actionRepository !== '' && actionRef !== '' ? { action: `${actionRepository}@${actionRef}` } : {}),
  };
}

/** Reads the run context of this process: its environment and the payload at GITHUB_EVENT_PATH. */
export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const path = env['GITHUB_EVENT_PATH'];
  let payload: EventPayload = {};
  if (path) {
    // The same handling as @actions/github's context: a missing file is said, not fatal.
    if (existsSync(path)) payload = (JSON.parse(readFileSync(path, 'utf8')) as EventPayload | null) ?? {};
    else runner.info(`GITHUB_EVENT_PATH ${path} does not exist`);
  }
  return runContextOf(env, payload);
}
