/**
 * The open-loop load generator. Requests leave on a schedule fixed in advance (constant or
 * Poisson arrivals) whatever the server does, and each latency is timed from the request's
 * *intended* send time, so a server that stalls is charged for every request it held up
 * (coordinated omission corrected, as wrk2 does). Arms (canary, stable) alternate on one
 * schedule so both see the same conditions.
 *
 * The schedule (`arrivalOffsets`), the accounting (`LoadAccounting`) and the loop (`runLoad`) take
 * a `LoadClock` and a `SendRequest` and do no I/O of their own, so unit tests drive them with a
 * fake clock; `measureLoad` (bottom) is the adapter that adds the real clock and watches the
 * generator's own event loop.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { quantileOfSorted } from '../stats/quantiles.ts';
import { xoshiro128 } from '../stats/random.ts';
import { encodeRequest, type RequestToEncode } from './http1.ts';
import type { ArmObservations } from '../checks/arm.ts';
import type { ExchangeHandler, KeepAlivePool } from './keep-alive-pool.ts';

const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

/** Time in nanoseconds (a float: exact to well beyond a day) and a way to wait for a moment. */
export interface LoadClock {
  now(): number;
  sleepUntil(ns: number): Promise<void>;
  /**
   * Keeps the event loop from sleeping until the returned release is called, so reads that arrive
   * meanwhile are stamped without a wake-up's delay (optional: a fake clock has nothing to wake).
   */
  stayAwake?(): () => void;
  /** Releases what the clock holds (a timer thread); it may be used again afterwards. */
  close?(): Promise<void>;
}

/**
 * `constant`: evenly spaced; `poisson`: exponential gaps at the same mean rate (seeded);
 * `max`: closed loop, every in-flight slot sends again as soon as it is free (throughput only:
 * latencies are then timed from the actual send, which hides stalls).
 */
export type Arrivals = 'constant' | 'poisson' | 'max';

/**
 * What the sender saw of a streamed response's tokens (ProbeRequest.stream). Times are of the
 * reads that completed each event: events that arrive in one read share its time.
 */
export interface StreamTiming {
  /** When the first event carrying generated text arrived; absent when none did. */
  firstTokenNs?: number;
  /** Events carrying generated text. */
  contentEvents: number;
  /**
   * Output tokens: the server's usage.completion_tokens when it sent one (stream_options
   * include_usage), else the events carrying text. An event may carry several tokens, so without
   * the server's count this is a lower bound and the time per output token an upper bound.
   */
  tokens: number;
  /** Whether `tokens` is the server's own count. */
  tokensFromUsage: boolean;
  /** Time between successive events carrying text, ms (contentEvents − 1 of them). */
  gapsMs: number[];
}

/** How one request ended, as the sender saw it. */
export type SendOutcome =
  | {
      kind: 'response';
      status: number;
      /** When the response ended (its last byte); the latency runs to it. */
      doneNs?: number;
      /** The tokens of a streamed response. */
      stream?: StreamTiming;
    }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

/**
 * Sends request `index` to arm `arm` and calls `done` once with how it ended (failures are
 * outcomes). A callback rather than a promise: at the generator's top rates the promise chain
 * per request cost more than the HTTP exchange's own JavaScript.
 */
export type SendRequest = (arm: number, index: number, done: (outcome: SendOutcome) => void) => void;

export interface LoadOptions {
  /** Number of arms sharing the schedule; request i goes to arm i mod arms. */
  arms: number;
  ratePerSecond: number;
  arrivals: Arrivals;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on requests sent, warm-up included. */
  maxRequests: number;
  /** Requests in flight per arm at most; a request due while its arm is at the cap is dropped and counted. */
  maxInFlight: number;
  /** Seed of the Poisson gaps. */
  seed?: number;
  /**
   * Called after every finished request; returning true stops sending (early stopping). Requests
   * already in flight are still awaited and counted.
   */
  shouldStop?: (accounting: LoadAccounting) => boolean;
}

