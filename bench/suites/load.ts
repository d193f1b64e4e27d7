/**
 * The load generator against autocannon (docs/load.md), in one run, on loopback, against
 * the same servers, alternating A B A B, medians of repeated runs with the spread printed.
 *
 * - Max rate on one core: this process (our generator) and autocannon each pinned to core 0, the
 *   minimal server to core 1; completed 2xx/s over 10 s after a 2 s warm-up. Our generator runs in
 *   its max-throughput mode (closed loop) with an in-flight cap equal to autocannon's connections.
 * - Accuracy: a server (bench/servers/reference-server.py) that answers after 5 ms and records each
 *   request's service time from the kernel's arrival stamp to its answer; 1,000 req/s for 10 s
 *   (after a 1 s warm-up, discarded); error = generator percentile − server percentile over the
 *   same requests (matched by a sequence header). Generator unpinned here (see run).
 * - Coordinated omission: the server stops answering for 1 s at t = 5 s of a 10 s run at 200 req/s.
 * - Token timings: the same server streams an OpenAI chat answer (first token after 20 ms, then 7
 *   more 5 ms apart) at 200 req/s for 10 s, recording when it handed each token to the kernel;
 *   error = generator percentile − server percentile of time to first token and of inter-token
 *   gaps over the same requests. No peer: autocannon does not read streams.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hrtimeClock, httpSender, measureLoad, type LoadRun } from '../../src/load/generator.ts';
import { KeepAlivePool } from '../../src/load/keep-alive-pool.ts';
import { openAiStreamScanner } from '../../src/load/protocols.ts';
import { quantileOfSorted } from '../../src/stats/quantiles.ts';
import { median, spread, type Suite } from '../results.ts';

const REPEATS = Number(process.env['LOAD_BENCH_REPEATS'] ?? 3);
const CONNECTIONS = 10; // autocannon's default, for the max-rate runs
/** Sockets (and in-flight cap) for the fixed-rate runs: ample for 1,000 req/s of 5 ms, so nothing queues. */
const RATE_CONNECTIONS = 100;
/** Above 200 req/s × 1 s, so the stall's requests all wait on the server rather than being dropped. */
const STALL_CONNECTIONS = 400;
const SEQUENCE_HEADER = 'x-load-sequence';
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));
const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));
const GENERATOR_CORE = '0';
/**
 * Every benchmarked process (ours, and autocannon and the servers, which inherit it) runs at this
 * niceness: on a machine shared with builds, it keeps the figures about the tools rather than
 * about the scheduler, and it is the same for both tools. Raising priority needs root.
 */
const BENCH_NICENESS = process.getuid?.() === 0 ? -10 : 0;
const SERVER_CORE = '1';
/** Both cores: where the fixed-rate runs go (see run). */
const FLOATING_CORES = '0,1';

function pinThisProcess(cores: string): void {
  execFileSync('taskset', ['-a', '-cp', cores, String(process.pid)], { stdio: 'ignore' });
}

