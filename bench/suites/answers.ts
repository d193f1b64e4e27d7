/**
 * answers: the answers check's error rates by seeded simulation (docs/answers.md).
 *
 * One canary step at the action's defaults: 20 req/s per arm for 60 s (Poisson arrivals, so the
 * pairs per run vary), 4 planned looks, compare-share 10 %, min-agreement 99 %, confidence 0.95,
 * on-inconclusive revert. The request set holds 100 distinct requests; the load cycles through it
 * and every pair up to max(set size, answers needed) is compared, then the share (isComparedPair).
 *   A/A:     the canary answers every request as stable does.
 *   wrong5:  the canary answers 5 of the 100 requests wrongly, every time (drawn per run).
 * and two that are not deterministic, where each compared answer differs independently:
 *   flaky 0.1 %: 1 answer in 1,000 differs (a kernel's nondeterminism beyond the tolerance);
 *   random 5 %:  1 answer in 20 differs, whatever the request.
 * A run stops at the first look whose answers check is not inconclusive; an inconclusive last look
 * counts as a revert (on-inconclusive revert). Reverted = fail or inconclusive at the end. Only the
 * answers check is simulated: the latency and error checks see independent evidence.
 * ANSWERS_BENCH_RUNS overrides the 10,000 runs per scenario.
 */
import { isComparedPair } from '../../src/answers/pairing.ts';
import { answersCheck, answersNeeded } from '../../src/checks/answers.ts';
import { DEFAULT_PLANNED_LOOKS, falseRevertBudget, type StepEvidence } from '../../src/checks/check.ts';
import { xoshiro128, type Random } from '../../src/stats/random.ts';
import type { Suite, SuiteResults } from '../results.ts';
import { DEFAULT_GATE } from '../../__tests__/support/gate.ts';

const RUNS = Number(process.env['ANSWERS_BENCH_RUNS'] ?? 10_000);
const RATE_PER_ARM = 20;
const DURATION_S = 60;
const SET_SIZE = 100;
const WRONG_REQUESTS = 5;
const SHARE = 0.1;
const MIN_AGREEMENT = 0.99;
const GATE = DEFAULT_GATE;

/** A Poisson count with mean `mean` (normal approximation with continuity: the mean here is 2,400). */
function poisson(random: Random, mean: number): number {
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
}

/** Whether one simulated step reverts: the answers check at each planned look, as analyse takes them. */
function reverts(random: Random, wrongShare: number, flakyShare: number): boolean {
  const wrong = new Set<number>();
  const wrongCount = Math.round(SET_SIZE * wrongShare);
  while (wrong.size < wrongCount) wrong.add(Math.floor(random() * SET_SIZE));
  const pairs = Math.floor(poisson(random, 2 * RATE_PER_ARM * DURATION_S) / 2);
  const planned = RATE_PER_ARM * DURATION_S;
  const firstPairs = Math.max(SET_SIZE, answersNeeded(MIN_AGREEMENT, GATE.confidence));
  const tally = { compared: 0, agreed: 0, disagreements: [] };
  let pair = 0;
  for (let look = 1; look <= DEFAULT_PLANNED_LOOKS; look++) {
    const upTo =
      look === DEFAULT_PLANNED_LOOKS
        ? pairs
        : Math.min(pairs, Math.round((planned * look) / DEFAULT_PLANNED_LOOKS));
    for (; pair < upTo; pair++) {
      if (!isComparedPair(pair, firstPairs, SHARE)) continue;
      tally.compared++;
      if (!wrong.has(pair % SET_SIZE) && !(random() < flakyShare)) tally.agreed++;
    }
    const evidence = {
      gate: GATE,
      look: { index: look, of: DEFAULT_PLANNED_LOOKS },
      budget: falseRevertBudget(GATE.confidence),
      answers: { minAgreement: MIN_AGREEMENT, paired: { ...tally } },
    } as unknown as StepEvidence;
    const outcome = answersCheck(evidence)!.outcome;
    if (outcome === 'fail') return true;
    if (outcome === 'pass') return false;
  }
  return true;
}

function revertRate(seed: number, wrongShare: number, flakyShare = 0): number {
  const random = xoshiro128(seed);
  let reverted = 0;
  for (let run = 0; run < RUNS; run++) if (reverts(random, wrongShare, flakyShare)) reverted++;
  return reverted / RUNS;
}

export const run: Suite = async () => {
  const started = performance.now();
  const falseRevert = revertRate(20260501, 0);
  const power = revertRate(20260502, WRONG_REQUESTS / SET_SIZE);
  const flaky = revertRate(20260503, 0, 0.001);
  const randomWrong = revertRate(20260504, 0, 0.05);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `answers check, ${RUNS} runs per scenario, set of ${SET_SIZE}, ${RATE_PER_ARM} req/s × ${DURATION_S} s (${seconds} s)`,
  );
  console.log(`  A/A (identical answers)       reverted ${(falseRevert * 100).toFixed(2)} %`);
  console.log(`  wrong on ${WRONG_REQUESTS} % of the requests  reverted ${(power * 100).toFixed(2)} %`);
  console.log(`  flaky: 0.1 % of answers differ reverted ${(flaky * 100).toFixed(2)} %`);
  console.log(`  random: 5 % of answers differ  reverted ${(randomWrong * 100).toFixed(2)} %`);
  const results: SuiteResults = {
    agreement_false_revert_rate: { value: falseRevert, unit: 'share of A/A runs reverted' },
    agreement_power_wrong5: { value: power, unit: 'share of wrong-on-5 % runs reverted' },
    agreement_revert_rate_flaky01: {
      value: flaky,
      unit: 'share of runs reverted, 0.1 % of answers differing',
    },
    agreement_power_random5: { value: randomWrong, unit: 'share of runs reverted, 5 % of answers differing' },
  };
  return results;
};