/** Intended send times, in ns after the start, of requests 0, 1, 2, … (open loop only). */
export function* arrivalOffsets(
  ratePerSecond: number,
  arrivals: Exclude<Arrivals, 'max'>,
  seed = 1,
): Generator<number> {
  if (!(ratePerSecond > 0)) throw new RangeError(`rate must be positive; got ${ratePerSecond}`);
  const meanGapNs = NS_PER_S / ratePerSecond;
  if (arrivals === 'constant') {
    // Multiplying rather than summing keeps float error from drifting the schedule.
    for (let index = 0; ; index++) yield index * meanGapNs;
  }
  // Seeded: the same seed gives the same Poisson schedule.
  const uniform = xoshiro128(seed);
  let offset = 0;
  for (;;) {
    yield offset;
    // 1 - u lies in (0, 1], so the logarithm is finite.
    offset += -Math.log(1 - uniform()) * meanGapNs;
  }
}

export type ErrorKind = 'http' | 'timeout' | 'network' | 'dropped';

/** What one arm saw during the measurement window (warm-up excluded). */
export interface ArmCounts {
  /** Requests due in the window: sent or dropped. */
  attempted: number;
  ok: number;
  errors: Record<ErrorKind, number>;
  /** HTTP status → count, for the non-2xx answers. */
  statuses: Record<number, number>;
}

/**
 * The token timings of one arm's streamed 2xx responses (docs/load.md, "LLM streams"). TTFT runs
 * from the intended send time, as latencies do; the rest run from the first token.
 */
export interface StreamSamples {
  /** Streamed 2xx responses, and those of them that carried no generated text at all. */
  streams: number;
  withoutToken: number;
  /** Responses whose token count was the server's usage.completion_tokens. */
  tokensFromUsage: number;
  /** Time to first token, ms, per response with a token. */
  ttftMs: number[];
  /** Time per output token, (end − first token) / (tokens − 1), ms, per response with ≥ 2 tokens. */
  tpotMs: number[];
  /** Output tokens per second after the first, (tokens − 1) / (end − first token), same responses. */
  outputTokensPerSecond: number[];
  /** Every gap between successive events carrying text, ms. */
  interTokenGapsMs: number[];
}

/** One arm's samples: latency (ms, from the intended send time) of each 2xx, and its request index. */
export interface ArmSamples {
  latenciesMs: number[];
  indices: number[];
  stream: StreamSamples;
}

function emptyStreamSamples(): StreamSamples {
  return {
    streams: 0,
    withoutToken: 0,
    tokensFromUsage: 0,
    ttftMs: [],
    tpotMs: [],
    outputTokensPerSecond: [],
    interTokenGapsMs: [],
  };
}

/** Adds one streamed response's token timings to an arm's (`endNs` is when the response ended). */
function recordStream(into: StreamSamples, timing: StreamTiming, intendedNs: number, endNs: number): void {
  into.streams++;
  if (timing.tokensFromUsage) into.tokensFromUsage++;
  if (timing.firstTokenNs === undefined) {
    into.withoutToken++;
    return;
  }
  into.ttftMs.push((timing.firstTokenNs - intendedNs) / NS_PER_MS);
  for (const gap of timing.gapsMs) into.interTokenGapsMs.push(gap);
  const decodeNs = endNs - timing.firstTokenNs;
  // A response whose tokens and end came in one read has no measurable time per token.
  if (timing.tokens >= 2 && decodeNs > 0) {
    into.tpotMs.push(decodeNs / NS_PER_MS / (timing.tokens - 1));
    into.outputTokensPerSecond.push((timing.tokens - 1) / (decodeNs / NS_PER_S));
  }
}

