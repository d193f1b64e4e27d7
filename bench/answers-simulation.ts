/**
 * The answers check's error rates by seeded simulation (docs/answers.md), for the judge suite.
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
 * The peer, on the same draws: the rule a hand-written webhook applies (Flagger and Argo Rollouts
 * leave answers to one): revert on any disagreement among the compared answers, else promote.
 * ANSWERS_BENCH_RUNS overrides the 10,000 runs per scenario.
 */
import { isComparedPair } from '../src/answers/pairing.ts';
import { answersCheck, answersNeeded } from '../src/checks/answers.ts';
import { DEFAULT_PLANNED_LOOKS, falseRevertBudget, type StepEvidence } from '../src/checks/check.ts';
import { xoshiro128, type Random } from '../src/stats/random.ts';
import type { SuiteResults } from './results.ts';
import { DEFAULT_GATE } from '../__tests__/support/gate.ts';

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

/** Whether one simulated step reverts: by the answers check at each planned look, as analyse takes them, and by the peer's rule. */
function reverts(random: Random, wrongShare: number, flakyShare: number): { ours: boolean; peer: boolean } {
  const wrong = new Set<number>();
  const wrongCount = Math.round(SET_SIZE * wrongShare);
  while (wrong.size < wrongCount) wrong.add(Math.floor(random() * SET_SIZE));
  const pairs = Math.floor(poisson(random, 2 * RATE_PER_ARM * DURATION_S) / 2);
  const planned = RATE_PER_ARM * DURATION_S;
  const firstPairs = Math.max(SET_SIZE, answersNeeded(MIN_AGREEMENT, GATE.confidence));
  const tally = { compared: 0, agreed: 0, disagreements: [] };
  let pair = 0;
  let ours: boolean | undefined;
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
    if (outcome !== 'inconclusive') {
      ours = outcome === 'fail';
      break;
    }
  }
  // The peer sees the whole step's compared answers (it has no early stop).
  for (; pair < pairs; pair++) {
    if (!isComparedPair(pair, firstPairs, SHARE)) continue;
    tally.compared++;
    if (!wrong.has(pair % SET_SIZE) && !(random() < flakyShare)) tally.agreed++;
  }
  return { ours: ours ?? true, peer: tally.agreed < tally.compared };
}

interface RevertRates {
  ours: number;
  peer: number;
}

function revertRates(seed: number, wrongShare: number, flakyShare = 0): RevertRates {
  const random = xoshiro128(seed);
  let ours = 0;
  let peer = 0;
  for (let run = 0; run < RUNS; run++) {
    const reverted = reverts(random, wrongShare, flakyShare);
    if (reverted.ours) ours++;
    if (reverted.peer) peer++;
  }
  return { ours: ours / RUNS, peer: peer / RUNS };
}

const PEER = 'revert on any disagreement (a webhook rule)';

/** The answers check's revert rates in four seeded scenarios, beside the peer's rule on the same draws. */
export function answerRevertRates(): SuiteResults {
  const started = performance.now();
  const scenarios: [string, string, RevertRates][] = [
    ['agreement_false_revert_rate', 'A/A (identical answers)', revertRates(20260501, 0)],
    [
      'agreement_power_wrong5',
      `wrong on ${WRONG_REQUESTS} % of the requests`,
      revertRates(20260502, WRONG_REQUESTS / SET_SIZE),
    ],
    ['agreement_revert_rate_flaky01', 'flaky: 0.1 % of answers differ', revertRates(20260503, 0, 0.001)],
    ['agreement_power_random5', 'random: 5 % of answers differ', revertRates(20260504, 0, 0.05)],
  ];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\nanswers check, ${RUNS} runs per scenario, set of ${SET_SIZE}, ${RATE_PER_ARM} req/s × ${DURATION_S} s (${seconds} s)`,
  );
  console.log(`${'scenario'.padEnd(36)}${'ours'.padStart(10)}${'any-disagreement'.padStart(18)}`);
  const results: SuiteResults = {};
  for (const [key, label, rates] of scenarios) {
    console.log(
      `${label.padEnd(36)}${`${(rates.ours * 100).toFixed(2)} %`.padStart(10)}${`${(rates.peer * 100).toFixed(2)} %`.padStart(18)}`,
    );
    results[key] = {
      value: rates.ours,
      unit: `share of runs reverted: ${label}`,
      peer: PEER,
      peer_value: rates.peer,
    };
  }
  return results;
}
