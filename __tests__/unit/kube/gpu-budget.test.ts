import { describe, expect, it } from '@jest/globals';
import {
  decideBudget,
  largestSpareCanary,
  movesBetween,
  restoreStableMoves,
  stepReplicas,
  switchImage,
  type ArmReplicas,
  type BudgetDecision,
  type BudgetFacts,
  type ReplicaMove,
} from '../../../src/kube/gpu-budget.ts';

const STEP_LISTS: number[][] = [[10], [25, 50], [1, 99], [10, 25, 50, 75], [50], [33, 66, 99]];
const FACTS: Omit<BudgetFacts, 'stableReplicas'> = {
  asked: 'shift',
  steps: [25, 50],
  gpusPerReplica: 1,
  stableGpusPerReplica: 1,
  maxExtraGpus: 0,
};

function decided(facts: BudgetFacts): BudgetDecision {
  const decision = decideBudget(facts);
  if ('refused' in decision) throw new Error(`refused: ${decision.refused}`);
  return decision;
}

/** Applies moves one by one, returning every state passed through (the start included). */
function walk(from: ArmReplicas, moves: readonly ReplicaMove[]): ArmReplicas[] {
  const states = [from];
  for (const move of moves) states.push({ ...states.at(-1)!, [move.track]: move.replicas });
  return states;
}

/**
 * Every state a whole shift rollout passes through, with the pods a rolling update adds or takes
 * at its worst moment: the steps (from stable alone), the promotion (image switch then replicas
 * back), and from each step a revert.
 */
function rolloutStates(
  budget: BudgetDecision,
  steps: readonly number[],
): { label: string; state: ArmReplicas }[] {
  const seen: { label: string; state: ArmReplicas }[] = [];
  let current: ArmReplicas = { stable: budget.stableReplicas, canary: 0 };
  for (const weight of steps) {
    const target = stepReplicas(budget, weight);
    for (const state of walk(current, movesBetween(current, target)))
      seen.push({ label: `step ${weight}`, state });
    current = target;
    const revert = restoreStableMoves(current, budget.stableReplicas, budget.replicaSlots);
    const reverted = walk(current, revert);
    for (const state of reverted) seen.push({ label: `revert at ${weight}`, state });
    expect(reverted.at(-1)!.stable).toBe(budget.stableReplicas);
  }
  const { before, rollingUpdate } = switchImage(current, budget.replicaSlots, true);
  const ready = walk(current, before);
  for (const state of ready) seen.push({ label: 'promotion: free a slot', state });
  const rolling = ready.at(-1)!;
  // A strict roll is of a single stable pod: no second replacement starts while an old pod terminates.
  expect(rolling.stable).toBe(1);
  // The rolling update's worst moments: one surge pod beside them, or one pod gone.
  seen.push({
    label: 'promotion: surge',
    state: { ...rolling, stable: rolling.stable + rollingUpdate.maxSurge },
  });
  seen.push({
    label: 'promotion: one gone',
    state: { ...rolling, stable: rolling.stable - rollingUpdate.maxUnavailable },
  });
  const back = walk(rolling, restoreStableMoves(rolling, budget.stableReplicas, budget.replicaSlots));
  for (const state of back) seen.push({ label: 'promotion: replicas back', state });
  expect(back.at(-1)!.stable).toBe(budget.stableReplicas);
  return seen;
}