/** Appends `from`'s stream samples to `into`'s. */
function includeStream(into: StreamSamples, from: StreamSamples): void {
  into.streams += from.streams;
  into.withoutToken += from.withoutToken;
  into.tokensFromUsage += from.tokensFromUsage;
  into.ttftMs.push(...from.ttftMs);
  into.tpotMs.push(...from.tpotMs);
  into.outputTokensPerSecond.push(...from.outputTokensPerSecond);
  into.interTokenGapsMs.push(...from.interTokenGapsMs);
}

function emptyCounts(): ArmCounts {
  return { attempted: 0, ok: 0, errors: { http: 0, timeout: 0, network: 0, dropped: 0 }, statuses: {} };
}

/**
 * Counts and samples per arm, split into warm-up (discarded) and measurement, plus how late the
 * generator sent each request (its own health).
 */
export class LoadAccounting {
  readonly arms: number;
  readonly measured: ArmCounts[];
  readonly warmup: ArmCounts[];
  readonly samples: ArmSamples[];
  /** Send time minus intended time (ms) of every request sent in the window. */
  readonly schedulingLagMs: number[] = [];
  private readonly measureFromNs: number;

  constructor(arms: number, measureFromNs: number) {
    this.arms = arms;
    this.measureFromNs = measureFromNs;
    this.measured = Array.from({ length: arms }, emptyCounts);
    this.warmup = Array.from({ length: arms }, emptyCounts);
    this.samples = Array.from({ length: arms }, () => ({
      latenciesMs: [],
      indices: [],
      stream: emptyStreamSamples(),
    }));
  }

  private countsFor(arm: number, intendedNs: number): ArmCounts {
    return (intendedNs < this.measureFromNs ? this.warmup : this.measured)[arm]!;
  }

  /** A request was due while the in-flight cap was reached: never sent, counted as an error. */
  dropped(arm: number, intendedNs: number): void {
    const counts = this.countsFor(arm, intendedNs);
    counts.attempted++;
    counts.errors.dropped++;
  }

  /** `sentNs` is left out by a closed loop (max arrivals): it has no schedule to be late for. */
  sent(arm: number, intendedNs: number, sentNs?: number): void {
    const counts = this.countsFor(arm, intendedNs);
    counts.attempted++;
    if (sentNs !== undefined && counts !== this.warmup[arm]) {
      this.schedulingLagMs.push((sentNs - intendedNs) / NS_PER_MS);
    }
  }

  finished(arm: number, index: number, intendedNs: number, outcome: SendOutcome, nowNs: number): void {
    const counts = this.countsFor(arm, intendedNs);
    if (outcome.kind === 'timeout') counts.errors.timeout++;
    else if (outcome.kind === 'network') counts.errors.network++;
    else if (outcome.status < 200 || outcome.status > 299) {
      counts.errors.http++;
      counts.statuses[outcome.status] = (counts.statuses[outcome.status] ?? 0) + 1;
    } else {
      counts.ok++;
      if (counts === this.measured[arm]) {
        const samples = this.samples[arm]!;
        const endNs = outcome.doneNs ?? nowNs;
        samples.latenciesMs.push((endNs - intendedNs) / NS_PER_MS);
        samples.indices.push(index);
        if (outcome.stream !== undefined) recordStream(samples.stream, outcome.stream, intendedNs, endNs);
      }
    }
  }

  /** Adds another window's measurement of the same arms (an extension) to this one. */
  include(other: LoadAccounting): void {
    other.measured.forEach((counts, arm) => {
      const into = this.measured[arm]!;
      into.attempted += counts.attempted;
      into.ok += counts.ok;
      for (const kind of Object.keys(counts.errors) as ErrorKind[]) into.errors[kind] += counts.errors[kind];
      for (const [status, count] of Object.entries(counts.statuses)) {
        into.statuses[Number(status)] = (into.statuses[Number(status)] ?? 0) + count;
      }
      this.samples[arm]!.latenciesMs.push(...other.samples[arm]!.latenciesMs);
      this.samples[arm]!.indices.push(...other.samples[arm]!.indices);
      includeStream(this.samples[arm]!.stream, other.samples[arm]!.stream);
    });
    this.schedulingLagMs.push(...other.schedulingLagMs);
  }

