/**
 * Adapter: evaluates a step's metric checks against the metrics server while the step is measured,
 * so each look of the analyse stage reads the latest evaluation without waiting on the network,
 * and the last look reads one taken after the load ended. Every evaluation covers the step's
 * window so far (`{{ window }}`); a query that fails keeps its error as its reading, so a server
 * that stops answering makes its checks inconclusive with the address named, never stale.
 */
import { armValue, type ArmReading, type MetricEvidence, type MetricReading } from '../checks/metrics.ts';
import { renderQuery, type ArmPods } from './query.ts';
import type { MetricCheckSpec } from './spec.ts';
import { PrometheusError, type PrometheusClient } from './prometheus.ts';

/** The pods of a step's arms; stable is absent on a first deployment. */
export interface StepArms {
  canary: ArmPods;
  stable?: ArmPods;
}

export interface MetricsWatchOptions {
  client: Pick<PrometheusClient, 'query' | 'url'>;
  checks: readonly MetricCheckSpec[];
  arms: StepArms;
  /** When the step's measurement window starts (ms since the epoch, the clock of `now`). */
  windowStartMs: number;
  /** Milliseconds between evaluations while the load runs. */
  intervalMs: number;
  /** The confidence a quantile's bucket bounds are taken at (1 − the step's false-revert budget). */
  confidence: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** Between evaluations: often enough for every look, seldom enough for the server (docs/metrics.md). */
export function evaluationIntervalMs(durationMs: number, looks: number): number {
  return Math.min(15_000, Math.max(2_000, Math.round(durationMs / (2 * looks))));
}

/** The latest evaluation of a step's metric checks, kept fresh in the background. */
export class MetricsWatch {
  private readonly options: MetricsWatchOptions;
  private readonly now: () => number;
  private evidence: MetricEvidence;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MetricEvidence> | undefined;
  private stopped = false;

  constructor(options: MetricsWatchOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.evidence = { server: options.client.url, checks: options.checks, readings: [] };
  }

  /** Starts evaluating every interval from the window's start. */
  start(): void {
    const wait = Math.max(
      this.options.intervalMs,
      this.options.windowStartMs - this.now() + this.options.intervalMs,
    );
    this.schedule(wait);
  }

  /** The latest evaluation (checks not yet evaluated have no readings). */
  latest(): MetricEvidence {
    return this.evidence;
  }

  /** Evaluates every check now (after one already under way) and returns the evidence. */
  async refresh(): Promise<MetricEvidence> {
    if (this.running !== undefined) await this.running.catch(() => undefined);
    return this.evaluate();
  }

  /** Stops the background evaluations; the latest stays readable. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.evaluate().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    // Evaluations never keep the process alive on their own.
    this.timer.unref();
  }

  private evaluate(): Promise<MetricEvidence> {
    const run = this.evaluateOnce();
    this.running = run;
    return run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
  }

  private async evaluateOnce(): Promise<MetricEvidence> {
    const { client, checks, arms, windowStartMs, confidence } = this.options;
    const nowMs = this.now();
    const windowSeconds = Math.max(1, Math.round((nowMs - windowStartMs) / 1000));
    const at = nowMs / 1000;
    const readArm = async (check: MetricCheckSpec, arm: ArmPods): Promise<ArmReading> => {
      const query = renderQuery(check.query, arm, windowSeconds);
      try {
        return { query, series: await client.query(query, at) };
      } catch (error) {
        const message =
          error instanceof PrometheusError || error instanceof Error ? error.message : String(error);
        return { query, error: message };
      }
    };
    const previous = new Map(this.evidence.readings.map((reading) => [reading.check.name, reading.history]));
    const readings = await Promise.all(
      checks.map(async (check): Promise<MetricReading> => {
        const [canary, stable] = await Promise.all([
          readArm(check, arms.canary),
          arms.stable !== undefined ? readArm(check, arms.stable) : Promise.resolve(undefined),
        ]);
        const valueOf = (reading: ArmReading | undefined) =>
          reading === undefined || 'error' in reading
            ? undefined
            : armValue(check, reading.series, confidence).value;
        const point = {
          at: Math.round(at),
          windowSeconds,
          ...withValue('canary', valueOf(canary)),
          ...withValue('stable', valueOf(stable)),
        };
        return {
          check,
          canary,
          ...(stable !== undefined ? { stable } : {}),
          history: [...(previous.get(check.name) ?? []), point],
        };
      }),
    );
    const failed = readings.flatMap((reading) =>
      [reading.canary, reading.stable].flatMap((arm) =>
        arm !== undefined && 'error' in arm ? [arm.error] : [],
      ),
    );
    if (failed.length > 0)
      this.options.log?.(`metrics: ${failed.length} query(ies) failed; first: ${failed[0]}`);
    this.evidence = { server: client.url, checks, at, windowSeconds, readings };
    return this.evidence;
  }
}

function withValue(key: 'canary' | 'stable', value: number | undefined): Partial<Record<typeof key, number>> {
  return value === undefined || !Number.isFinite(value) ? {} : { [key]: value };
}
