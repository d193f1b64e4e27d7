/**
 * One push of a workflow's main job on the local cluster, as the runner runs the action: `node
 * dist/index.js` with the inputs, then its post step. Shared by the integration tests that drive
 * the whole action (answers gate, team fit).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionJob, type ActionJob } from '../support/runner-step.ts';
import { localStackStep, REPO_ROOT } from './local-cluster.ts';

/** A distinct commit SHA per push, so each push tags its own image. */
export function shaOf(label: string): string {
  const hex = Buffer.from(`${label}-${Date.now()}`).toString('hex');
  return hex.padEnd(40, '0').slice(0, 40);
}

export interface PushOptions {
  /** GITHUB_WORKSPACE; the repository itself unless a test makes its own. */
  workspace?: string;
  sha?: string;
  /** Further runner variables (DOCKER_CONFIG, GITHUB_REF, NODE_EXTRA_CA_CERTS…). */
  env?: NodeJS.ProcessEnv;
}

/**
 * One push on `target` in `namespace`: the main step and its post step, with the local BuildKit and
 * registry and short probe windows unless `inputs` say otherwise. The post step must succeed; the
 * returned output says the decision and the log's end, for a failed expectation to print; `log` is
 * the whole of it.
 */
export async function pushJob(
  namespace: string,
  target: string,
  label: string,
  inputs: Record<string, string>,
  options: PushOptions = {},
): Promise<ActionJob & { log: string }> {
  const local = localStackStep(namespace, target);
  const job = await runActionJob({
    workspace: options.workspace ?? REPO_ROOT,
    sha: options.sha ?? shaOf(label),
    runId: Math.floor(Math.random() * 1e9),
    extraEnv: { ...local.env, ...options.env },
    inputs: { ...local.inputs, ...inputs },
  });
  // The post step must settle quietly; when it did not, its whole output is the message.
  if (job.post.code !== 0 || job.post.output.includes('::error')) {
    throw new Error(`${label}: the post step exited ${job.post.code}:\n${job.post.output}`);
  }
  // The whole log goes to a file: a failed expectation prints its end and where the rest is.
  const logFile = join(mkdtempSync(join(tmpdir(), 'model-canary-job-')), `${label}.log`);
  writeFileSync(logFile, job.output);
  const said = `${label}: exit ${job.code}, decision ${job.outputs['decision']}: ${job.outputs['reason']} (whole log: ${logFile})\n${job.output.slice(-6000)}`;
  return { ...job, output: said, log: job.output };
}