  /**
   * What the checks see of one arm: finished requests only (in-flight ones have no outcome yet),
   * and the token timings when the probe streams (`streamed`).
   */
  observations(arm: number, streamed: boolean): ArmObservations {
    const counts = this.measured[arm]!;
    const { http, timeout, network, dropped } = counts.errors;
    const errors = http + timeout + network + dropped;
    const samples = this.samples[arm]!;
    return {
      latenciesMs: samples.latenciesMs,
      errors,
      requests: counts.ok + errors,
      ...(streamed ? { stream: samples.stream } : {}),
    };
  }

  /** Measured 2xx samples of the arm with the fewest (what an early-stopping look can use). */
  minSamples(): number {
    return Math.min(...this.samples.map((s) => s.latenciesMs.length));
  }
}

/**
 * Runs the schedule: sends each request at its intended time through `send`, drops (and counts)
 * requests due while `maxInFlight` are outstanding, stops at the end of warm-up + duration, after
 * `maxRequests`, or when `shouldStop` says so, then waits for what is in flight.
 */
export async function runLoad(
  options: LoadOptions,
  send: SendRequest,
  clock: LoadClock,
): Promise<LoadAccounting> {
  if (!Number.isInteger(options.arms) || options.arms < 1) throw new RangeError('arms must be ≥ 1');
  if (!(options.maxInFlight >= 1)) throw new RangeError('maxInFlight must be ≥ 1');
  const startNs = clock.now();
  const warmupNs = options.warmupMs * NS_PER_MS;
  const endNs = startNs + warmupNs + options.durationMs * NS_PER_MS;
  const accounting = new LoadAccounting(options.arms, startNs + warmupNs);
  // Per arm, so a slow canary holding its slots never costs stable a request.
  const inFlightByArm = new Array<number>(options.arms).fill(0);
  let inFlight = 0;
  let allSettled: (() => void) | undefined;
  let stopRequested = false;
  /** In a closed loop (max arrivals), what a finished request's slot does next. */
  let refill: (() => void) | undefined;

  const dispatch = (index: number, intendedNs: number, sentNs: number | undefined): void => {
    const arm = index % options.arms;
    inFlightByArm[arm]!++;
    inFlight++;
    accounting.sent(arm, intendedNs, sentNs);
    let settled = false;
    let sending = true;
    const settle = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      accounting.finished(
        arm,
        index,
        intendedNs,
        outcome,
        outcome.kind === 'response' && outcome.doneNs !== undefined ? outcome.doneNs : clock.now(),
      );
      inFlightByArm[arm]!--;
      inFlight--;
      if (!stopRequested && options.shouldStop?.(accounting)) stopRequested = true;
      refill?.();
      if (inFlight === 0) allSettled?.();
    };
    // An answer given during the call itself waits for the next turn, so a sender that fails at
    // once cannot recurse through refill without bound.
    const done = (outcome: SendOutcome): void => {
      if (sending) setImmediate(settle, outcome);
      else settle(outcome);
    };
    try {
      send(arm, index, done);
    } catch (error) {
      done({ kind: 'network', message: String(error) });
    }
    sending = false;
  };
  const settledAll = (): Promise<void> =>
    inFlight === 0 ? Promise.resolve() : new Promise((resolve) => (allSettled = resolve));

  if (options.arrivals === 'max') {
    let next = 0;
    // One clock reading per request: a closed loop sends at the moment it means to.
    refill = () => {
      const nowNs = clock.now();
      if (!stopRequested && next < options.maxRequests && nowNs < endNs) dispatch(next++, nowNs, undefined);
    };
    for (let slot = 0; slot < options.maxInFlight * options.arms; slot++) refill();
    await settledAll();
    return accounting;
  }

  const offsets = arrivalOffsets(options.ratePerSecond, options.arrivals, options.seed);
  for (let index = 0; index < options.maxRequests && !stopRequested; index++) {
    const intendedNs = startNs + offsets.next().value!;
    if (intendedNs >= endNs) break;
    if (clock.now() < intendedNs) await clock.sleepUntil(intendedNs);
    if (stopRequested) break;
    const arm = index % options.arms;
    if (inFlightByArm[arm]! >= options.maxInFlight) accounting.dropped(arm, intendedNs);
    else dispatch(index, intendedNs, clock.now());
  }
  await settledAll();
  return accounting;
}

