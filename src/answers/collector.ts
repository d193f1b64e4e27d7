/**
 * Collects the answers of one step's compared requests as they arrive and tallies them: the
 * canary's against stable's answer to the same pair, and against the expected answer of the
 * request. The analyse stage owns one per step; the load generator hands it bodies. Pure (no I/O).
 */
import type { AnswerEvidence } from '../checks/answers.ts';
import type { CompareRules } from './compare.ts';
import { emptyTally, isComparedPair, tallyAnswer, type AnswerTally } from './pairing.ts';
import type { KeyedEntry } from './request-set.ts';

export interface AnswerCollectorOptions {
  /** The requests in the order the load cycles through them. */
  requests: readonly KeyedEntry[];
  rules: CompareRules;
  /** Arm indices in the load's schedule; `stable` is absent when only the canary is measured. */
  arms: { canary: number; stable?: number };
  /** Compare canary answers with stable's (false: expected answers only). */
  paired: boolean;
  /** Expected answers by request id. */
  expected?: ReadonlyMap<string, string>;
  /** Pairs compared from the start, then `share` of the rest (isComparedPair). */
  firstPairs: number;
  share: number;
  minAgreement: number;
}

/** Tallies a step's compared answers; `evidence()` is what the answers check sees at a look. */
export class AnswerCollector {
  private readonly options: AnswerCollectorOptions;
  private readonly pending = new Map<number, string>();
  private readonly paired: AnswerTally | undefined;
  private readonly expected: AnswerTally | undefined;

  constructor(options: AnswerCollectorOptions) {
    this.options = options;
    this.paired = options.paired && options.arms.stable !== undefined ? emptyTally() : undefined;
    this.expected = options.expected !== undefined && options.expected.size > 0 ? emptyTally() : undefined;
  }

  /** True when pair `pair`'s answers are read and compared. */
  wanted(pair: number): boolean {
    return isComparedPair(pair, this.options.firstPairs, this.options.share);
  }

  /** One arm's successful answer to pair `pair` (a compared one). */
  take(arm: number, pair: number, body: string): void {
    const { requests, rules, arms, expected } = this.options;
    const request = requests[pair % requests.length]!;
    if (arm === arms.canary && this.expected !== undefined) {
      const want = expected!.get(request.id);
      if (want !== undefined) tallyAnswer(this.expected, rules, request, want, body);
    }
    if (this.paired === undefined) return;
    const other = this.pending.get(pair);
    if (other === undefined) {
      this.pending.set(pair, body);
      return;
    }
    this.pending.delete(pair);
    const [reference, candidate] = arm === arms.canary ? [other, body] : [body, other];
    tallyAnswer(this.paired, rules, request, reference, candidate);
  }

  /** A new measurement window starts its pairs from 0 again: answers still waiting are dropped. */
  startWindow(): void {
    this.pending.clear();
  }

  /** The tallies so far, as the answers check reads them. */
  evidence(): AnswerEvidence {
    return {
      minAgreement: this.options.minAgreement,
      ...(this.paired !== undefined
        ? { paired: { ...this.paired, disagreements: [...this.paired.disagreements] } }
        : {}),
      ...(this.expected !== undefined
        ? { expected: { ...this.expected, disagreements: [...this.expected.disagreements] } }
        : {}),
    };
  }
}
