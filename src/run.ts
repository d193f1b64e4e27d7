/**
 * The run context main.ts threads through a mode's stages: the settings and plan it starts from,
 * then what each stage produced. A stage reads what it needs and returns what it made; main merges
 * that in, and the report is written once, from the final context. Nothing else carries data from
 * one stage to the next.
 */
import type { StepJudgement } from './checks/step.ts';
import type { Settings } from './inputs/settings.ts';
import type { PausedCanary } from './kube/pause.ts';
import type { CanaryState, CanaryStep } from './kube/rollout.ts';
import type { RolloutSession } from './kube/session.ts';
import type { MeasuredLoad } from './stages/analyse.ts';
import type { ReleaseTags } from './stages/tag-release.ts';
import type { Plan } from './plan.ts';

/** The image the deploy stages run: built (build) or re-tagged (tag-release). */
export interface BuiltImage {
  /** `repository:tag@sha256:…` as pushed, or `repository@sha256:…` after tagging. */
  reference: string;
  digest?: string;
  /** The runtime the image serves the model with (after auto detection), and the model's name in it. */
  runtime?: string;
  modelName?: string;
}

/** A step's decision after `on-inconclusive` was applied to the checks' own. */
export interface StepVerdict {
  decision: 'promote' | 'revert';
  reason: string;
}

/** One canary step measured and judged. */
export interface StepAnalysis {
  step: CanaryStep;
  /** The checks' own judgement (promote | revert | inconclusive), with every figure. */
  judgement: StepJudgement;
  /** What the run did with it: `inconclusive` resolved by on-inconclusive. */
  verdict: StepVerdict;
  load: MeasuredLoad;
}

/**
 * The `decision` output's values (action.yml). `paused`: the canary passed the step of input
 * pause-after and serves its share until mode promote or revert finishes it; `skipped`: refused
 * input, a dry run, or nothing to do; `failed`: the run failed before it changed the cluster (a
 * build, a registry or a pre-flight check), so there was nothing to revert.
 */
export type Decision = 'promoted' | 'reverted' | 'paused' | 'preview' | 'skipped' | 'failed';

/** How the run ended, when a stage decided it (promote, revert, a reverted canary). */
export interface Outcome {
  decision: Decision;
  reason: string;
  /** The image stable runs now, `repository@sha256:…`, when the outcome changed it. */
  image?: string;
  /** Why a canary was reverted, shown as the run's failure annotation. */
  cause?: Error;
  /** With `paused`: what the run left on the canary for mode promote or revert to finish it from. */
  paused?: PausedCanary;
}

export interface Run {
  readonly settings: Settings;
  readonly plan: Plan;
  /** build, tag-release. */
  readonly image?: BuiltImage;
  /** tag-release: the floating tags decide moves once the release canary is promoted. */
  readonly release?: ReleaseTags;
  /** Opened by main.ts before the first stage that changes the cluster. */
  readonly rollout?: RolloutSession;
  /** deploy-canary, deploy-preview; decide moves it through the steps. */
  readonly canary?: CanaryState;
  /** analyse (the first step), decide (the others), in step order. */
  readonly analyses: readonly StepAnalysis[];
  /** report-preview. */
  readonly previewUrl?: string;
  /** decide, promote, revert, cleanup. */
  readonly outcome?: Outcome;
}

/** What a stage returns: the parts of the run it produced. */
export type StageResult = Partial<Omit<Run, 'settings' | 'plan' | 'rollout'>>;

/** One stage of a mode. */
export type Stage = (run: Run) => Promise<StageResult>;

/** The rollout session main.ts opened for a stage that changes the cluster. */
export function rolloutOf(run: Run): RolloutSession {
  // main.ts opens the session before any stage plan.ts marks as changing the cluster.
  if (run.rollout === undefined) throw new Error('a stage that changes the cluster ran without a session');
  return run.rollout;
}
