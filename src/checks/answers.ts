/**
 * Check `answers`: the canary answers the requests of the request set as stable does (paired
 * comparison) and as the expected answers say. Each agreement rate is judged with one-sided
 * Clopper–Pearson bounds against `min-agreement`: it passes when the lower bound at `confidence`
 * reaches it, fails when the upper bound at the step's false-revert budget stays below it, and is
 * inconclusive otherwise, so too few compared answers never pass (docs/answers.md).
 */
import type { AnswerTally, Disagreement } from '../answers/pairing.ts';
import { binomialCdf } from '../stats/distributions.ts';
import { reasonFormat as f, type CheckOutcome, type CheckResult, type StepEvidence } from './check.ts';

/** What the answers of one step were compared against, and the agreement they must reach. */
export interface AnswerEvidence {
  minAgreement: number;
  /** Against stable's answers to the same requests; absent on a first deployment or `compare: none`. */
  paired?: AnswerTally;
  /** Against expected-outputs; absent when none are given. */
  expected?: AnswerTally;
}

/** The figures of one comparison: agreement, its bounds, n and the first disagreements. */
export interface AgreementFigures {
  against: 'stable' | 'expected';
  compared: number;
  agreed: number;
  agreement: number;
  /** One-sided lower bound at `confidence`: the agreement is at least this. */
  lowerBound: number;
  /** One-sided upper bound at the step's false-revert budget: the agreement is at most this. */
  upperBound: number;
  /** Compared answers needed before all of them agreeing can pass. */
  needed: number;
  outcome: CheckOutcome;
  disagreements: Disagreement[];
}

export interface AnswersFigures {
  minAgreement: number;
  comparisons: AgreementFigures[];
}

export type AnswersResult = CheckResult<'answers', AnswersFigures>;

/** The p with P(X ≥ k | n, p) = alpha: the one-sided lower bound of a binomial proportion k/n. */
export function clopperPearsonLower(k: number, n: number, alpha: number): number {
  if (k <= 0) return 0;
  if (k >= n) return Math.pow(alpha, 1 / n);
  return bisect((p) => 1 - binomialCdf(k - 1, n, p) - alpha);
}

/** The p with P(X ≤ k | n, p) = alpha: the one-sided upper bound of a binomial proportion k/n. */
export function clopperPearsonUpper(k: number, n: number, alpha: number): number {
  if (n <= 0 || k >= n) return 1;
  if (k < 0) return 0;
  return bisect((p) => alpha - binomialCdf(k, n, p));
}

/** The root of an increasing function on [0, 1] to 1e-12. */
function bisect(increasing: (p: number) => number): number {
  let low = 0;
  let high = 1;
  for (let step = 0; step < 50; step++) {
    const middle = (low + high) / 2;
    if (increasing(middle) < 0) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** Compared answers that must all agree before the lower bound reaches `minAgreement`. */
export function answersNeeded(minAgreement: number, confidence: number): number {
  if (minAgreement <= 0) return 1;
  return Math.ceil(Math.log(1 - confidence) / Math.log(minAgreement));
}

function judgeTally(
  against: AgreementFigures['against'],
  tally: AnswerTally,
  minAgreement: number,
  confidence: number,
  budget: number,
): AgreementFigures {
  const { compared, agreed } = tally;
  const lowerBound = compared === 0 ? 0 : clopperPearsonLower(agreed, compared, 1 - confidence);
  const upperBound = compared === 0 ? 1 : clopperPearsonUpper(agreed, compared, budget);
  const outcome: CheckOutcome =
    upperBound < minAgreement ? 'fail' : lowerBound >= minAgreement ? 'pass' : 'inconclusive';
  return {
    against,
    compared,
    agreed,
    agreement: compared === 0 ? 0 : agreed / compared,
    lowerBound,
    upperBound,
    needed: answersNeeded(minAgreement, confidence),
    outcome,
    disagreements: tally.disagreements,
  };
}

function describe(figures: AgreementFigures, minAgreement: number): string {
  const who = figures.against === 'stable' ? 'stable' : 'the expected outputs';
  const counted = `${figures.compared - figures.agreed} of ${figures.compared}`;
  switch (figures.outcome) {
    case 'fail':
      return `answers disagree with ${who} on ${f.percent(1 - figures.agreement)} of requests (${counted}; agreement at most ${f.percent(figures.upperBound)} < min-agreement ${f.percent(minAgreement)})`;
    case 'pass':
      return `answers agree with ${who} on ${f.percent(figures.agreement)} of ${figures.compared} requests (at least ${f.percent(figures.lowerBound)} ≥ min-agreement ${f.percent(minAgreement)})`;
    case 'inconclusive':
      return figures.compared < figures.needed && figures.agreed === figures.compared
        ? `${figures.compared} answers compared with ${who}, too few to show min-agreement ${f.percent(minAgreement)} (${figures.needed} needed)`
        : `answers agree with ${who} on ${f.percent(figures.agreement)} of ${figures.compared} requests; at least ${f.percent(figures.lowerBound)}, not shown ≥ min-agreement ${f.percent(minAgreement)}`;
  }
}

/**
 * Judges the canary's answers against stable's and the expected ones; does not apply (undefined)
 * when nothing is compared, so the other checks' list stays as it was.
 */
export function answersCheck({ answers, gate, budget, look }: StepEvidence): AnswersResult | undefined {
  if (answers === undefined || (answers.paired === undefined && answers.expected === undefined)) {
    return undefined;
  }
  const { minAgreement } = answers;
  const comparisons = [
    ...(answers.expected !== undefined
      ? [judgeTally('expected', answers.expected, minAgreement, gate.confidence, budget)]
      : []),
    ...(answers.paired !== undefined
      ? [judgeTally('stable', answers.paired, minAgreement, gate.confidence, budget)]
      : []),
  ];
  const figures: AnswersFigures = { minAgreement, comparisons };
  const deciding =
    comparisons.find((c) => c.outcome === 'fail') ??
    comparisons.find((c) => c.outcome === 'inconclusive') ??
    comparisons[0]!;
  const reason = describe(deciding, minAgreement);
  return {
    name: 'answers',
    outcome: deciding.outcome,
    reason: deciding.outcome === 'pass' ? reason : `${reason} (${f.look(look)})`,
    figures,
  };
}
