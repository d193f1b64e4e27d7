/**
 * One arm of a step as the checks see it: its raw observations, its successful latencies (and,
 * for streams, times to first token and per output token) on the log scale (sorted, or summarized
 * above EXACT_SAMPLE_LIMIT) once per look, and the figures the report shows. An arm whose numbers cannot be measurements is refused with `InvalidSample`.
 */
import {
  latencyPercentilesOfSample,
  logQuantileOfSample,
  sortedLogSample,
  type LatencyPercentiles,
  type SortedLogSample,
} from '../stats/latency-percentiles.ts';
import type { Memo } from '../stats/memo.ts';

/** Which arm of a step: the new version or the one it would replace. */
export type ArmName = 'canary' | 'stable';

/**
 * The token timings of one arm's streamed answers (docs/load.md, "LLM streams"), each in any
 * order. TTFT runs from the request's intended send time, TPOT from its first token.
 */
export interface StreamObservations {
  /** Streamed 2xx answers. */
  streams: number;
  /** Streamed answers that carried no generated text. */
  withoutToken: number;
  /** Streamed answers whose token count was the server's usage.completion_tokens. */
  tokensFromUsage: number;
  /** Time to first token, ms, of every streamed answer with one. */
  ttftMs: ArrayLike<number>;
  /** Time per output token after the first, ms, of every streamed answer of ≥ 2 tokens. */
  tpotMs: ArrayLike<number>;
  /** Output tokens per second after the first token, of the same answers. */
  outputTokensPerSecond: ArrayLike<number>;
}

/** What one arm saw: latencies of successful requests, and how many requests failed. */
export interface ArmObservations {
  /** Latency in milliseconds of every successful request (to its last byte), in any order. */
  latenciesMs: ArrayLike<number>;
  /** Requests that failed (timeouts, non-2xx, connection errors). */
  errors: number;
  /** Every request sent in the window, successful or not. */
  requests: number;
  /** Present when the arm was probed with streamed OpenAI requests (checks ttft and tpot). */
  stream?: StreamObservations;
}

/** A sample of times as the figures show it: how many, and its percentiles. */
export interface TimeNumbers extends LatencyPercentiles {
  n: number;
}

/** One arm's streamed answers in figures (ArmNumbers.stream). */
export interface StreamNumbers {
  streams: number;
  withoutToken: number;
  tokensFromUsage: number;
  /** Time to first token. */
  ttft: TimeNumbers;
  /** Time per output token after the first. */
  tpot: TimeNumbers;
  /** Output tokens per second after the first token: the median answer's, and how many answers. */
  outputTokensPerSecond: { n: number; p50: number };
}

/** Latency and error figures of one arm over the measured window (warm-up excluded). */
export interface ArmNumbers extends LatencyPercentiles {
  /** Successful requests whose latencies the percentiles are taken from. */
  n: number;
  /** Requests sent in the measured window. */
  requests: number;
  /** Requests that failed (HTTP error, timeout, network error, dropped). */
  errors: number;
  /** errors / requests, 0 to 1. */
  errorRate: number;
  /** The streamed answers' token timings, when the arm was probed with streams. */
  stream?: StreamNumbers;
}

/** Times on the log scale (sorted, or summarized) with the percentiles the checks quote. */
export interface TimeSample {
  logs: SortedLogSample;
  numbers: LatencyPercentiles;
}

/** An arm prepared once per look for every check. */
export interface ArmSample {
  observations: ArmObservations;
  /** Log latencies of the successful requests, ascending (exact or summarized). */
  logs: SortedLogSample;
  numbers: ArmNumbers;
  /** Time to first token and time per output token, when the arm was probed with streams. */
  stream?: { ttft: TimeSample; tpot: TimeSample };
}

/** An arm's observations are not measurements: a latency or a count the judge cannot use. */
export class InvalidSample extends Error {
  readonly arm: ArmName;

  constructor(arm: ArmName, message: string) {
    super(`${arm} arm: ${message}`);
    this.name = 'InvalidSample';
    this.arm = arm;
  }
}

/** Throws InvalidSample unless every time is a finite number ≥ 0 and the counts are whole and consistent. */
export function validateObservations(
  arm: ArmName,
  { latenciesMs, errors, requests, stream }: ArmObservations,
): void {
  const counts = [
    ['errors', errors],
    ['requests', requests],
    ...(stream === undefined
      ? []
      : ([
          ['streams', stream.streams],
          ['streams without a token', stream.withoutToken],
          ['streams counted by usage', stream.tokensFromUsage],
        ] as const)),
  ] as const;
  for (const [name, count] of counts) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvalidSample(arm, `${name} is ${count}; it must be a whole number ≥ 0`);
    }
  }
  if (errors > requests) {
    throw new InvalidSample(arm, `errors (${errors}) exceed requests (${requests})`);
  }
  const msRule = (what: string) => `${what} must be finite numbers of milliseconds ≥ 0`;
  const series: (readonly [name: string, values: ArrayLike<number>, unit: string, rule: string])[] = [
    ['latency', latenciesMs, 'ms', msRule('latencies')],
    ...(stream === undefined
      ? []
      : ([
          ['TTFT', stream.ttftMs, 'ms', msRule('times to first token')],
          ['TPOT', stream.tpotMs, 'ms', msRule('times per output token')],
          [
            'output tokens/s',
            stream.outputTokensPerSecond,
            'tokens/s',
            'output rates must be finite numbers of tokens per second ≥ 0',
          ],
        ] as const)),
  ];
  for (const [name, values, unit, rule] of series) {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      // Written so NaN fails too: a NaN compares false with everything.
      if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
        throw new InvalidSample(arm, `${name} #${i} is ${value} ${unit}; ${rule}`);
      }
    }
  }
}

/** A sample of times on the log scale, with its percentiles. */
function timeSample(timesMs: ArrayLike<number>, memo: Memo): TimeSample {
  const logs = sortedLogSample(timesMs);
  return { logs, numbers: latencyPercentilesOfSample(logs, memo) };
}

/** Checks an arm's observations, puts its latencies on the log scale and computes its figures. */
export function armSample(arm: ArmName, observations: ArmObservations, memo: Memo): ArmSample {
  validateObservations(arm, observations);
  const { latenciesMs, errors, requests, stream } = observations;
  const logs = sortedLogSample(latenciesMs);
  const numbers: ArmNumbers = {
    n: logs.n,
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : 0,
    ...latencyPercentilesOfSample(logs, memo),
  };
  if (stream === undefined) return { observations, logs, numbers };
  const ttft = timeSample(stream.ttftMs, memo);
  const tpot = timeSample(stream.tpotMs, memo);
  // The rates are positive like times, so the same estimator gives their median.
  const rates = sortedLogSample(stream.outputTokensPerSecond);
  numbers.stream = {
    streams: stream.streams,
    withoutToken: stream.withoutToken,
    tokensFromUsage: stream.tokensFromUsage,
    ttft: { n: ttft.logs.n, ...ttft.numbers },
    tpot: { n: tpot.logs.n, ...tpot.numbers },
    outputTokensPerSecond: { n: rates.n, p50: Math.exp(logQuantileOfSample(rates, 0.5, memo)) },
  };
  return { observations, logs, numbers, stream: { ttft, tpot } };
}