/**
 * The timer thread: waits on a shared word with a sub-millisecond timeout (Atomics.wait, a futex)
 * until the target time the main thread wrote, then posts the generation it served. A worker,
 * because the event loop's own timers have millisecond steps.
 */
const TIMER_THREAD = `
  const { workerData, parentPort } = require('node:worker_threads');
  const generation = new Int32Array(workerData.generation);
  const target = new Float64Array(workerData.target);
  const now = () => Number(process.hrtime.bigint());
  let served = 0;
  for (;;) {
    Atomics.wait(generation, 0, served);
    let current = Atomics.load(generation, 0);
    for (let left = (target[0] - now()) / 1e6; left > 0; left = (target[0] - now()) / 1e6) {
      Atomics.wait(generation, 0, current, left);
      current = Atomics.load(generation, 0);
    }
    served = current;
    parentPort.postMessage(current);
  }`;

/**
 * How long one turn of the spin holds the event loop in a busy wait before it yields to I/O. A
 * bare setImmediate turn lasts a few µs and leaves an Immediate behind: spinning that way made
 * ~20 scavenges a second at 200 req/s, and 83–91 % of the sends late by over 0.25 ms were late
 * behind one (send lateness p99 0.39–0.47 ms; with 20 µs turns 0.01–0.06 ms, a tenth of the
 * scavenges). I/O that arrives meanwhile waits at most this long.
 */
const SPIN_TURN_NS = 20_000;

/**
 * The real clock, in ns on process.hrtime's scale. A timer thread wakes the event loop `spinMs`
 * before the moment (the loop sleeps, so a busy machine's scheduler favours it on wake-up), then
 * the loop spins in turns of SPIN_TURN_NS, serving I/O between them, so requests leave within
 * microseconds of their intended time. `stayAwake()` keeps it spinning for as long as it is held:
 * a read whose arrival is the measurement (a stream's tokens) is otherwise stamped when a sleeping
 * loop has woken, late by up to 0.5 ms at p99 on a 2-core VM (TTFT error per answer p99 0.68–0.82
 * ms asleep, 0.12–0.24 ms awake; bench/suites/load.ts token set-up). `close()` stops the thread; a
 * later sleep starts it again.
 *
 * Why 1 ms: on a 2-core VM the wake-up itself was late by more than 0.3 ms often enough to be the
 * generator's p99 error (send lateness p99 0.9–1.6 ms with 0.3 ms, 0.18–0.25 ms with 1 ms; p99
 * error 1.4–2.4 ms against 0.4–0.6 ms; bench/suites/load.ts accuracy set-up). The price is CPU:
 * at 20 req/s the loop spins 2 % of the time, from 1,000 req/s on it spins all the time, and
 * while any stream is in flight it spins too.
 */
