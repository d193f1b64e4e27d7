/**
 * Checks `ttft` and `tpot`: for arms probed with streamed OpenAI requests, is the canary's time to
 * first token, or its time per output token, worse than stable's beyond `max-regression-ttft` /
 * `max-regression-tpot`? The same comparison as the `latency` check (latency-judge.ts, docs/judge.md),
 * on other times of the same answers: a canary whose tokens come slower can keep its first token on
 * time, and the reverse. docs/load.md says how the times are measured.
 *
 * Neither applies without streams on both arms, nor on a first deployment (nothing to compare;
 * the `latency` check asks for enough samples there).
 */
import type { CheckResult, StepEvidence } from './check.ts';
import { compareTimes, type LatencyFigures } from './latency-judge.ts';

export type TtftResult = CheckResult<'ttft', LatencyFigures>;
export type TpotResult = CheckResult<'tpot', LatencyFigures>;

/** The canary's time to first token against stable's, held to max-regression-ttft. */
export function ttftCheck(evidence: StepEvidence): TtftResult | undefined {
  const { canary, stable, gate } = evidence;
  if (canary.stream === undefined || stable?.stream === undefined) return undefined;
  return compareTimes(evidence, {
    name: 'ttft',
    what: 'TTFT',
    input: 'max-regression-ttft',
    maxRegression: gate.maxRegressionTtft,
    canary: canary.stream.ttft,
    stable: stable.stream.ttft,
    samplesAre: 'streamed answers with a first token',
  });
}

/** The canary's time per output token against stable's, held to max-regression-tpot. */
export function tpotCheck(evidence: StepEvidence): TpotResult | undefined {
  const { canary, stable, gate } = evidence;
  if (canary.stream === undefined || stable?.stream === undefined) return undefined;
  return compareTimes(evidence, {
    name: 'tpot',
    what: 'TPOT',
    input: 'max-regression-tpot',
    maxRegression: gate.maxRegressionTpot,
    canary: canary.stream.tpot,
    stable: stable.stream.tpot,
    // One-token answers have no time per output token; a longer max_tokens in probe-payload helps.
    samplesAre: 'streamed answers of 2 tokens or more',
  });
}
