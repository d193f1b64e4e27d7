/**
 * Stage `decide`: owns the canary's step loop. The first step was measured by `analyse`; while the
 * steps pass, it moves the canary to the next weight and measures again (analyseStep), then
 * promotes, or undoes the canary when a step says revert. With input pause-after it stops after
 * that step passes, leaving the canary serving for mode promote or revert (src/kube/pause.ts).
 */
import * as runner from '../github/runner.ts';
import { CanaryFailed, ClusterError } from '../errors.ts';
import { pauseCanary } from '../kube/pause.ts';
import { canaryStep, promoteCanary, setCanaryWeight } from '../kube/rollout.ts';
import { pauseStepIndex } from '../plan.ts';
import { rolloutOf, type Run, type StageResult } from '../run.ts';
import { analyseStep } from './analyse.ts';
import { moveFloatingTags, releaseCredentials } from './tag-release.ts';

/** Walks the remaining canary steps, then promotes or reverts on the last step's verdict. */
export async function decideStage(
  run: Run,
): Promise<Required<Pick<StageResult, 'canary' | 'analyses' | 'outcome'>>> {
  const session = rolloutOf(run);
  const { plan } = run;
  let canary = run.canary;
  let last = run.analyses.at(-1);
  if (canary === undefined) throw new ClusterError('canary', 'decide ran without a deployed canary');
  if (last === undefined) throw new CanaryFailed('NoVerdict', 'the analyse stage measured no step');
  const analyses = [...run.analyses];
  const steps = canary.firstDeploy ? [100] : plan.traffic.steps;
  const pauseIndex = pauseStepIndex(plan.traffic, canary.firstDeploy);
  if (canary.firstDeploy && plan.traffic.pauseAfter !== undefined)
    runner.info(
      'pause-after: a first version has no stable to pause beside; it becomes stable after its checks',
    );
  for (
    let index = analyses.length;
    last.verdict.decision === 'promote' && index < steps.length && index - 1 !== pauseIndex;
    index++
  ) {
    canary = await setCanaryWeight(session.ctx, canary, steps[index]!);
    last = await analyseStep(run, canaryStep(session.ctx, canary, index));
    analyses.push(last);
    runner.info(
      `step ${index + 1}/${steps.length} at ${canary.weightPercent}%: ${last.verdict.decision} (${last.verdict.reason})`,
    );
  }
  if (last.verdict.decision === 'revert') {
    const cause = new CanaryFailed('AnalysisFailed', last.verdict.reason);
    await session.undo(cause.message);
    return { canary, analyses, outcome: { decision: 'reverted', reason: cause.message, cause } };
  }
  // Not promoting (or pausing) over another run that took the target during the analysis.
  session.lease.assertHeld();
  if (pauseIndex === analyses.length - 1) {
    const point = { step: pauseIndex + 1, steps: steps.length };
    const paused = await pauseCanary(session.ctx, canary, point, session.lease.holder);
    // A pause is this run's finished work, not a change cut short: the post step leaves it serving.
    await session.settle();
    return {
      canary,
      analyses,
      outcome: {
        decision: 'paused',
        reason:
          `${last.verdict.reason}; paused after step ${point.step}/${point.steps} with ${canary.achievedPercent}% ` +
          'of traffic on the canary until mode promote or mode revert finishes it',
        paused,
      },
    };
  }
  const pinned = await promoteCanary(session.ctx, canary);
  await session.settle();
  const tags = await moveReleaseTags(run);
  return {
    canary,
    analyses,
    outcome: { decision: 'promoted', reason: `${last.verdict.reason}${tags}`, image: pinned },
  };
}

/**
 * Release mode, after the promotion: the floating tags (v1.2, v1) follow the promoted release.
 * The promotion stands when they cannot be moved (they are put back as they were); the reason
 * says so. Returns what to add to the reason.
 */
export async function moveReleaseTags({
  plan,
  settings,
  release,
}: Pick<Run, 'plan' | 'settings' | 'release'>): Promise<string> {
  if (release === undefined || release.floatingTags.length === 0 || plan.image === undefined) return '';
  try {
    const credentials = await releaseCredentials({ plan, settings });
    const moved = await moveFloatingTags(
      {
        repository: plan.image.repository,
        releaseTags: release.floatingTags,
        ...(credentials !== undefined ? { credentials } : {}),
      },
      release.digest,
    );
    runner.info(`release promoted: ${moved.map((m) => m.tag).join(', ')} now name ${release.digest}`);
    return '';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    runner.warning(
      `The release was promoted but ${release.floatingTags.join(', ')} were not moved: ${message}`,
    );
    return `; floating tags ${release.floatingTags.join(', ')} not moved (${message})`;
  }
}
