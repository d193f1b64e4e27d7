/**
 * Metric checks (docs/metrics.md) through `node dist/index.js` as the runner runs it, on the local
 * cluster with its Prometheus (hack/lib/prometheus.sh), which finds the pods by Kubernetes service
 * discovery and scrapes the tiny chat model's vLLM-named metrics (examples/models/tiny-chat):
 *
 * - a canary whose server-side queue time doubles (BATCH_INTERVAL_MS 10 → 20), which the probe's
 *   latency gate does not see, is reverted by a metric check; the same model again is promoted;
 * - a query with a typo fails before anything is built or deployed, with PromQL's own message;
 * - Prometheus becoming unreachable mid-analysis makes the step inconclusive, naming the address,
 *   and the run does what on-inconclusive says.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { pushJob } from './action-job.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  PYTHON_BASE_IMAGE,
  requireLocalCluster,
  requirePrometheus,
} from './local-cluster.ts';

let config: KubeConfig;
let prometheus: string;
let namespace: string;

beforeAll(async () => {
  config = await requireLocalCluster();
  prometheus = await requirePrometheus();
  namespace = await createTestNamespace(config, 'metrics');
});

afterAll(async () => {
  if (namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** The mean time a request waited for the scheduler, canary against stable. */
const QUEUE_CHECK = `
- name: queue-time-mean
  query: >-
    sum(increase(vllm:request_queue_time_seconds_sum{ {{ selector }} }[{{ window }}]))
    / sum(increase(vllm:request_queue_time_seconds_count{ {{ selector }} }[{{ window }}]))
  max-ratio: 1.5
  unit: s
`;

/**
 * The chat model behind its own Dockerfile, probed with whole (unstreamed) answers of 16 words at
 * 10 ms each, so a queue 5 ms longer on average is a few percent of the probe's latency, inside a
 * max-regression of 20 %, and only the server's queue-time histogram shows it.
 */
const chat = (batchIntervalMs: number, extra: Record<string, string> = {}) => ({
  model: 'examples/models/tiny-chat',
  dockerfile: 'examples/models/tiny-chat/Dockerfile',
  'probe-protocol': 'openai',
  'build-args': `BASE_IMAGE=${PYTHON_BASE_IMAGE}`,
  'probe-payload': 'examples/models/payloads/tiny-chat-unstreamed.jsonl',
  env: `BATCH_INTERVAL_MS=${batchIntervalMs}\nTOKEN_DELAY_MS=10`,
  'max-regression': '20%',
  'metrics-url': prometheus,
  ...extra,
});

interface ReportDocument {
  checks: { name: string; outcome: string }[];
  metrics?: {
    check: string;
    canary?: number;
    stable?: number;
    outcome: string;
    series: { canary: unknown[]; stable?: unknown[] };
    history: unknown[];
  }[];
}

const reportOf = (outputs: Record<string, string>): ReportDocument =>
  JSON.parse(readFileSync(outputs['report']!, 'utf8')) as ReportDocument;

