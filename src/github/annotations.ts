/**
 * Renders any error once, at the top, as GitHub annotations: one per bad input, one per other
 * failure. Stack traces go to the debug log only (shown when the user enables step debugging).
 */
import * as runner from './runner.ts';
import { BuildFailed, CanaryFailed, ClusterError, InputError } from '../errors.ts';
import { RegistryError } from '../registry/client.ts';

/**
 * The workflow file of this run, from GITHUB_WORKFLOW_REF (`owner/repo/.github/workflows/x.yml@ref`),
 * so an input annotation is shown on the file where the input is written.
 */
export function workflowFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return /^[^/]+\/[^/]+\/(\.github\/workflows\/[^@]+)@/.exec(env.GITHUB_WORKFLOW_REF ?? '')?.[1];
}

/** Reports an error as annotations and marks the step failed (exit code 1). */
export function reportFailure(error: unknown): void {
  process.exitCode = 1;
  if (error instanceof InputError) {
    const file = workflowFile();
    for (const problem of error.problems) {
      runner.error(`${problem.input}: ${problem.message}`, {
        title: `model-canary: input ${problem.input}`,
        ...(file !== undefined ? { file } : {}),
      });
    }
    return;
  }
  if (error instanceof ClusterError) {
    runner.error(error.message, { title: `model-canary: ${error.object}` });
  } else if (error instanceof RegistryError) {
    const input = error.input !== undefined ? ` (input ${error.input})` : '';
    runner.error(error.message, { title: `model-canary: registry ${error.reference}${input}` });
  } else if (error instanceof BuildFailed) {
    const input = error.input !== undefined ? ` (input ${error.input})` : '';
    runner.error(error.message, { title: `model-canary: image build${input}` });
  } else if (error instanceof CanaryFailed) {
    runner.error(error.message, { title: `model-canary: canary failed (${error.kind})` });
  } else {
    const message = error instanceof Error ? error.message : String(error);
    runner.error(
      `Unexpected error: ${message}. Re-run with step debug logging for details, and report it if it persists.`,
      {
        title: 'model-canary: unexpected error',
      },
    );
  }
  if (error instanceof Error && error.stack) runner.debug(error.stack);
}