export function hrtimeClock(spinMs = 1): Required<LoadClock> {
  // performance.now() reads hrtime's clock without a BigInt per reading (the spin reads it
  // thousands of times a millisecond); the offset puts it on hrtime's scale, which the timer
  // thread reads.
  const offsetNs = Number(process.hrtime.bigint()) - performance.now() * NS_PER_MS;
  const now = (): number => performance.now() * NS_PER_MS + offsetNs;
  const generation = new Int32Array(new SharedArrayBuffer(4));
  const target = new Float64Array(new SharedArrayBuffer(8));
  let thread: Worker | undefined;
  let waiting: { generation: number; wake: () => void } | undefined;
  /** The sleep the spin serves; `early` when it ends before its moment so the loop may sleep again. */
  let due: { ns: number; end: (early: boolean) => void } | undefined;
  let holds = 0;
  let spinning = false;

  const timerThread = (): Worker => {
    if (thread === undefined) {
      thread = new Worker(TIMER_THREAD, {
        eval: true,
        workerData: { generation: generation.buffer, target: target.buffer },
      });
      thread.on('message', (served: number) => {
        if (waiting !== undefined && served >= waiting.generation) {
          const { wake } = waiting;
          waiting = undefined;
          wake();
        }
      });
    }
    return thread;
  };

  const sleepOnThread = async (wakeAt: number): Promise<void> => {
    const worker = timerThread();
    waiting?.wake();
    target[0] = wakeAt;
    const next = Atomics.add(generation, 0, 1) + 1;
    Atomics.notify(generation, 0);
    worker.ref();
    await new Promise<void>((wake) => (waiting = { generation: next, wake }));
    // Idle between sleeps, the thread must not keep a finished process alive.
    worker.unref();
  };

  const endDue = (early: boolean): void => {
    const ending = due!;
    due = undefined;
    ending.end(early);
  };

  const spinTurn = (): void => {
    const until = Math.min(due?.ns ?? Infinity, now() + SPIN_TURN_NS);
    while (now() < until);
    if (due !== undefined && now() >= due.ns) endDue(false);
    // The last hold went while the sleep is still far off: back to the timer thread.
    else if (due !== undefined && holds === 0 && due.ns - now() > spinMs * NS_PER_MS) endDue(true);
    if (due === undefined && holds === 0) spinning = false;
    else setImmediate(spinTurn);
  };

  const spin = (): void => {
    if (spinning) return;
    spinning = true;
    setImmediate(spinTurn);
  };

  return {
    now,
    async sleepUntil(ns: number): Promise<void> {
      for (;;) {
        const wakeAt = ns - spinMs * NS_PER_MS;
        if (holds === 0 && wakeAt > now()) await sleepOnThread(wakeAt);
        if (now() >= ns) return;
        const early = await new Promise<boolean>((end) => {
          if (due !== undefined) endDue(false);
          due = { ns, end };
          spin();
        });
        if (!early) return;
      }
    },
    stayAwake(): () => void {
      holds++;
      spin();
      let held = true;
      return () => {
        if (held) holds--;
        held = false;
      };
    },
    async close(): Promise<void> {
      const stopping = thread;
      thread = undefined;
      waiting?.wake();
      waiting = undefined;
      if (stopping !== undefined) await stopping.terminate();
    },
  };
}

/** How the generator itself fared; `bottleneck` is true when its lateness, not the server, may show. */
export interface GeneratorHealth {
  schedulingLagP50Ms: number;
  schedulingLagP99Ms: number;
  schedulingLagMaxMs: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  bottleneck: boolean;
  reason?: string;
}

/** Lateness (p99) beyond which the generator, not the server, may be what the latencies show. */
export const GENERATOR_LAG_LIMIT_MS = 5;

