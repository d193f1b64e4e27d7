import { describe, expect, it } from '@jest/globals';
import type { InputName } from '../../src/inputs/input-names.ts';
import { parseInputs } from '../../src/inputs/read.ts';
import type { RunContext } from '../../src/inputs/run-context.ts';
import { pauseStepIndex, planRun, releaseTags, STAGES_BY_MODE } from '../../src/plan.ts';
import { LABELS, ownerSelector } from '../../src/kube/labels.ts';
import { renderPlanMarkdown } from '../../src/github/plan-summary.ts';

const RUN: RunContext = {
  eventName: 'push',
  sha: 'abcdef1234567890abcdef1234567890abcdef12',
  ref: 'refs/heads/main',
  repository: 'acme/models',
  runId: 9,
  runAttempt: 1,
};

function settingsOf(inputs: Partial<Record<InputName, string>>, run: RunContext = RUN) {
  return parseInputs({
    get: (name) => inputs[name] ?? '',
    run,
    pathExists: (path) => path === 'models/resnet',
    outsideWorkspace: () => undefined,
    readText: () => undefined,
    listFolder: () => undefined,
  });
}

function plan(inputs: Partial<Record<InputName, string>>, run: RunContext = RUN) {
  return planRun(settingsOf(inputs, run));
}

const CANARY = { model: 'models/resnet', image: 'ghcr.io/acme/resnet' };

describe('planRun', () => {
  it('names every object of a canary from the target', () => {
    const p = plan({ ...CANARY, namespace: 'ml' });
    expect(p.target).toBe('resnet');
    expect(p.objects).toEqual({
      stableDeployment: 'resnet',
      canaryDeployment: 'resnet-canary',
      service: 'resnet',
      stableService: 'resnet-stable',
      canaryService: 'resnet-canary',
      lease: 'model-canary-resnet',
    });
    expect(p.labels).toEqual({
      [LABELS.name]: 'resnet',
      [LABELS.managedBy]: 'model-canary',
      [LABELS.target]: 'resnet',
    });
    expect(p.stages).toEqual(['build', 'deploy-canary', 'analyse', 'decide']);
  });

  it('tags the image with the commit and caches next to it', () => {
    expect(plan(CANARY).image).toEqual({
      repository: 'ghcr.io/acme/resnet',
      commitTag: RUN.sha,
      reference: `ghcr.io/acme/resnet:${RUN.sha}`,
      releaseTags: [],
      cacheReference: 'ghcr.io/acme/resnet:buildcache',
    });
    expect(plan({ ...CANARY, cache: 'none' }).image?.cacheReference).toBeUndefined();
  });

  it('isolates a preview under a name and label of its pull request', () => {
    const p = plan({ ...CANARY, mode: 'preview' }, { ...RUN, eventName: 'pull_request', pullRequest: 31 });
    expect(p.target).toBe('resnet-pr-31');
    expect(p.preview).toBe('pr-31');
    expect(p.labels[LABELS.preview]).toBe('pr-31');
    expect(p.objects.stableDeployment).toBe('resnet-pr-31');
    expect(ownerSelector(p.target, p.preview)).toBe(
      'app.kubernetes.io/managed-by=model-canary,model-canary.dev/target=resnet-pr-31,model-canary.dev/preview=pr-31',
    );
  });

  it('cleans up the preview of a pull request, and the canary target itself elsewhere', () => {
    const onPullRequest = plan(
      { ...CANARY, mode: 'cleanup' },
      { ...RUN, eventName: 'pull_request', pullRequest: 8 },
    );
    expect([onPullRequest.target, onPullRequest.preview]).toEqual(['resnet-pr-8', 'pr-8']);
    const onPush = plan({ ...CANARY, mode: 'cleanup' }, RUN);
    expect([onPush.target, onPush.preview]).toEqual(['resnet', undefined]);
    expect(onPush.objects.lease).toBe(plan(CANARY, RUN).objects.lease);
    expect(onPush.stages).toEqual(['cleanup']);
  });

  it('gives a release its semver tags and no build', () => {
    const p = plan({ ...CANARY, mode: 'release' }, { ...RUN, ref: 'refs/tags/v2.5.1' });
    expect(p.image?.releaseTags).toEqual(['v2.5.1', 'v2.5', 'v2']);
    expect(p.stages).not.toContain('build');
    expect(p.stages[0]).toBe('tag-release');
  });

  it('keeps the longest names within the 63 characters of a label', () => {
    const p = plan({ ...CANARY, mode: 'preview', name: 'a'.repeat(40) }, { ...RUN, pullRequest: 99999 });
    for (const name of Object.values(p.objects)) expect(name.length).toBeLessThanOrEqual(63);
  });

  it('walks canary steps in order', () => {
    expect(plan({ ...CANARY, 'canary-steps': '10,25,50' }).traffic.steps).toEqual([10, 25, 50]);
  });
});

