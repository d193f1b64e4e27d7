/**
 * The result-file format every benchmark suite writes (docs/architecture.md, "Benchmarks"): bench/results/<suite>.json
 * maps metric name → { value, unit, peer?, peer_value? }, plus "commit" and "date".
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Metric {
  value: number;
  unit: string;
  /** The peer tool measured in the same run, e.g. `autocannon`, `kubectl rollout status`. */
  peer?: string;
  peer_value?: number;
}

export type SuiteResults = Record<string, Metric>;

/** A suite's results as recorded: its metrics, and the commit and time of the run. */
export interface RecordedResults {
  metrics: SuiteResults;
  commit: string;
  date: string;
}

/** One benchmark suite: measures, prints its own tables, and returns its metrics. */
export type Suite = () => Promise<SuiteResults>;

/** A suite's page rendered from the results file it wrote (`path`); returns the page's path. */
export type Publish = (path: string) => string;

/** A results file as writeSuiteResults wrote it. */
export type ResultsDocument = Record<string, Metric | string> & { commit: string; date: string };

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Writes bench/results/<suite>.json and returns its path. */
export function writeSuiteResults(suite: string, metrics: SuiteResults, directory = 'bench/results'): string {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${suite}.json`);
  const document = { ...metrics, commit: currentCommit(), date: new Date().toISOString() };
  writeFileSync(path, JSON.stringify(document, null, 2) + '\n');
  return path;
}

/**
 * Reads a results file's text back (the inverse of writeSuiteResults), keeping the metrics in
 * file order; an entry that is not of the format throws, naming `source` and the entry.
 */
export function parseSuiteResults(text: string, source: string): RecordedResults {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error(`${source} must hold a JSON object of metrics plus "commit" and "date"`);
  }
  const { commit, date, ...entries } = document as Record<string, unknown>;
  if (typeof commit !== 'string' || typeof date !== 'string') {
    throw new Error(`${source} lacks "commit" or "date" (strings): re-run the suite to record them`);
  }
  const metrics: SuiteResults = {};
  for (const [name, entry] of Object.entries(entries)) {
    const metric = entry as Partial<Record<keyof Metric, unknown>> | null;
    const valid =
      typeof metric === 'object' &&
      metric !== null &&
      typeof metric.value === 'number' &&
      typeof metric.unit === 'string' &&
      (metric.peer === undefined || typeof metric.peer === 'string') &&
      (metric.peer_value === undefined || typeof metric.peer_value === 'number');
    if (!valid) {
      throw new Error(
        `${source}: metric ${name} must be { "value": number, "unit": string, "peer"?: string, "peer_value"?: number }`,
      );
    }
    metrics[name] = metric as Metric;
  }
  return { metrics, commit, date };
}

/** Median of a non-empty list (benchmarks report medians of repeated runs). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median (min–max)" for printing the spread of repeated runs. */
export function spread(values: readonly number[], digits = 1): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}
