import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeepAlivePool } from '../../../src/load/keep-alive-pool.ts';
import {
  arrivalOffsets,
  generatorHealth,
  hrtimeClock,
  httpSender,
  runLoad,
  type LoadClock,
  type LoadOptions,
  type ProbeRequest,
  type SendOutcome,
  type SendRequest,
  type StreamTiming,
} from '../../../src/load/generator.ts';
import { openAiChatBody, openAiChatRequest, openAiStreamScanner } from '../../../src/load/protocols.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import { DEFAULT_GATE } from '../../support/gate.ts';
import { quantileOfSorted } from '../../../src/stats/quantiles.ts';

const MS = 1e6;

/**
 * A simulated clock: time stands still while code runs and jumps to the next sleeper once every
 * pending job has run, so a 10 s schedule plays out instantly and exactly.
 */
class FakeClock implements LoadClock {
  time = 0;
  private sleepers: { at: number; order: number; wake: () => void }[] = [];
  private order = 0;
  /** Extra lateness added to every wake-up of the scheduler (simulates a busy generator). */
  oversleepNs = 0;

  now(): number {
    return this.time;
  }

  sleepUntil(ns: number): Promise<void> {
    return this.wakeAt(ns + this.oversleepNs);
  }

  /** The simulated server's timer: not subject to the generator's oversleep. */
  wakeAt(ns: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: ns, order: this.order++, wake }));
  }

  async play<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    void work.finally(() => (settled = true));
    for (;;) {
      // Let every ready job run before time moves on: two turns, because work woken in this
      // turn may itself defer a step to the next (runLoad does, for an answer given at once).
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return work;
      this.sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.sleepers.shift();
      if (next === undefined) throw new Error('nothing left to wake and the work has not finished');
      this.time = Math.max(this.time, next.at);
      next.wake();
    }
  }
}

function options(overrides: Partial<LoadOptions>): LoadOptions {
  return {
    arms: 2,
    ratePerSecond: 100,
    arrivals: 'constant',
    warmupMs: 0,
    durationMs: 1000,
    maxRequests: 1_000_000,
    maxInFlight: 1000,
    ...overrides,
  };
}

/** A server that answers 200 after `serviceMs(arm, index, now)`. */
function server(clock: FakeClock, serviceMs: (arm: number, index: number, nowNs: number) => number) {
  const seen: { arm: number; index: number; at: number }[] = [];
  const send: SendRequest = (arm, index, done) => {
    seen.push({ arm, index, at: clock.now() });
    void clock
      .wakeAt(clock.now() + serviceMs(arm, index, clock.now()) * MS)
      .then(() => done({ kind: 'response', status: 200 }));
  };
  return { send, seen };
}

describe('arrivalOffsets', () => {
  it('spaces constant arrivals exactly 1/rate apart, without drift', () => {
    const offsets = arrivalOffsets(1000, 'constant');
    const first = Array.from({ length: 5 }, () => offsets.next().value);
    expect(first).toEqual([0, 1e6, 2e6, 3e6, 4e6]);
    for (let i = 5; i < 1_000_000; i++) offsets.next();
    expect(offsets.next().value).toBe(1e12);
  });

  it('draws Poisson arrivals at the mean rate, increasing, and the same for the same seed', () => {
    const take = (seed: number) => {
      const offsets = arrivalOffsets(200, 'poisson', seed);
      return Array.from({ length: 20_001 }, () => offsets.next().value!);
    };
    const a = take(7);
    expect(take(7)).toEqual(a);
    expect(take(8)).not.toEqual(a);
    const gaps = a.slice(1).map((t, i) => t - a[i]!);
    expect(gaps.every((gap) => gap > 0)).toBe(true);
    const meanGapMs = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length / MS;
    // 20,000 exponential gaps: the mean's standard error is 5 ms / √20000 ≈ 0.035 ms.
    expect(meanGapMs).toBeGreaterThan(4.85);
    expect(meanGapMs).toBeLessThan(5.15);
    // Exponential gaps: the coefficient of variation is 1 (constant arrivals would give 0).
    const variance = gaps.reduce((sum, gap) => sum + (gap / MS - meanGapMs) ** 2, 0) / gaps.length;
    expect(Math.sqrt(variance) / meanGapMs).toBeGreaterThan(0.95);
    expect(Math.sqrt(variance) / meanGapMs).toBeLessThan(1.05);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => arrivalOffsets(0, 'constant').next()).toThrow(RangeError);
  });
});