describe('pauseStepIndex', () => {
  it('carries pause-after into the plan and its summary', () => {
    const p = plan({ ...CANARY, 'canary-steps': '25,50,75', 'pause-after': '50' });
    expect(p.traffic).toEqual({
      router: 'auto',
      steps: [25, 50, 75],
      pauseAfter: 50,
      gpuBudget: 'auto',
      maxExtraGpus: 0,
      gpusPerReplica: 1,
    });
    expect(
      renderPlanMarkdown(p, settingsOf({ ...CANARY, 'canary-steps': '25,50,75', 'pause-after': '50' })),
    ).toMatch(/canary steps 25% → 50% → 75%, then pause after 50% for mode promote or revert to finish/);
    expect(plan({ ...CANARY, 'canary-steps': '25,50' }).traffic).not.toHaveProperty('pauseAfter');
  });

  it.each([
    ['a middle step', [25, 50, 75], 50, false, 1],
    ['the first step', [25, 50, 75], 25, false, 0],
    ['the last step (pause: true)', [25, 50, 75], 75, false, 2],
    ['one canary-weight', [10], 10, false, 0],
    ['no pause', [25, 50, 75], undefined, false, undefined],
    ['a first version, which has no stable to pause beside', [25, 50, 75], 50, true, undefined],
    ['a percentage that is no step', [25, 50, 75], 60, false, undefined],
  ])('pauses after %s', (_, steps, pauseAfter, firstDeploy, index) => {
    expect(pauseStepIndex({ steps, ...(pauseAfter !== undefined ? { pauseAfter } : {}) }, firstDeploy)).toBe(
      index,
    );
  });
});

describe('releaseTags', () => {
  it('gives only the exact tag to a pre-release', () => {
    expect(releaseTags({ major: 1, minor: 0, patch: 0, prerelease: 'rc.2' })).toEqual(['v1.0.0-rc.2']);
    expect(releaseTags(undefined)).toEqual([]);
  });
});

describe('STAGES_BY_MODE', () => {
  it('builds only in the modes that ship new code', () => {
    const building = Object.entries(STAGES_BY_MODE)
      .filter(([, stages]) => stages.includes('build'))
      .map(([mode]) => mode);
    expect(building.sort()).toEqual(['canary', 'preview']);
  });
});

describe('renderPlanMarkdown', () => {
  it('shows the image, the stages and the gate', () => {
    const settings = settingsOf({ ...CANARY, 'max-p95-ms': '80', 'dry-run': 'true' });
    const markdown = renderPlanMarkdown(planRun(settings), settings);
    expect(markdown).toContain(`| image | ghcr.io/acme/resnet:${RUN.sha} |`);
    expect(markdown).toContain('| stages | build → deploy-canary → analyse → decide |');
    expect(markdown).toContain('p95 ≤ 80 ms');
    expect(markdown).toContain('p95 regression ≤ 10.0% at 0.95 confidence');
  });

  it.each([
    [
      {},
      /\| GPU budget \| auto: spare \(.*\) when the pre-flight finds room, else shift \(.*at most stable's\); an HPA or KEDA ScaledObject/,
    ],
    [
      { 'gpu-budget': 'shift', 'max-extra-gpus': '2' },
      /\| GPU budget \| shift \(.*at most stable's \+ 2 \(max-extra-gpus\)\); refused when an HPA/,
    ],
    [{ 'gpu-budget': 'spare' }, /\| GPU budget \| spare \(the canary on free GPUs/],
    [{ gpus: '0', 'gpu-budget': 'shift' }, /\| GPU budget \| none: the pods ask for no GPU \|/],
  ])('shows the GPU budget as asked (%j); the run says what auto chose', (inputs, row) => {
    const settings = settingsOf({ ...CANARY, ...inputs });
    expect(planRun(settings).traffic).toMatchObject({
      gpuBudget: settings.traffic.gpuBudget,
      maxExtraGpus: settings.traffic.maxExtraGpus,
    });
    expect(renderPlanMarkdown(planRun(settings), settings)).toMatch(row);
  });

  it('shows the TTFT and TPOT bounds, defaulting to max-regression, unless the probe cannot stream', () => {
    const openai = settingsOf({ ...CANARY, 'probe-protocol': 'openai', 'max-regression-tpot': '25%' });
    expect(renderPlanMarkdown(planRun(openai), openai)).toContain(
      'streamed OpenAI answers: TTFT regression ≤ 10.0%, TPOT regression ≤ 25.0%',
    );
    const v2 = settingsOf({ ...CANARY, 'probe-protocol': 'v2' });
    expect(renderPlanMarkdown(planRun(v2), v2)).not.toContain('TTFT');
  });
});
