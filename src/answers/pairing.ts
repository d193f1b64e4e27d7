/**
 * Which requests of a step have their answers compared, and the tally of what the comparisons
 * found. Both arms get the same request set in the same order (pair j is stable's request 2j and
 * the canary's 2j+1), so every pair is a paired request; only the compared ones have their answers
 * read. Pure; docs/answers.md explains the choice.
 */
import { compareAnswers, type CompareRules } from './compare.ts';

/** How many disagreements a tally keeps whole (the report shows the first few). */
export const KEPT_DISAGREEMENTS = 5;
/** The most characters of a request or answer a disagreement keeps. */
export const KEPT_CHARACTERS = 400;
/** The largest answer body read for a comparison; a longer one is cut there (and then differs). */
export const MAX_ANSWER_BYTES = 1 << 20;

/** The golden ratio's fraction: j·φ mod 1 spreads compared pairs evenly whatever the set size. */
const WEYL_STEP = 0.6180339887498949;

/**
 * True when pair `pair` (0-based) is compared: every pair up to `firstPairs` (at least the whole
 * set once, and enough to reach a verdict), then a `share` of the rest spread evenly.
 */
export function isComparedPair(pair: number, firstPairs: number, share: number): boolean {
  if (pair < firstPairs) return true;
  return (pair * WEYL_STEP) % 1 < share;
}

/** A compared request whose answers disagree, cut to KEPT_CHARACTERS each. */
export interface Disagreement {
  id: string;
  request: string;
  reference: string;
  candidate: string;
  difference: string;
}

/** What the comparisons against one reference (stable, or the expected answers) found so far. */
export interface AnswerTally {
  compared: number;
  agreed: number;
  /** The first KEPT_DISAGREEMENTS, in the order they were found. */
  disagreements: Disagreement[];
}

/** A tally with nothing compared yet. */
export function emptyTally(): AnswerTally {
  return { compared: 0, agreed: 0, disagreements: [] };
}

/** Cuts a text to `limit` characters, marking the cut. */
export function truncated(text: string, limit = KEPT_CHARACTERS): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

/** Compares one request's two answers and counts the result in `tally` (which it changes). */
export function tallyAnswer(
  tally: AnswerTally,
  rules: CompareRules,
  request: { id: string; body: string },
  reference: string,
  candidate: string,
): void {
  const { agree, difference } = compareAnswers(rules, reference, candidate);
  tally.compared++;
  if (agree) tally.agreed++;
  else if (tally.disagreements.length < KEPT_DISAGREEMENTS) {
    tally.disagreements.push({
      id: request.id,
      request: truncated(request.body),
      reference: truncated(reference),
      candidate: truncated(candidate),
      difference: truncated(difference),
    });
  }
}