describe('runLoad on a fake clock', () => {
  it('sends on schedule, alternating arms, and times latency to the response', async () => {
    const clock = new FakeClock();
    const { send, seen } = server(clock, (arm) => (arm === 0 ? 30 : 20));
    const result = await clock.play(runLoad(options({ ratePerSecond: 100, durationMs: 1000 }), send, clock));
    expect(seen).toHaveLength(100);
    expect(seen.slice(0, 4)).toEqual([
      { arm: 0, index: 0, at: 0 },
      { arm: 1, index: 1, at: 10 * MS },
      { arm: 0, index: 2, at: 20 * MS },
      { arm: 1, index: 3, at: 30 * MS },
    ]);
    expect(result.measured.map((c) => c.ok)).toEqual([50, 50]);
    expect(new Set(result.samples[0]!.latenciesMs)).toEqual(new Set([30]));
    expect(new Set(result.samples[1]!.latenciesMs)).toEqual(new Set([20]));
    expect(result.samples[0]!.indices.slice(0, 3)).toEqual([0, 2, 4]);
    expect(Math.max(...result.schedulingLagMs)).toBe(0);
  });

  it('charges a stall to every request it held up (coordinated omission corrected)', async () => {
    const clock = new FakeClock();
    // 1 ms service, except that nothing is answered from t = 1 s until t = 2 s.
    const { send } = server(clock, (_arm, _index, now) =>
      now >= 1000 * MS && now < 2000 * MS ? 2000 - now / MS : 1,
    );
    const result = await clock.play(
      runLoad(options({ arms: 1, ratePerSecond: 100, durationMs: 3000 }), send, clock),
    );
    const latencies = [...result.samples[0]!.latenciesMs].sort((a, b) => a - b);
    expect(latencies).toHaveLength(300);
    // The request due at 1.0 s waits the whole second; the one due at 1.99 s waits 10 ms.
    expect(latencies[latencies.length - 1]).toBe(1000);
    expect(latencies.filter((latency) => latency > 1).length).toBe(100);
    // A closed-loop tool would have sent one request during the stall; here 100 of 300 were due.
    expect(quantileOfSorted(latencies, 0.99)).toBeGreaterThan(970);
    expect(quantileOfSorted(latencies, 0.5)).toBe(1);
  });

  it('discards warm-up requests and stops at the end of warm-up + duration', async () => {
    const clock = new FakeClock();
    const { send, seen } = server(clock, () => 5);
    const result = await clock.play(
      runLoad(options({ ratePerSecond: 10, warmupMs: 1000, durationMs: 2000 }), send, clock),
    );
    expect(seen).toHaveLength(30);
    expect(result.warmup.map((c) => c.ok)).toEqual([5, 5]);
    expect(result.measured.map((c) => c.attempted)).toEqual([10, 10]);
    expect(result.samples.map((s) => s.latenciesMs.length)).toEqual([10, 10]);
    expect(Math.min(...result.samples[0]!.indices)).toBe(10);
  });

  it('drops and counts requests due while the in-flight cap is reached, never delays them', async () => {
    const clock = new FakeClock();
    const { send, seen } = server(clock, () => 5000);
    const result = await clock.play(
      runLoad(options({ arms: 1, ratePerSecond: 10, durationMs: 1000, maxInFlight: 3 }), send, clock),
    );
    expect(seen.map((s) => s.at)).toEqual([0, 100 * MS, 200 * MS]);
    expect(result.measured[0]).toMatchObject({ attempted: 10, ok: 3, errors: { dropped: 7 } });
  });

  it('counts non-2xx, timeouts, network failures and a throwing sender as errors, not samples', async () => {
    const clock = new FakeClock();
    const outcomes: SendOutcome[] = [
      { kind: 'response', status: 503 },
      { kind: 'timeout' },
      { kind: 'network', message: 'ECONNRESET' },
      { kind: 'response', status: 204 },
      { kind: 'response', status: 404 },
    ];
    // Answers during the call itself (as a pool that is closed does), or throws.
    const send: SendRequest = (_arm, index, done) => {
      if (index === 5) throw new Error('boom');
      done(outcomes[index]!);
    };
    const result = await clock.play(
      runLoad(options({ arms: 1, ratePerSecond: 6, durationMs: 1000 }), send, clock),
    );
    expect(result.measured[0]).toEqual({
      attempted: 6,
      ok: 1,
      errors: { http: 2, timeout: 1, network: 2, dropped: 0 },
      statuses: { 503: 1, 404: 1 },
    });
    expect(result.samples[0]!.latenciesMs).toHaveLength(1);
  });

  it('stops at maxRequests, and early when shouldStop says so', async () => {
    const clock = new FakeClock();
    const { send, seen } = server(clock, () => 1);
    await clock.play(runLoad(options({ maxRequests: 7 }), send, clock));
    expect(seen).toHaveLength(7);

    const early = server(clock, () => 1);
    const result = await clock.play(
      runLoad(options({ durationMs: 10_000, shouldStop: (a) => a.minSamples() >= 20 }), early.send, clock),
    );
    expect(result.minSamples()).toBe(20);
    expect(early.seen.length).toBeLessThanOrEqual(41);
  });

  it('records how late the scheduler sent each request', async () => {
    const clock = new FakeClock();
    clock.oversleepNs = 2 * MS;
    const { send } = server(clock, () => 1);
    const result = await clock.play(runLoad(options({ arms: 1, ratePerSecond: 10 }), send, clock));
    // Request 0 is due at the start (no sleep); the rest wake 2 ms late, and that counts as latency.
    expect(result.schedulingLagMs).toEqual([0, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(result.samples[0]!.latenciesMs.slice(0, 3)).toEqual([1, 3, 3]);
  });

  it('in max mode keeps exactly maxInFlight requests outstanding until the time is up', async () => {
    const clock = new FakeClock();
    let outstanding = 0;
    let most = 0;
    const send: SendRequest = (_arm, _index, done) => {
      most = Math.max(most, ++outstanding);
      void clock.wakeAt(clock.now() + 10 * MS).then(() => {
        outstanding--;
        done({ kind: 'response', status: 200 });
      });
    };
    const result = await clock.play(
      runLoad(options({ arms: 1, arrivals: 'max', maxInFlight: 4, durationMs: 1000 }), send, clock),
    );
    expect(most).toBe(4);
    expect(result.measured[0]!.ok).toBe(400);
  });
});

describe('stream accounting', () => {
  it('derives TTFT, time per output token, output tokens/s and the gaps from each streamed answer', async () => {
    const clock = new FakeClock();
    // Arm 0: first token 40 ms after the send, then 4 more tokens over 20 ms (server count);
    // arm 1: the same with no token at all (an empty answer), and a 1-token answer.
    const send: SendRequest = (arm, index, done) => {
      const sentNs = clock.now();
      void clock.wakeAt(sentNs + 60 * MS).then(() => {
        const withTokens = { firstTokenNs: sentNs + 40 * MS, contentEvents: 3, gapsMs: [5, 15] };
        const stream =
          arm === 0
            ? { ...withTokens, tokens: 5, tokensFromUsage: true }
            : index % 4 === 1
              ? { contentEvents: 0, tokens: 0, tokensFromUsage: false, gapsMs: [] }
              : {
                  firstTokenNs: sentNs + 40 * MS,
                  contentEvents: 1,
                  tokens: 1,
                  tokensFromUsage: false,
                  gapsMs: [],
                };
        done({ kind: 'response', status: 200, doneNs: clock.now(), stream });
      });
    };
    const result = await clock.play(runLoad(options({ ratePerSecond: 8, durationMs: 1000 }), send, clock));
    expect(result.samples[0]!.latenciesMs).toEqual([60, 60, 60, 60]);
    expect(result.samples[0]!.stream).toEqual({
      streams: 4,
      withoutToken: 0,
      tokensFromUsage: 4,
      ttftMs: [40, 40, 40, 40],
      // (60 − 40) ms over the 4 tokens after the first
      tpotMs: [5, 5, 5, 5],
      outputTokensPerSecond: [200, 200, 200, 200],
      interTokenGapsMs: [5, 15, 5, 15, 5, 15, 5, 15],
    });
    // An empty answer has no first token; a one-token answer has no time per output token.
    expect(result.samples[1]!.stream).toMatchObject({
      streams: 4,
      withoutToken: 2,
      ttftMs: [40, 40],
      tpotMs: [],
    });
    const first = result;
    const second = await clock.play(runLoad(options({ ratePerSecond: 8, durationMs: 1000 }), send, clock));
    second.include(first);
    expect(second.samples[0]!.stream.tpotMs).toHaveLength(8);
    expect(second.samples[1]!.stream).toMatchObject({ streams: 8, withoutToken: 4 });
  });
});

describe('per-arm accounting', () => {
  it('caps in-flight requests per arm, so a stalled canary never costs stable a request', async () => {
    const clock = new FakeClock();
    // Arm 0 never answers within the run; arm 1 answers in 1 ms.
    const { send } = server(clock, (arm) => (arm === 0 ? 60_000 : 1));
    const result = await clock.play(
      runLoad(options({ ratePerSecond: 100, durationMs: 1000, maxInFlight: 5 }), send, clock),
    );
    expect(result.measured[0]).toMatchObject({ attempted: 50, ok: 5, errors: { dropped: 45 } });
    expect(result.measured[1]).toMatchObject({ attempted: 50, ok: 50, errors: { dropped: 0 } });
  });

  it('adds an extension window to the first one', async () => {
    const clock = new FakeClock();
    const { send } = server(clock, (arm) => (arm === 0 ? 3 : 2));
    const first = await clock.play(runLoad(options({ ratePerSecond: 20 }), send, clock));
    const second = await clock.play(runLoad(options({ ratePerSecond: 20 }), send, clock));
    second.include(first);
    expect(second.measured.map((c) => c.ok)).toEqual([20, 20]);
    expect(second.samples[0]!.latenciesMs).toHaveLength(20);
    expect(second.schedulingLagMs).toHaveLength(40);
  });
});

describe('generatorHealth', () => {
  it('flags the generator as the bottleneck when it sent late or its event loop was blocked', () => {
    const punctual = Array.from({ length: 1000 }, () => 0.01);
    expect(generatorHealth(punctual, { p99Ms: 1.1, maxMs: 3 }).bottleneck).toBe(false);
    const late = generatorHealth([...punctual.slice(0, 980), ...Array.from({ length: 20 }, () => 12)], {
      p99Ms: 1.1,
      maxMs: 3,
    });
    expect(late).toMatchObject({ bottleneck: true, schedulingLagMaxMs: 12 });
    expect(late.reason).toMatch(/sent its requests late/);
    const blocked = generatorHealth(punctual, { p99Ms: 40, maxMs: 80 });
    expect(blocked.reason).toMatch(/event loop was blocked/);
  });
});

describe('hrtimeClock', () => {
  it('sleeps until at least the moment through its timer thread, and works again after close', async () => {
    const clock = hrtimeClock();
    for (const waitMs of [20, 0.5, 5]) {
      const moment = clock.now() + waitMs * MS;
      await clock.sleepUntil(moment);
      expect(clock.now()).toBeGreaterThanOrEqual(moment);
    }
    await clock.close();
    const moment = clock.now() + 3 * MS;
    await clock.sleepUntil(moment);
    expect(clock.now()).toBeGreaterThanOrEqual(moment);
    await clock.close();
  });

  it("reads on the timer thread's scale: process.hrtime in ns", () => {
    const clock = hrtimeClock();
    const before = Number(process.hrtime.bigint());
    const reading = clock.now();
    const after = Number(process.hrtime.bigint());
    // The clock's offset is taken between two readings; a microsecond covers that.
    expect(reading).toBeGreaterThanOrEqual(before - 1000);
    expect(reading).toBeLessThanOrEqual(after + 1000);
  });

  /** The spin's turns are Immediates: one is queued whenever the loop is kept from sleeping. */
  const spinning = (): boolean => process.getActiveResourcesInfo().includes('Immediate');
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('keeps the loop turning while any hold lasts; a release counts once', async () => {
    const clock = hrtimeClock();
    expect(spinning()).toBe(false);
    const first = clock.stayAwake();
    const second = clock.stayAwake();
    await pause(5);
    expect(spinning()).toBe(true);
    first();
    first();
    await pause(5);
    expect(spinning()).toBe(true);
    second();
    await pause(5);
    expect(spinning()).toBe(false);
    await clock.close();
  });

  it('spins through a sleep while held, and goes back to the timer thread when the last hold ends early', async () => {
    const clock = hrtimeClock();
    const release = clock.stayAwake();
    const moment = clock.now() + 60 * MS;
    let woke = false;
    const sleep = clock.sleepUntil(moment).then(() => (woke = true));
    await pause(5);
    expect(spinning()).toBe(true);
    release();
    // 55 ms before the moment, far beyond the 1 ms spin: the loop sleeps on the thread again.
    await pause(5);
    expect(spinning()).toBe(false);
    expect(woke).toBe(false);
    await sleep;
    expect(clock.now()).toBeGreaterThanOrEqual(moment);
    // A hold taken while a sleep is already spinning ends with the sleep's moment, not before.
    const held = clock.stayAwake();
    const soon = clock.now() + 3 * MS;
    await clock.sleepUntil(soon);
    expect(clock.now()).toBeGreaterThanOrEqual(soon);
    held();
    await clock.close();
  });
});

/** One request through a sender, as a promise of its outcome. */
const promised =
  (send: SendRequest) =>
  (arm: number, index: number): Promise<SendOutcome> =>
    new Promise((resolve) => send(arm, index, resolve));

describe('httpSender against a loopback server', () => {
  const seenSequences: string[] = [];
  const server = createServer((request, response) => {
    seenSequences.push(String(request.headers['x-load-sequence']));
    if (request.url === '/ok') response.end('{"ok":true}');
    else if (request.url === '/unavailable') {
      response.statusCode = 503;
      response.end('busy');
    } else if (request.url === '/stream') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n');
      const token = (text: string) => `data: {"choices":[{"delta":{"content":"${text}"}}]}\n\n`;
      setTimeout(() => response.write(token('Rea')), 10);
      setTimeout(() => response.write(token('dy')), 20);
      setTimeout(() => response.write(token('!!')), 30);
      setTimeout(
        () => response.end('data: {"choices":[],"usage":{"completion_tokens":5}}\n\ndata: [DONE]\n\n'),
        40,
      );
    } else if (request.url === '/stream-without-usage') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n');
      setTimeout(() => response.end('data: {"choices":[{"delta":{"content":"!"}}]}\n\ndata: [DONE]\n\n'), 10);
    }
    // Any other path is never answered (a hung model server).
  });
  let pool: KeepAlivePool;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new KeepAlivePool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      connections: 4,
    });
  });
  afterAll(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sender = (path: string, extra: Partial<ProbeRequest> = {}, timeoutMs = 250) =>
    promised(
      httpSender([{ pool, pathPrefix: '', headers: {} }], [{ method: 'GET', path, headers: {}, ...extra }], {
        timeoutMs,
        clock: hrtimeClock(),
        sequenceHeader: 'x-load-sequence',
      }),
    );

  it('reports status codes, sends the sequence number, and classifies a hung request as a timeout', async () => {
    expect(await sender('/ok')(0, 41)).toMatchObject({ kind: 'response', status: 200 });
    expect(await sender('/unavailable')(0, 42)).toMatchObject({ kind: 'response', status: 503 });
    expect(await sender('/hang')(0, 43)).toEqual({ kind: 'timeout' });
    expect(seenSequences.slice(0, 3)).toEqual(['41', '42', '43']);
  });

  it('times a stream to its last byte and each event carrying text as it arrives', async () => {
    const outcome = await sender('/stream', { stream: openAiStreamScanner }, 2000)(0, 1);
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    const { doneNs, stream } = outcome as { doneNs: number; stream: StreamTiming };
    // Three events carrying text, the server's own count of five tokens, two gaps between them.
    expect(stream).toMatchObject({ contentEvents: 3, tokens: 5, tokensFromUsage: true });
    expect(stream.gapsMs).toHaveLength(2);
    expect(stream.firstTokenNs).toBeLessThanOrEqual(doneNs);
  });

  it('counts the events carrying text as the tokens when the server gives no count', async () => {
    const outcome = await sender('/stream-without-usage', { stream: openAiStreamScanner }, 2000)(0, 1);
    expect((outcome as { stream: StreamTiming }).stream).toMatchObject({
      contentEvents: 2,
      tokens: 2,
      tokensFromUsage: false,
    });
  });

  it('keeps the clock awake while a stream is in flight, and only then', async () => {
    const clock = hrtimeClock();
    let holds = 0;
    const counted: LoadClock = {
      now: clock.now,
      sleepUntil: clock.sleepUntil,
      stayAwake: () => {
        holds++;
        const release = clock.stayAwake();
        return () => {
          holds--;
          release();
        };
      },
    };
    const send = (path: string, stream: boolean, timeoutMs: number) =>
      promised(
        httpSender(
          [{ pool, pathPrefix: '', headers: {} }],
          [{ method: 'GET', path, headers: {}, ...(stream ? { stream: openAiStreamScanner } : {}) }],
          { timeoutMs, clock: counted },
        ),
      )(0, 0);
    const streamed = send('/stream', true, 2000);
    expect(holds).toBe(1);
    expect(await streamed).toMatchObject({ kind: 'response', status: 200 });
    expect(holds).toBe(0);
    const plain = send('/ok', false, 2000);
    expect(holds).toBe(0);
    await plain;
    // A stream that fails lets go too.
    const hung = send('/hang-stream', true, 100);
    expect(holds).toBe(1);
    expect(await hung).toEqual({ kind: 'timeout' });
    expect(holds).toBe(0);
    await clock.close();
  });

  it('reports a refused connection as a network error', async () => {
    const closed = new KeepAlivePool('http://127.0.0.1:1', { connections: 1 });
    const send = promised(
      httpSender(
        [{ pool: closed, pathPrefix: '', headers: {} }],
        [{ method: 'GET', path: '/', headers: {} }],
        { timeoutMs: 1000, clock: hrtimeClock() },
      ),
    );
    expect(await send(0, 0)).toMatchObject({
      kind: 'network',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    await closed.close();
  });
});

describe('streams measured on loopback and judged', () => {
  /**
   * An OpenAI server whose timing the path sets: `/<ttft ms>/<per-token ms>/v1/chat/completions`
   * streams a role event, then 6 tokens, the first after the first delay, each next one after the
   * other, and the usage count when the request asks for it.
   */
  const server = createServer((request, response) => {
    const [, ttftMs, tokenMs] = (request.url ?? '').split('/').map(Number);
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const usage = (JSON.parse(body) as { stream_options?: { include_usage?: boolean } }).stream_options;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n');
      const send = (left: number): void => {
        response.write(`data: {"choices":[{"delta":{"content":" ${left}"}}]}\n\n`);
        if (left > 1) setTimeout(send, tokenMs, left - 1);
        else
          response.end(
            (usage?.include_usage === true
              ? 'data: {"choices":[],"usage":{"completion_tokens":6}}\n\n'
              : '') + 'data: [DONE]\n\n',
          );
      };
      setTimeout(send, ttftMs, 6);
    });
  });
  const pools: KeepAlivePool[] = [];

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Measures stable (arm 0) and canary (arm 1) at the given delays, 120 streams each, and judges them. */
  async function measureAndJudge(
    stable: { ttftMs: number; tokenMs: number },
    canary: { ttftMs: number; tokenMs: number },
    body: string,
  ) {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const endpoints = [stable, canary].map(({ ttftMs, tokenMs }) => {
      const pool = new KeepAlivePool(origin, { connections: 64 });
      pools.push(pool);
      return { pool, pathPrefix: `/${ttftMs}/${tokenMs}`, headers: {} };
    });
    const clock = hrtimeClock();
    const probe = openAiChatRequest('/v1/chat/completions', body, undefined);
    const accounting = await runLoad(
      // Bounded by the request count: 120 per arm, at 100 requests/s in all. The in-flight cap is
      // far above the 3 streams per arm a punctual run has open, so a busy machine drops none.
      options({ ratePerSecond: 100, durationMs: 60_000, maxRequests: 240, maxInFlight: 64 }),
      httpSender(endpoints, [probe], { timeoutMs: 10_000, clock }),
      clock,
    );
    await clock.close();
    return {
      accounting,
      judgement: judgeStep({
        stable: accounting.observations(0, true),
        canary: accounting.observations(1, true),
        gate: DEFAULT_GATE,
      }),
    };
  }
  const outcomeOf = (judgement: ReturnType<typeof judgeStep>, name: string) =>
    judgement.checks.find((check) => check.name === name)?.outcome;

  it('reverts a canary whose tokens come twice as slowly through TPOT, while its TTFT passes', async () => {
    const { accounting, judgement } = await measureAndJudge(
      { ttftMs: 10, tokenMs: 4 },
      { ttftMs: 10, tokenMs: 8 },
      openAiChatBody('tiny'),
    );
    // Every answer was read to its end as a stream, with the server's own count of its 6 tokens.
    for (const arm of [0, 1]) {
      const { ok } = accounting.measured[arm]!;
      expect(ok).toBeGreaterThanOrEqual(100);
      expect(accounting.samples[arm]!.stream).toMatchObject({
        streams: ok,
        withoutToken: 0,
        tokensFromUsage: ok,
      });
      expect(accounting.samples[arm]!.stream.tpotMs).toHaveLength(ok);
      expect(accounting.samples[arm]!.stream.interTokenGapsMs).toHaveLength(ok * 5);
    }
    expect(outcomeOf(judgement, 'tpot')).toBe('fail');
    expect(outcomeOf(judgement, 'ttft')).toBe('pass');
    expect(judgement.decision).toBe('revert');
  });

  it('reverts a canary whose first token comes twice as late through TTFT, while its TPOT passes', async () => {
    const { accounting, judgement } = await measureAndJudge(
      { ttftMs: 10, tokenMs: 4 },
      { ttftMs: 20, tokenMs: 4 },
      JSON.stringify({ model: 'tiny', messages: [], stream: true }),
    );
    // Without a usage count the tokens are the events that carried text.
    expect(accounting.samples[1]!.stream).toMatchObject({
      streams: accounting.measured[1]!.ok,
      tokensFromUsage: 0,
    });
    expect(outcomeOf(judgement, 'ttft')).toBe('fail');
    expect(outcomeOf(judgement, 'tpot')).toBe('pass');
    expect(judgement.decision).toBe('revert');
  });
});