/** Judges the generator's own health from its scheduling lag and event-loop delay (pure). */
export function generatorHealth(
  schedulingLagMs: readonly number[],
  eventLoop: { p99Ms: number; maxMs: number },
  limitMs = GENERATOR_LAG_LIMIT_MS,
): GeneratorHealth {
  const lag = [...schedulingLagMs].sort((a, b) => a - b);
  const lagP99 = lag.length === 0 ? 0 : quantileOfSorted(lag, 0.99);
  const health: GeneratorHealth = {
    schedulingLagP50Ms: lag.length === 0 ? 0 : quantileOfSorted(lag, 0.5),
    schedulingLagP99Ms: lagP99,
    schedulingLagMaxMs: lag.length === 0 ? 0 : lag[lag.length - 1]!,
    eventLoopDelayP99Ms: eventLoop.p99Ms,
    eventLoopDelayMaxMs: eventLoop.maxMs,
    bottleneck: false,
  };
  if (lagP99 > limitMs) {
    return {
      ...health,
      bottleneck: true,
      reason: `the load generator sent its requests late (p99 ${lagP99.toFixed(1)} ms > ${limitMs} ms): latencies include its own delay`,
    };
  }
  if (eventLoop.p99Ms > limitMs) {
    return {
      ...health,
      bottleneck: true,
      reason: `the load generator's event loop was blocked (p99 ${eventLoop.p99Ms.toFixed(1)} ms > ${limitMs} ms): latencies include its own delay`,
    };
  }
  return health;
}

export interface LoadRun {
  accounting: LoadAccounting;
  health: GeneratorHealth;
  elapsedMs: number;
}

const LOOP_SAMPLE_MS = 1;

/** Runs the load on the real clock and reports the generator's own health beside the results. */
export async function measureLoad(
  options: LoadOptions,
  send: SendRequest,
  clock = hrtimeClock(),
): Promise<LoadRun> {
  // The histogram records, in ns, the interval between ticks of a timer of this period (ms), so
  // the delay is what exceeds the period.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  loopDelay.enable();
  const startNs = clock.now();
  try {
    const accounting = await runLoad(options, send, clock);
    loopDelay.disable();
    const beyondPeriod = (ns: number): number => Math.max(0, ns / NS_PER_MS - LOOP_SAMPLE_MS);
    const eventLoop = {
      p99Ms: loopDelay.count > 0 ? beyondPeriod(loopDelay.percentile(99)) : 0,
      maxMs: loopDelay.count > 0 ? beyondPeriod(loopDelay.max) : 0,
    };
    return {
      accounting,
      health: generatorHealth(accounting.schedulingLagMs, eventLoop),
      elapsedMs: (clock.now() - startNs) / NS_PER_MS,
    };
  } finally {
    loopDelay.disable();
    await clock.close?.();
  }
}

/** One arm's way in: a keep-alive pool, the path prefix before the probe path, and fixed headers. */
export interface ArmEndpoint {
  pool: KeepAlivePool;
  pathPrefix: string;
  headers: Record<string, string>;
}

/** Reads a streamed response's events as they arrive (protocols.ts provides one per protocol). */
export interface TokenStreamScanner {
  /** Feeds the next body bytes, split anywhere; returns how many events carrying generated text they completed. */
  push(chunk: Uint8Array): number;
  /** The server's own count of output tokens, when the stream carried one so far. */
  readonly reportedTokens: number | undefined;
}

/** What to send for one request of the set: built once by a protocol, the same for every arm. */
export interface ProbeRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** For streams: a scanner per request, so the tokens are timed as they arrive. */
  stream?: () => TokenStreamScanner;
}

/** Which answers the sender reads whole, and where it hands them (the compared requests only). */
export interface AnswerCapture {
  /** True when pair `pair`'s answers are read (pair j is request j·arms … j·arms + arms − 1). */
  wanted(pair: number): boolean;
  /** A wanted request's 2xx answer, cut at `maxBytes`. */
  take(arm: number, pair: number, body: string): void;
  maxBytes: number;
}

export interface HttpSenderOptions {
  timeoutMs: number;
  clock: LoadClock;
  /** When set, each request carries its index in this header (lets a server match its own timings). */
  sequenceHeader?: string;
  /** When set, the answers of the pairs it wants are read and handed to it. */
  answers?: AnswerCapture;
}

