/**
 * The answers section: how the canary's answers are compared with stable's and with the expected
 * outputs, and the agreement they must reach (docs/answers.md).
 */
import { COMPARE_MODES, type CompareMode } from '../answers/compare.ts';
import type { RequestSet } from '../answers/request-set.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';

/** `auto`: the probe protocol's mode (v2 → tensor, openai → text, http → json). */
export const COMPARE_CHOICES = ['auto', ...COMPARE_MODES, 'none'] as const;

export type CompareChoice = (typeof COMPARE_CHOICES)[number];

export interface AnswerSettings {
  compare: CompareChoice;
  /** Share of the pairs past the first ones whose answers are compared. */
  compareShare: number;
  tolerance: number;
  minSimilarity: number;
  ignorePaths: string[];
  minAgreement: number;
  expectedFile?: string;
  /** The expected answers, keyed like the request set, read at input time. */
  expected?: RequestSet;
}

/** Agreement above this needs more compared answers than a step can send (and 100 % never passes). */
const MAX_MIN_AGREEMENT = 0.999;
const MIN_MIN_AGREEMENT = 0.5;

/** The mode `compare` resolves to for a probe protocol; undefined for `none`. */
export function compareModeFor(
  choice: CompareChoice,
  protocol: 'v2' | 'openai' | 'http',
): CompareMode | undefined {
  if (choice === 'none') return undefined;
  if (choice !== 'auto') return choice;
  return protocol === 'v2' ? 'tensor' : protocol === 'openai' ? 'text' : 'json';
}

/** Reads compare, compare-share, tolerance, min-similarity, compare-ignore, expected-outputs and min-agreement. */
export function parseAnswers(read: InputReader): AnswerSettings {
  const compare = read.oneOf('compare', COMPARE_CHOICES);
  const minAgreement = read.fraction('min-agreement');
  if (minAgreement < MIN_MIN_AGREEMENT || minAgreement > MAX_MIN_AGREEMENT) {
    read.problem(
      'min-agreement',
      `expected an agreement from ${MIN_MIN_AGREEMENT * 100}% to ${MAX_MIN_AGREEMENT * 100}% (100% can never be shown); got '${read.text('min-agreement')}'`,
    );
  }
  const ignorePaths = read.items('compare-ignore', true);
  for (const path of ignorePaths) {
    if (!path.startsWith('/')) {
      read.problem('compare-ignore', `expected JSON Pointers such as /id or /created; got '${path}'`);
    }
  }
  if (ignorePaths.length > 0 && compare !== 'json' && compare !== 'auto') {
    read.problem('compare-ignore', `is only used with compare json (compare is ${compare})`);
  }
  const expectedText = read.optional('expected-outputs');
  const expectedFile =
    expectedText === undefined ? undefined : read.repositoryPath('expected-outputs', expectedText);
  if (expectedFile !== undefined && compare === 'none') {
    read.problem('expected-outputs', 'needs a comparison; compare is none');
  }
  const expected =
    expectedFile === undefined
      ? undefined
      : read.keyedSet('expected-outputs', expectedFile, { expectedAnswers: true, rawSingleFile: false });
  return withoutUndefined<AnswerSettings>({
    compare,
    compareShare: read.fraction('compare-share'),
    tolerance: read.decimal('tolerance', 0, 1, 'a relative difference') ?? 1e-3,
    minSimilarity: read.decimal('min-similarity', 0, 1, 'a similarity') ?? 0.9,
    ignorePaths,
    minAgreement,
    expectedFile,
    expected,
  });
}
