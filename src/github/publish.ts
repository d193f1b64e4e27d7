/**
 * Adapter: puts a finished run's RunReport where users read it — the JSON `report` file, the step
 * outputs, the job summary and one line in the log. Rendering itself is pure (job-summary.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as runner from './runner.ts';
import { renderJobSummary } from './job-summary.ts';
import { reportDocument, reportOutputs, type RunReport } from '../report.ts';

/**
 * Where the JSON report goes: the runner's per-job temporary folder (emptied after each job, so a
 * report never leaks into the next job), or the system's temporary folder outside a runner — never
 * the checkout, where it could end up committed.
 */
export function reportDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP !== undefined && env.RUNNER_TEMP !== '' ? env.RUNNER_TEMP : tmpdir();
}

/** Writes the JSON report, sets every output and appends the job summary; returns the report's path. */
export async function publishRunReport(report: RunReport, directory = reportDirectory()): Promise<string> {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `model-canary-report-${report.target}.json`);
  writeFileSync(path, `${JSON.stringify(reportDocument(report), null, 2)}\n`);
  for (const [name, value] of Object.entries(reportOutputs(report, path))) runner.setOutput(name, value);
  runner.info(`model-canary: ${report.decision}: ${report.reason}`);
  await runner.appendSummary(renderJobSummary(report));
  return path;
}