/**
 * Sends the probes as bytes encoded once per arm and request (only the sequence header, when asked
 * for, makes each send differ). Every arm gets the same requests in the same order: request i goes
 * to arm i mod arms and is `requests[⌊i / arms⌋ mod requests.length]`, so each pair of sends is the
 * same request to every arm. The latency ends when the body has been read; a stream's events are
 * timed as they arrive as well. Bodies are kept only for the pairs `answers` wants, so the fast
 * path reads framing alone.
 */
export function httpSender(
  endpoints: readonly ArmEndpoint[],
  requests: readonly ProbeRequest[],
  options: HttpSenderOptions,
): SendRequest {
  if (requests.length === 0) throw new RangeError('httpSender needs at least one request');
  const { clock, sequenceHeader, timeoutMs, answers } = options;
  const arms = endpoints.map((endpoint) => ({
    pool: endpoint.pool,
    encoded: requests.map((probe) => {
      const request: RequestToEncode = {
        method: probe.method,
        path: endpoint.pathPrefix + probe.path,
        host: endpoint.pool.host,
        headers: { ...probe.headers, ...endpoint.headers },
        ...(probe.body !== undefined ? { body: probe.body } : {}),
      };
      return { request, bytes: encodeRequest(request) };
    }),
  }));
  const requestBytes = (arm: number, which: number, index: number): Buffer => {
    const { request, bytes } = arms[arm]!.encoded[which]!;
    return sequenceHeader === undefined
      ? bytes
      : encodeRequest({ ...request, headers: { ...request.headers, [sequenceHeader]: String(index) } });
  };
  return (arm, index, done) => {
    const pair = Math.floor(index / arms.length);
    const which = pair % requests.length;
    const probe = requests[which]!;
    const scanner = probe.stream?.();
    const timing: StreamTiming | undefined =
      scanner === undefined ? undefined : { contentEvents: 0, tokens: 0, tokensFromUsage: false, gapsMs: [] };
    let lastTokenNs = 0;
    const kept: Buffer[] | undefined = answers?.wanted(pair) === true ? [] : undefined;
    let keptBytes = 0;
    // A stream's tokens are timed as they arrive, so the loop stays awake until it ends.
    const release = scanner === undefined ? undefined : clock.stayAwake?.();
    const handler: ExchangeHandler = {
      end: (status) => {
        const doneNs = clock.now();
        release?.();
        if (kept !== undefined && status >= 200 && status <= 299) {
          answers!.take(arm, pair, Buffer.concat(kept).toString('utf8'));
        }
        if (timing === undefined) {
          done({ kind: 'response', status, doneNs });
          return;
        }
        const reported = scanner!.reportedTokens;
        // The server's count when it gave one; an event may carry several tokens, so counting
        // events is the fallback (docs/load.md).
        timing.tokensFromUsage = reported !== undefined;
        timing.tokens = reported ?? timing.contentEvents;
        done({ kind: 'response', status, doneNs, stream: timing });
      },
      fail: (kind, message) => {
        release?.();
        done(kind === 'timeout' ? { kind } : { kind, message });
      },
    };
    const keep = (chunk: Buffer): void => {
      if (kept === undefined || keptBytes >= answers!.maxBytes) return;
      const part = chunk.subarray(0, answers!.maxBytes - keptBytes);
      kept.push(Buffer.from(part));
      keptBytes += part.length;
    };
    if (scanner !== undefined && timing !== undefined) {
      handler.body = (chunk) => {
        keep(chunk);
        const events = scanner.push(chunk);
        if (events === 0) return;
        const nowNs = clock.now();
        if (timing.firstTokenNs === undefined) timing.firstTokenNs = nowNs;
        else timing.gapsMs.push((nowNs - lastTokenNs) / NS_PER_MS);
        // Further events in the same read arrived together with it.
        for (let more = 1; more < events; more++) timing.gapsMs.push(0);
        timing.contentEvents += events;
        lastTokenNs = nowNs;
      };
    } else if (kept !== undefined) handler.body = keep;
    arms[arm]!.pool.send(requestBytes(arm, which, index), handler, timeoutMs);
  };
}
