/**
 * Errors a user can act on. Each is rendered once, at the top (main.ts / post.ts), as a GitHub
 * annotation; none is ever shown as a stack trace.
 */

/** One input that failed validation: which input, and what was expected instead. */
export interface InputProblem {
  input: string;
  message: string;
}

/** Every bad input at once, so a user fixes them in one edit rather than one run per mistake. */
export class InputError extends Error {
  readonly problems: readonly InputProblem[];

  constructor(problems: readonly InputProblem[]) {
    super(
      problems.length === 1
        ? `Invalid input ${problems[0]!.input}: ${problems[0]!.message}`
        : `${problems.length} invalid inputs:\n` +
            problems.map((p) => `- ${p.input}: ${p.message}`).join('\n'),
    );
    this.name = 'InputError';
    this.problems = problems;
  }
}

/** The cluster refused or lacks something we need; `object` names it (e.g. `namespace/ml`). */
export class ClusterError extends Error {
  readonly object: string;

  constructor(object: string, message: string) {
    super(`${object}: ${message}`);
    this.name = 'ClusterError';
    this.object = object;
  }
}

/** The canary itself failed (crashed, never ready, unschedulable, too slow): reverted, with the cause. */
export class CanaryFailed extends Error {
  /** Machine-readable cause, e.g. `CrashLoopBackOff`, `FailedScheduling`, `LatencyRegression`. */
  readonly kind: string;

  constructor(kind: string, message: string) {
    super(message);
    this.name = 'CanaryFailed';
    this.kind = kind;
  }
}

/** BuildKit could not build or push the image; `input` names the input to look at, when one is. */
export class BuildFailed extends Error {
  readonly input?: string;

  constructor(message: string, input?: string) {
    super(message);
    this.name = 'BuildFailed';
    if (input !== undefined) this.input = input;
  }
}
