/** The traffic section: how canary traffic is split, and the percentages it walks through. */
import { isInteger, type InputReader } from './input-reader.ts';

export const TRAFFIC_ROUTERS = ['auto', 'replicas', 'gateway-api'] as const;

export type TrafficRouter = (typeof TRAFFIC_ROUTERS)[number];

export const DEFAULT_CANARY_WEIGHT = 10;

/**
 * Where the canary's GPUs come from: `spare` (free GPUs beside stable's), `shift` (stable gives up
 * the replicas the canary takes), `auto` (spare when the pre-flight finds room, else shift).
 */
export const GPU_BUDGETS = ['auto', 'spare', 'shift'] as const;

export type GpuBudget = (typeof GPU_BUDGETS)[number];

export interface TrafficSettings {
  router: TrafficRouter;
  /** Canary traffic percentages, walked in order; one element unless canary-steps was given. */
  steps: number[];
  /**
   * Input pause-after, or the last step with pause: true. The step (one of `steps`) after whose
   * analysis the run leaves the canary serving, for mode promote or revert to finish.
   */
  pauseAfter?: number;
  gpuBudget: GpuBudget;
  /** GPUs a `shift` rollout may use beyond what stable held (input max-extra-gpus). */
  maxExtraGpus: number;
}

/** Reads traffic, canary-weight or canary-steps, pause-after or pause, gpu-budget and max-extra-gpus. */
export function parseTraffic(read: InputReader): TrafficSettings {
  const router = read.oneOf('traffic', TRAFFIC_ROUTERS);
  const known = read.problems.length;
  const steps = parseCanarySteps(read);
  // Against steps that were refused, pause-after would only repeat that problem.
  const pauseAfter = parsePause(read, read.problems.length === known ? steps : undefined);
  return {
    router,
    steps,
    ...(pauseAfter !== undefined ? { pauseAfter } : {}),
    gpuBudget: read.oneOf('gpu-budget', GPU_BUDGETS),
    maxExtraGpus: read.integer('max-extra-gpus', 0, 1024),
  };
}
/** pause-after (a percentage of the steps) or pause (the last step); undefined when neither. */
function parsePause(read: InputReader, steps: number[] | undefined): number | undefined {
  const after = read.optional('pause-after');
  const last = read.boolean('pause');
  if (after !== undefined && last) {
    read.problem(
      'pause',
      'and pause-after are mutually exclusive: pause waits after the last step, pause-after after the step it names; give one of them',
    );
    return undefined;
  }
  if (steps === undefined) return undefined;
  if (last) return steps.at(-1);
  if (after === undefined) return undefined;
  const percent = after.replace(/%$/, '');
  if (isInteger(percent) && steps.includes(Number(percent))) return Number(percent);
  read.problem(
    'pause-after',
    `expected one of the canary steps' percentages (${steps.join(', ')}; canary-steps or canary-weight sets them); got '${after}'`,
  );
  return undefined;
}

function parseCanarySteps(read: InputReader): number[] {
  const stepsText = read.optional('canary-steps');
  const weightText = read.optional('canary-weight');
  if (stepsText !== undefined && weightText !== undefined) {
    read.problem('canary-steps', 'and canary-weight are mutually exclusive; give one of them');
    return [DEFAULT_CANARY_WEIGHT];
  }
  if (stepsText === undefined) {
    return [weightText === undefined ? DEFAULT_CANARY_WEIGHT : read.integer('canary-weight', 1, 99)];
  }
  const steps = stepsText.split(',').map((step) => step.trim().replace(/%$/, ''));
  const numbers = steps.map((step) => (isInteger(step) ? Number(step) : NaN));
  const valid =
    numbers.every((n) => n >= 1 && n <= 99) && numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);
  if (!valid || numbers.length === 0) {
    read.problem(
      'canary-steps',
      `expected increasing percentages from 1 to 99 separated by commas, e.g. 10,50; got '${stepsText}'`,
    );
    return [DEFAULT_CANARY_WEIGHT];
  }
  return numbers;
}