describe('shift: the GPUs in use never exceed the budget and stable keeps a replica', () => {
  const cases: [number, number[], number, number][] = [];
  for (const stable of [1, 2, 3, 4, 5, 8, 13]) {
    for (const steps of STEP_LISTS) {
      for (const gpus of [1, 2, 4]) {
        for (const extraGpus of [0, 1, 2, 4, 8]) cases.push([stable, steps, gpus, extraGpus]);
      }
    }
  }

  it.each(cases)(
    'stable %i, steps %j, %i GPU(s) per replica, max-extra-gpus %i',
    (stable, steps, gpus, extra) => {
      const decision = decideBudget({
        ...FACTS,
        stableReplicas: stable,
        steps,
        gpusPerReplica: gpus,
        stableGpusPerReplica: gpus,
        maxExtraGpus: extra,
      });
      const extraReplicas = Math.floor(extra / gpus);
      if (stable + extraReplicas < 2) {
        // One replica and no extra slot: stable cannot lend its only pod and keep serving.
        expect(decision).toEqual({ refused: expect.stringMatching(/max-extra-gpus to at least \d+/) });
        return;
      }
      const budget = decision as BudgetDecision;
      expect(budget).toMatchObject({
        mode: 'shift',
        stableReplicas: stable,
        replicaSlots: stable + extraReplicas,
      });
      const budgetGpus = stable * gpus + extra;
      for (const { label, state } of rolloutStates(budget, steps)) {
        const where = `${label}: stable ${state.stable}, canary ${state.canary}`;
        expect({ where, gpus: (state.stable + state.canary) * gpus <= budgetGpus }).toEqual({
          where,
          gpus: true,
        });
        expect({ where, stableServes: state.stable >= 1 }).toEqual({ where, stableServes: true });
      }
      for (const weight of steps) {
        const arms = stepReplicas(budget, weight);
        expect(arms.canary).toBeGreaterThanOrEqual(1);
        expect(arms.stable).toBeLessThanOrEqual(stable);
      }
    },
  );

  it('without extra slots, the canary takes exactly its share of stable’s pods', () => {
    const budget = decided({ ...FACTS, stableReplicas: 4 });
    expect(stepReplicas(budget, 25)).toEqual({ stable: 3, canary: 1 });
    expect(stepReplicas(budget, 50)).toEqual({ stable: 2, canary: 2 });
    // 99% of 4 would leave stable none: capped so stable keeps one.
    expect(stepReplicas(budget, 99)).toEqual({ stable: 1, canary: 3 });
    const eight = decided({ ...FACTS, stableReplicas: 8 });
    expect(stepReplicas(eight, 10)).toEqual({ stable: 7, canary: 1 });
  });

  it('extra slots keep stable whole as long as they hold the canary', () => {
    const budget = decided({ ...FACTS, stableReplicas: 4, maxExtraGpus: 1 });
    expect(stepReplicas(budget, 25)).toEqual({ stable: 4, canary: 1 });
    expect(stepReplicas(budget, 50)).toEqual({ stable: 3, canary: 2 });
    const one = decided({ ...FACTS, stableReplicas: 1, maxExtraGpus: 1 });
    expect(stepReplicas(one, 50)).toEqual({ stable: 1, canary: 1 });
  });

  it('moves free GPUs before anything takes them', () => {
    expect(movesBetween({ stable: 4, canary: 0 }, { stable: 3, canary: 1 })).toEqual([
      { track: 'stable', replicas: 3 },
      { track: 'canary', replicas: 1 },
    ]);
    expect(movesBetween({ stable: 3, canary: 1 }, { stable: 2, canary: 2 })).toEqual([
      { track: 'stable', replicas: 2 },
      { track: 'canary', replicas: 2 },
    ]);
    expect(movesBetween({ stable: 4, canary: 1 }, { stable: 4, canary: 2 })).toEqual([
      { track: 'canary', replicas: 2 },
    ]);
    expect(movesBetween({ stable: 2, canary: 2 }, { stable: 2, canary: 2 })).toEqual([]);
  });
});

describe('switchImage: how stable changes image within its slots', () => {
  it.each([
    // [stable, canary, slots, strict, moves before, maxSurge, maxUnavailable]
    [2, 2, 4, false, [], 0, 1],
    [4, 1, 5, false, [], 0, 1],
    [3, 1, 5, false, [], 1, 0],
    [1, 1, 2, false, [{ track: 'canary', replicas: 0 }], 1, 0],
    [1, 3, 4, false, [{ track: 'canary', replicas: 2 }], 1, 0],
    [1, 1, 3, false, [], 1, 0],
    // A lone stable pod with nothing to borrow: a surge pod (a free GPU) rather than no pod at all.
    [1, 0, 1, false, [], 1, 0],
    // Strict (shift): one stable pod rolls with a surge slot, the others lent to the canary first,
    // so no replacement starts while an old pod still holds its GPU.
    [2, 2, 4, true, [{ track: 'stable', replicas: 1 }], 1, 0],
    [3, 1, 5, true, [{ track: 'stable', replicas: 1 }], 1, 0],
    [1, 1, 2, true, [{ track: 'canary', replicas: 0 }], 1, 0],
    [1, 1, 3, true, [], 1, 0],
  ] as const)(
    'stable %i, canary %i in %i slots (strict: %s)',
    (stable, canary, slots, strict, before, maxSurge, maxUnavailable) => {
      expect(switchImage({ stable, canary }, slots, strict)).toEqual({
        before,
        rollingUpdate: { maxSurge, maxUnavailable },
      });
    },
  );
});

describe('restoreStableMoves: stable back to its replicas before the canary goes', () => {
  it('takes the canary’s pods one at a time when no slot is free', () => {
    expect(restoreStableMoves({ stable: 2, canary: 2 }, 4, 4)).toEqual([
      { track: 'canary', replicas: 1 },
      { track: 'stable', replicas: 3 },
      { track: 'canary', replicas: 0 },
      { track: 'stable', replicas: 4 },
    ]);
  });

  it('grows stable by every free slot at once', () => {
    expect(restoreStableMoves({ stable: 2, canary: 1 }, 4, 5)).toEqual([{ track: 'stable', replicas: 4 }]);
    expect(restoreStableMoves({ stable: 4, canary: 1 }, 4, 5)).toEqual([]);
  });

  it('never has fewer slots than the target holds or than stable held (an older record)', () => {
    expect(restoreStableMoves({ stable: 1, canary: 0 }, 3, 1)).toEqual([{ track: 'stable', replicas: 3 }]);
    const moves = restoreStableMoves({ stable: 1, canary: 3 }, 3, 2);
    for (const state of walk({ stable: 1, canary: 3 }, moves))
      expect(state.stable + state.canary).toBeLessThanOrEqual(4);
    expect(walk({ stable: 1, canary: 3 }, moves).at(-1)!.stable).toBe(3);
  });
});