interface RunningServer {
  origin: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a benchmark server (Node for .ts, Python for .py) pinned to the server core; waits for its port. */
async function startServer(script: string, args: string[]): Promise<RunningServer> {
  const interpreter = script.endsWith('.py') ? 'python3' : process.execPath;
  const child = spawn('taskset', ['-c', SERVER_CORE, interpreter, SERVERS + script, ...args], {
    // stdin stays open as a lifeline: the server exits when this process does, even on a crash.
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /^listening (\d+)$/.exec(line);
    if (match) {
      return {
        origin: `http://127.0.0.1:${match[1]}`,
        process: child,
        stop: async () => {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
  }
  throw new Error(`${script} exited before listening`);
}

async function withServer<T>(
  script: string,
  args: string[],
  work: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await startServer(script, args);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

interface AutocannonResult {
  '2xx': number;
  latency: { p50: number; p99: number };
  requests: { average: number };
  warmup?: { '2xx': number };
  /** User + system CPU seconds autocannon used (from the shell's `times`), warm-up included. */
  cpuSeconds: number;
}

/** `0m1.234s` → 1.234 */
function shellSeconds(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
}

/** Runs autocannon on `cores` (a taskset list) with `args`; resolves with its JSON report and CPU time. */
function autocannon(cores: string, args: string[]): Promise<AutocannonResult> {
  // The shell's `times` prints its children's CPU time last: autocannon's own work, for a figure
  // (2xx per CPU-second) that other load on a shared machine distorts less than 2xx per second.
  const script = 'taskset -c "$0" "$1" "$2" -j "${@:3}"; status=$?; times; exit $status';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, cores, process.execPath, AUTOCANNON, ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = output.trim().split('\n');
      try {
        if (code !== 0) throw new Error(`autocannon exited ${code}`);
        const [user, system] = (lines.at(-1) ?? '').trim().split(/\s+/).map(shellSeconds);
        // With --warmup autocannon prints the warm-up's report first; the last JSON line is the run's.
        const report = lines.filter((line) => line.startsWith('{')).at(-1) ?? '';
        resolve({
          ...(JSON.parse(report) as Omit<AutocannonResult, 'cpuSeconds'>),
          cpuSeconds: user! + system!,
        });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** Runs our generator against one origin through a keep-alive pool whose size is also the in-flight cap. */
async function generate(
  origin: string,
  options: {
    rate: number;
    arrivals: 'constant' | 'max';
    warmupMs: number;
    durationMs: number;
    sequence?: boolean;
    /** Read the answers as OpenAI chat streams, timing each token. */
    stream?: boolean;
    /** Sockets, and the in-flight cap; default CONNECTIONS for max mode, RATE_CONNECTIONS otherwise. */
    connections?: number;
  },
): Promise<LoadRun> {
  const connections = options.connections ?? (options.arrivals === 'max' ? CONNECTIONS : RATE_CONNECTIONS);
  const pool = new KeepAlivePool(origin, { connections });
  const clock = hrtimeClock();
  try {
    const send = httpSender(
      [{ pool, pathPrefix: '', headers: {} }],
      [{ method: 'GET', path: '/', headers: {}, ...(options.stream ? { stream: openAiStreamScanner } : {}) }],
      { timeoutMs: 30_000, clock, ...(options.sequence ? { sequenceHeader: SEQUENCE_HEADER } : {}) },
    );
    return await measureLoad(
      {
        arms: 1,
        ratePerSecond: options.rate,
        arrivals: options.arrivals,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        maxRequests: 10_000_000,
        // The cap equals the sockets, so a request never waits unseen in the pool's queue.
        maxInFlight: connections,
      },
      send,
      clock,
    );
  } finally {
    await pool.close();
  }
}

function sortedLatencies(run: LoadRun): number[] {
  return [...run.accounting.samples[0]!.latenciesMs].sort((a, b) => a - b);
}

interface RateFigures {
  ours: number[];
  theirs: number[];
  oursPerCpu: number[];
  theirsPerCpu: number[];
}

async function maxRate(): Promise<RateFigures> {
  const ours: number[] = [];
  const theirs: number[] = [];
  const oursPerCpu: number[] = [];
  const theirsPerCpu: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    await withServer('minimal-http-server.ts', [], async ({ origin }) => {
      const cpuBefore = process.cpuUsage();
      const run = await generate(origin, { rate: 1, arrivals: 'max', warmupMs: 2000, durationMs: 10_000 });
      const cpu = process.cpuUsage(cpuBefore);
      const counts = run.accounting.measured[0]!;
      ours.push(counts.ok / 10);
      oursPerCpu.push((counts.ok + run.accounting.warmup[0]!.ok) / ((cpu.user + cpu.system) / 1e6));
      const peer = await autocannon(GENERATOR_CORE, [
        '-c',
        String(CONNECTIONS),
        '-d',
        '10',
        '--warmup',
        '[',
        '-c',
        String(CONNECTIONS),
        '-d',
        '2',
        ']',
        `${origin}/`,
      ]);
      theirs.push(peer['2xx'] / 10);
      theirsPerCpu.push((peer['2xx'] + (peer.warmup?.['2xx'] ?? 0)) / peer.cpuSeconds);
      console.log(
        `  max rate #${repeat + 1}: ours ${ours.at(-1)!.toFixed(0)} 2xx/s, ${oursPerCpu.at(-1)!.toFixed(0)} per CPU-s (errors ${JSON.stringify(counts.errors)}); autocannon ${theirs.at(-1)!.toFixed(0)} 2xx/s, ${theirsPerCpu.at(-1)!.toFixed(0)} per CPU-s`,
      );
    });
  }
  return { ours, theirs, oursPerCpu, theirsPerCpu };
}

async function accuracy(): Promise<{
  p50: number[];
  p99: number[];
  peerP50: number[];
  peerP99: number[];
  lagP99: number[];
}> {
  const result = {
    p50: [] as number[],
    p99: [] as number[],
    peerP50: [] as number[],
    peerP99: [] as number[],
    lagP99: [] as number[],
  };
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    await withServer('reference-server.py', ['--delay-ms', '5', '--record'], async ({ origin }) => {
      const run = await generate(origin, {
        rate: 1000,
        arrivals: 'constant',
        warmupMs: 1000,
        durationMs: 10_000,
        sequence: true,
      });
      const response = await fetch(`${origin}/__records`);
      const serverMs = (await response.json()) as Record<string, number>;
      const samples = run.accounting.samples[0]!;
      const ours: number[] = [];
      const theirs: number[] = [];
      samples.indices.forEach((index, i) => {
        const recorded = serverMs[String(index)];
        if (recorded !== undefined) {
          ours.push(samples.latenciesMs[i]!);
          theirs.push(recorded);
        }
      });
      ours.sort((a, b) => a - b);
      theirs.sort((a, b) => a - b);
      const p50 = quantileOfSorted(ours, 0.5) - quantileOfSorted(theirs, 0.5);
      const p99 = quantileOfSorted(ours, 0.99) - quantileOfSorted(theirs, 0.99);
      result.p50.push(Math.abs(p50));
      result.p99.push(Math.abs(p99));
      result.lagP99.push(run.health.schedulingLagP99Ms);
      console.log(
        `  accuracy #${repeat + 1}: ${ours.length} matched requests; generator p50 ${quantileOfSorted(ours, 0.5).toFixed(3)} p99 ${quantileOfSorted(ours, 0.99).toFixed(3)} ms; server p50 ${quantileOfSorted(theirs, 0.5).toFixed(3)} p99 ${quantileOfSorted(theirs, 0.99).toFixed(3)} ms; error p50 ${p50.toFixed(3)} p99 ${p99.toFixed(3)} ms; scheduling lag p99 ${run.health.schedulingLagP99Ms.toFixed(3)} ms`,
      );
    });
    await withServer('reference-server.py', ['--delay-ms', '5'], async ({ origin }) => {
      const peer = await autocannon(FLOATING_CORES, [
        '-c',
        String(RATE_CONNECTIONS),
        '-R',
        '1000',
        '-d',
        '10',
        `${origin}/`,
      ]);
      result.peerP50.push(peer.latency.p50);
      result.peerP99.push(peer.latency.p99);
      console.log(
        `  accuracy #${repeat + 1}: autocannon p50 ${peer.latency.p50} p99 ${peer.latency.p99} ms (1 ms resolution)`,
      );
    });
  }
  return result;
}

/** |p99 of ours − p99 of the server's| over the same values, and the two p99s for the log. */
function p99Error(ours: number[], theirs: number[]): { error: number; ours: number; theirs: number } {
  const oursP99 = quantileOfSorted(
    [...ours].sort((a, b) => a - b),
    0.99,
  );
  const theirsP99 = quantileOfSorted(
    [...theirs].sort((a, b) => a - b),
    0.99,
  );
  return { error: Math.abs(oursP99 - theirsP99), ours: oursP99, theirs: theirsP99 };
}

async function tokenAccuracy(): Promise<{ ttft: number[]; itl: number[] }> {
  const result = { ttft: [] as number[], itl: [] as number[] };
  const streamArgs = ['--delay-ms', '20', '--stream-tokens', '8', '--token-gap-ms', '5', '--record'];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    await withServer('reference-server.py', streamArgs, async ({ origin }) => {
      const run = await generate(origin, {
        rate: 200,
        arrivals: 'constant',
        warmupMs: 1000,
        durationMs: 10_000,
        sequence: true,
        stream: true,
      });
      const response = await fetch(`${origin}/__records`);
      const server = (await response.json()) as Record<
        string,
        { ttftMs: number; gapsMs: number[] } | undefined
      >;
      const samples = run.accounting.samples[0]!;
      // The stream samples are in the order of the 2xx latencies: one TTFT per streamed 2xx, and
      // tokens − 1 gaps each (tokens read together count gaps of 0), so they pair by position.
      if (
        samples.stream.ttftMs.length !== samples.indices.length ||
        samples.stream.interTokenGapsMs.length !== 7 * samples.indices.length
      )
        throw new Error(
          `token accuracy: ${samples.indices.length} answers, ${samples.stream.ttftMs.length} first tokens and ${samples.stream.interTokenGapsMs.length} gaps; expected 8 tokens in each answer`,
        );
      const ours = { ttft: [] as number[], gaps: [] as number[] };
      const theirs = { ttft: [] as number[], gaps: [] as number[] };
      let gapAt = 0;
      samples.indices.forEach((index, i) => {
        const recorded = server[String(index)];
        const gaps = samples.stream.interTokenGapsMs.slice(gapAt, gapAt + 7);
        gapAt += 7;
        if (recorded === undefined || recorded.gapsMs.length !== gaps.length) return;
        ours.ttft.push(samples.stream.ttftMs[i]!);
        theirs.ttft.push(recorded.ttftMs);
        ours.gaps.push(...gaps);
        theirs.gaps.push(...recorded.gapsMs);
      });
      const ttft = p99Error(ours.ttft, theirs.ttft);
      const itl = p99Error(ours.gaps, theirs.gaps);
      result.ttft.push(ttft.error);
      result.itl.push(itl.error);
      console.log(
        `  tokens #${repeat + 1}: ${ours.ttft.length} matched streams; TTFT p99 generator ${ttft.ours.toFixed(3)} server ${ttft.theirs.toFixed(3)} ms; inter-token p99 generator ${itl.ours.toFixed(3)} server ${itl.theirs.toFixed(3)} ms; scheduling lag p99 ${run.health.schedulingLagP99Ms.toFixed(3)} ms`,
      );
    });
  }
  return result;
}

async function stall(): Promise<{ ours: number[]; theirs: number[] }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  const stallArgs = ['--delay-ms', '0', '--stall-at-ms', '5000', '--stall-ms', '1000'];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    await withServer('reference-server.py', stallArgs, async ({ origin }) => {
      const run = await generate(origin, {
        rate: 200,
        arrivals: 'constant',
        warmupMs: 0,
        durationMs: 10_000,
        // Every request due during the 1 s stall must be in flight, not dropped at the cap.
        connections: STALL_CONNECTIONS,
      });
      ours.push(quantileOfSorted(sortedLatencies(run), 0.99));
    });
    await withServer('reference-server.py', stallArgs, async ({ origin }) => {
      const peer = await autocannon(FLOATING_CORES, [
        '-c',
        String(RATE_CONNECTIONS),
        '-R',
        '200',
        '-d',
        '10',
        `${origin}/`,
      ]);
      theirs.push(peer.latency.p99);
    });
    console.log(
      `  stall #${repeat + 1}: p99 ours ${ours.at(-1)!.toFixed(1)} ms, autocannon ${theirs.at(-1)} ms`,
    );
  }
  return { ours, theirs };
}

export const run: Suite = async () => {
  if (availableParallelism() < 2)
    throw new Error('the load benchmark needs two cores (generator and server apart)');
  setPriority(process.pid, BENCH_NICENESS);
  console.log(`load: ${REPEATS} repeats of each, A B A B; figures are "median (min–max)"`);
  // Every thread of this process (our generator) on the generator core; autocannon goes there too.
  pinThisProcess(GENERATOR_CORE);
  const rate = await maxRate();
  // The fixed-rate runs need no core of their own, and pinned to one they measured the VM: a
  // thread spinning there alone lost up to 4 ms at a time, and the generator's main thread could
  // not move off while its collector and timer threads shared the core. Unpinned, as the action
  // runs; the reference server stays on its core.
  pinThisProcess(FLOATING_CORES);
  const accurate = await accuracy();
  const stalled = await stall();
  const tokens = await tokenAccuracy();

  console.log('\n| metric | model-canary | autocannon | goal |');
  console.log('|---|---|---|---|');
  console.log(
    `| max 2xx/s on one core (10 connections) | ${spread(rate.ours, 0)} | ${spread(rate.theirs, 0)} | ≥ 1.5× autocannon |`,
  );
  console.log(
    `| 2xx per CPU-second (same runs; less sensitive to other load) | ${spread(rate.oursPerCpu, 0)} | ${spread(rate.theirsPerCpu, 0)} | |`,
  );
  console.log(
    `| p50 error vs server, ms (1,000 req/s, 5 ms) | ${spread(accurate.p50, 3)} | p50 ${spread(accurate.peerP50, 0)} (1 ms steps) | ≤ 0.2 |`,
  );
  console.log(
    `| p99 error vs server, ms | ${spread(accurate.p99, 3)} | p99 ${spread(accurate.peerP99, 0)} | ≤ 1 |`,
  );
  console.log(
    `| p99 with a 1 s stall, ms (200 req/s) | ${spread(stalled.ours, 1)} | ${spread(stalled.theirs, 1)} | ≥ 900 |`,
  );
  console.log(
    `| TTFT p99 error vs server, ms (200 streams/s) | ${spread(tokens.ttft, 3)} | (no streams) | ≤ 1 |`,
  );
  console.log(`| inter-token p99 error vs server, ms | ${spread(tokens.itl, 3)} | (no streams) | ≤ 1 |`);

  return {
    max_rps_one_core: {
      value: Math.round(median(rate.ours)),
      unit: 'req/s',
      peer: 'autocannon',
      peer_value: Math.round(median(rate.theirs)),
    },
    autocannon_max_rps_one_core: { value: Math.round(median(rate.theirs)), unit: 'req/s' },
    rps_per_cpu_second: {
      value: Math.round(median(rate.oursPerCpu)),
      unit: 'req/CPU-s',
      peer: 'autocannon',
      peer_value: Math.round(median(rate.theirsPerCpu)),
    },
    p50_error_ms: { value: Number(median(accurate.p50).toFixed(4)), unit: 'ms' },
    p99_error_ms: { value: Number(median(accurate.p99).toFixed(4)), unit: 'ms' },
    ttft_error_ms: { value: Number(median(tokens.ttft).toFixed(4)), unit: 'ms' },
    itl_error_ms: { value: Number(median(tokens.itl).toFixed(4)), unit: 'ms' },
    stall_p99_ms: {
      value: Number(median(stalled.ours).toFixed(1)),
      unit: 'ms',
      peer: 'autocannon',
      peer_value: median(stalled.theirs),
    },
  };
};