describe('a metric check on the queue time Prometheus sees', () => {
  it('promotes the same model and reverts one whose server-side queue time doubled, which the probe did not see', async () => {
    const first = await pushJob(namespace, 'chat', 'first', chat(10, { 'metrics-checks': QUEUE_CHECK }));
    expect([first.outputs['decision'], first.code, first.output]).toEqual(['promoted', 0, first.output]);

    const same = await pushJob(namespace, 'chat', 'same', chat(10, { 'metrics-checks': QUEUE_CHECK }));
    expect([same.outputs['decision'], same.code, same.output]).toEqual(['promoted', 0, same.output]);
    expect(same.summary).toMatch(
      /\| queue-time-mean \| <code>sum\(increase\(vllm:request_queue_time_seconds_sum\{ namespace="/,
    );
    const passed = reportOf(same.outputs).metrics?.find((metric) => metric.check === 'queue-time-mean');
    expect(passed).toMatchObject({ outcome: 'pass' });
    expect(passed!.series.canary.length).toBeGreaterThan(0);
    expect(passed!.history.length).toBeGreaterThan(0);

    const slower = await pushJob(
      namespace,
      'chat',
      'slower-queue',
      chat(20, { 'metrics-checks': QUEUE_CHECK }),
    );
    expect([slower.outputs['decision'], slower.output]).toEqual(['reverted', slower.output]);
    const report = reportOf(slower.outputs);
    // A longer queue also lengthens what the built-in checks watch (the server's own queue time
    // and time to first token), so any metric check may be the one the reason names: one that
    // failed in the report.
    const named = /^([\w-]+): canary /.exec(slower.outputs['reason'] ?? '')?.[1];
    expect(report.metrics?.find((metric) => metric.check === named)?.outcome).toBe('fail');
    // The probe's own latency comparison did not revert it: only the server's metrics did.
    expect(report.checks.find((check) => check.name === 'latency')?.outcome).not.toBe('fail');
    // The user's check saw the doubled queue too. It fails at the last look; when a built-in check
    // reverted the step at an earlier look it is still waiting for the window to fill.
    const queue = report.metrics?.find((metric) => metric.check === 'queue-time-mean');
    expect(['fail', 'inconclusive']).toContain(queue?.outcome);
    expect(queue!.canary! / queue!.stable!).toBeGreaterThan(1.5);
    expect(slower.summary).toMatch(/### Metrics/);
  });
});

describe('a metric query with a typo', () => {
  it("fails before anything is built or deployed, with PromQL's own message", async () => {
    const typo = `
- name: queue
  query: rat(vllm:request_queue_time_seconds_sum{ {{ selector }} }[{{ window }}])
  max: 1
`;
    const job = await pushJob(namespace, 'typo', 'typo', chat(10, { 'metrics-checks': typo }));
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['skipped', 1, job.output]);
    expect(job.outputs['reason']).toMatch(
      /^metrics-checks: check 'queue' \(metrics-checks item 1\): metrics server http:\/\/127\.0\.0\.1:9090 refused the query rat\(.*\): .*parse error: unknown function with name "rat"/,
    );
    expect(job.output).not.toMatch(/model-canary: build/);
    const deployments = await config.makeApiClient(AppsV1Api).listNamespacedDeployment({
      namespace,
      labelSelector: 'model-canary.dev/target=typo',
    });
    expect(deployments.items).toEqual([]);
  });
});

/**
 * A TCP relay to Prometheus that stops listening, and cuts its connections, once it has relayed
 * `queries` instant queries: the metrics server going away in the middle of an analysis.
 */
async function relayClosingAfter(
  queries: number,
): Promise<{ url: string; cutMidway: () => boolean; close: () => void }> {
  const target = new URL(prometheus);
  const sockets = new Set<Socket>();
  let seen = 0;
  let cut = false;
  const close = (): void => {
    if (server.listening) server.close();
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1').split('POST /api/v1/query').length - 1;
      if (seen > queries && !cut) {
        cut = true;
        close();
      }
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, cutMidway: () => cut, close };
}

describe('Prometheus unreachable mid-analysis', () => {
  /** Always within bound while Prometheus answers: only its going away can make it anything else. */
  const ALWAYS_WITHIN = `
- name: queue-within-a-second
  query: >-
    sum(increase(vllm:request_queue_time_seconds_sum{ {{ selector }} }[{{ window }}]))
    / sum(increase(vllm:request_queue_time_seconds_count{ {{ selector }} }[{{ window }}]))
  max: 1
`;

  it('is inconclusive naming the address, and follows on-inconclusive (promote, then revert)', async () => {
    // One query to check the checks before the build, then one per arm every 2 s of the 15 s window.
    const first = await relayClosingAfter(1 + 3);
    const promoted = await pushJob(
      namespace,
      'away',
      'away-promote',
      chat(10, {
        'metrics-url': first.url,
        'metrics-checks': ALWAYS_WITHIN,
        'metrics-builtin': 'false',
        'on-inconclusive': 'promote',
      }),
    );
    first.close();
    expect([first.cutMidway(), promoted.output]).toEqual([true, promoted.output]);
    expect([promoted.outputs['decision'], promoted.output]).toEqual(['promoted', promoted.output]);
    expect(promoted.outputs['reason']).toContain(`could not connect to ${first.url}`);
    expect(promoted.outputs['reason']).toMatch(/on-inconclusive promote: promote$/);

    const second = await relayClosingAfter(1 + 6);
    const reverted = await pushJob(
      namespace,
      'away',
      'away-revert',
      chat(10, {
        'metrics-url': second.url,
        'metrics-checks': ALWAYS_WITHIN,
        'metrics-builtin': 'false',
        'on-inconclusive': 'revert',
      }),
    );
    second.close();
    expect([second.cutMidway(), reverted.output]).toEqual([true, reverted.output]);
    expect([reverted.outputs['decision'], reverted.output]).toEqual(['reverted', reverted.output]);
    expect(reverted.outputs['reason']).toContain(`could not connect to ${second.url}`);
    expect(reverted.outputs['reason']).toMatch(/on-inconclusive revert: revert$/);
  });
});