describe('decideBudget', () => {
  const auto: Omit<BudgetFacts, 'stableReplicas'> = { ...FACTS, asked: 'auto' };

  it.each([
    // stable, free GPUs, gpus per replica, steps → mode
    [3, 1, 1, [25, 50], 'shift'], // 50% of 3 needs 2 (round 1.5)
    [3, 2, 1, [25, 50], 'spare'],
    [4, 0, 1, [25, 50], 'shift'],
    [4, 4, 2, [25, 50], 'spare'],
    [4, 3, 2, [25, 50], 'shift'],
    [1, 1, 1, [10], 'spare'],
    [8, 1, 1, [10], 'spare'],
  ])(
    'auto with stable %i and %i free GPU(s) (%i per replica, steps %j) is %s',
    (stable, free, gpus, steps, mode) => {
      const decision = decided({
        ...auto,
        stableReplicas: stable,
        freeGpus: free,
        gpusPerReplica: gpus,
        stableGpusPerReplica: gpus,
        steps,
      });
      expect(decision.mode).toBe(mode);
      expect(decision.reason).toMatch(/^auto: \d+ GPU\(s\) free, \d+ needed for the largest canary step$/);
      if (mode === 'spare') expect(decision.replicaSlots).toBe(stable + largestSpareCanary(stable, steps));
    },
  );

  it('auto takes shift when free GPUs could not be counted, and says why', () => {
    expect(decided({ ...auto, stableReplicas: 4 })).toMatchObject({
      mode: 'shift',
      reason: expect.stringMatching(/could not be counted/),
    });
  });

  it('auto refuses a one-replica stable with no GPU free and no extra allowed, naming max-extra-gpus', () => {
    expect(decideBudget({ ...auto, stableReplicas: 1, freeGpus: 0 })).toEqual({
      refused: expect.stringMatching(/stable of 1 replica cannot give one up.*max-extra-gpus to at least 1/),
    });
  });

  it('shift lends only like for like: stable’s pods must hold the GPUs the canary’s ask', () => {
    expect(decideBudget({ ...auto, stableReplicas: 4, freeGpus: 0, stableGpusPerReplica: 0 })).toEqual({
      refused: expect.stringMatching(/stable's hold 0 GPU\(s\) each and the canary's ask 1 \(input gpus\)/),
    });
    // Spare does not care what stable's pods hold.
    expect(decided({ ...auto, stableReplicas: 4, freeGpus: 2, stableGpusPerReplica: 0 }).mode).toBe('spare');
  });

  it('caps the extra GPUs at what is free', () => {
    expect(decided({ ...FACTS, stableReplicas: 4, maxExtraGpus: 4, freeGpus: 1 }).replicaSlots).toBe(5);
    expect(decided({ ...FACTS, stableReplicas: 4, maxExtraGpus: 4 }).replicaSlots).toBe(8);
    expect(
      decided({ ...FACTS, stableReplicas: 4, maxExtraGpus: 3, gpusPerReplica: 2, stableGpusPerReplica: 2 })
        .replicaSlots,
    ).toBe(5);
  });

  it('an autoscaler owns stable’s replicas: spare, and shift is refused naming it', () => {
    const autoscaler = { kind: 'HorizontalPodAutoscaler' as const, name: 'resnet' };
    expect(decided({ ...auto, stableReplicas: 2, freeGpus: 0, autoscaler })).toMatchObject({
      mode: 'spare',
      autoscaler,
      reason: expect.stringMatching(/HorizontalPodAutoscaler resnet owns stable's replicas/),
    });
    expect(
      decideBudget({ ...FACTS, stableReplicas: 2, autoscaler: { kind: 'ScaledObject', name: 'q' } }),
    ).toEqual({
      refused: expect.stringMatching(/ScaledObject q owns stable's replicas. Use gpu-budget spare/),
    });
  });

  it('CPU pods need no GPU: spare, whatever was asked', () => {
    expect(decided({ ...FACTS, stableReplicas: 1, gpusPerReplica: 0 })).toMatchObject({ mode: 'spare' });
  });

  it('spare keeps stable whole and reserves the largest canary', () => {
    const budget = decided({ ...FACTS, asked: 'spare', stableReplicas: 4, steps: [10, 50] });
    expect(budget.replicaSlots).toBe(6);
    expect(stepReplicas(budget, 10)).toEqual({ stable: 4, canary: 1 });
    expect(stepReplicas(budget, 50)).toEqual({ stable: 4, canary: 2 });
  });
});
