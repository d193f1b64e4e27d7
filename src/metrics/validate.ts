/**
 * Adapter: the metric checks' queries, asked once of the metrics server before anything is built
 * or applied, so a query PromQL cannot parse fails the run at once with PromQL's own message (an
 * InputError on metrics-checks), and an unreachable server or a refused login fails it naming the
 * server, rather than leaving every step inconclusive after the deploy.
 */
import { InputError, type InputProblem } from '../errors.ts';
import type { MetricsSettings } from '../inputs/metrics.ts';
import type { Plan } from '../plan.ts';
import { PrometheusClient, PrometheusError } from './prometheus.ts';
import { renderQuery, type ArmPods } from './query.ts';

/** The window the queries are tried with: long enough for any rate() to have samples. */
const TRIAL_WINDOW_SECONDS = 300;

/**
 * Evaluates each of the user's checks once for `arm` (the new version's pods, which need not
 * exist: a query that selects nothing is fine here). Throws InputError naming every check PromQL
 * refused, or the PrometheusError of a server that did not answer.
 */
export async function validateMetricQueries(
  metrics: MetricsSettings,
  arm: ArmPods,
  client: Pick<PrometheusClient, 'query'>,
  nowSeconds: number,
): Promise<void> {
  const problems: InputProblem[] = [];
  for (const check of metrics.checks) {
    try {
      await client.query(renderQuery(check.query, arm, TRIAL_WINDOW_SECONDS), nowSeconds);
    } catch (error) {
      if (error instanceof PrometheusError && error.syntax) {
        problems.push({
          input: 'metrics-checks',
          message: `check '${check.name}' (${check.source}): ${error.message}`,
        });
      } else throw error;
    }
  }
  if (problems.length > 0) throw new InputError(problems);
}

/** Checks the run's metric queries on its server, for the new version's pods of `plan`. */
export async function checkMetricQueries(metrics: MetricsSettings, plan: Plan): Promise<void> {
  const client = new PrometheusClient(metrics.server);
  const arm: ArmPods = {
    namespace: plan.namespace,
    target: plan.target,
    track: plan.preview !== undefined ? 'stable' : 'canary',
    ...(plan.preview !== undefined ? { preview: plan.preview } : {}),
    deployment: plan.preview !== undefined ? plan.objects.stableDeployment : plan.objects.canaryDeployment,
  };
  try {
    await validateMetricQueries(metrics, arm, client, Date.now() / 1000);
  } finally {
    await client.close();
  }
}
