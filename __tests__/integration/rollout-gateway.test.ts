/**
 * The Gateway API router on the local cluster's real Gateway (GatewayClass `model-canary`): `auto`
 * finds the user's HTTPRoute to the Service, the canary steps rewrite its backend weights to the
 * two arm Services (and requests through the Gateway really split), and promotion puts the
 * route's own backends back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../../src/kube/labels.ts';
import { deployCanary, promoteCanary, setCanaryWeight } from '../../src/kube/rollout.ts';
import { fixtureImage, type FixtureImage } from '../fixtures/rollout/images.ts';
import {
  fixtureSettings,
  recordedContext,
  type RecordedContext,
} from '../fixtures/rollout/rollout-context.ts';
import { createTestNamespace, deleteTestNamespace, requireLocalCluster } from './local-cluster.ts';

let config: KubeConfig;
let namespace: string;
let v1: FixtureImage;
let v2: FixtureImage;
const GROUP = 'gateway.networking.k8s.io';

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'rollout-gw');
  [v1, v2] = await Promise.all([fixtureImage('ok', 'v1'), fixtureImage('ok', 'v2')]);
}, 300_000);

afterAll(async () => {
  if (config !== undefined && namespace !== undefined) await deleteTestNamespace(config, namespace);
});

interface Route {
  metadata: { annotations?: Record<string, string> };
  spec: { rules: { backendRefs: { name: string; port: number; weight?: number }[] }[] };
}

async function readRoute(ctx: RecordedContext): Promise<Route> {
  return (await ctx.cluster.custom.getNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace,
    plural: 'httproutes',
    name: 'models',
  })) as Route;
}

/** One request through the Gateway; retried while kube-proxy has not yet programmed a new arm Service. */
async function throughGateway(ctx: RecordedContext): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await ctx.cluster.core.connectGetNamespacedServiceProxyWithPath({
        name: 'web-gateway:80',
        namespace,
        path: 'version',
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Versions answered by `count` requests through the Gateway's Service (API server proxy). */
async function versionsThroughGateway(ctx: RecordedContext, count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const body = await throughGateway(ctx);
    // The client parses a JSON answer itself.
    const answer = (typeof body === 'string' ? JSON.parse(body) : body) as { version: string };
    const version = answer.version;
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

async function untilGatewayAnswers(ctx: RecordedContext): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await versionsThroughGateway(ctx, 1);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

describe('the gateway-api router', () => {
  it('splits by HTTPRoute weights at each step and restores the route on promotion', async () => {
    const settings = fixtureSettings({
      namespace,
      name: 'gw',
      gpus: '0',
      tolerations: 'nvidia.com/gpu',
      'canary-steps': '20,50',
    });
    const first = recordedContext(config, settings);
    await promoteCanary(first, await deployCanary(first, v1.reference));

    await first.cluster.custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'gateways',
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'Gateway',
        metadata: { name: 'web' },
        spec: { gatewayClassName: 'model-canary', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      },
    });
    const original = {
      parentRefs: [{ name: 'web' }],
      rules: [{ backendRefs: [{ name: 'gw', port: 8080 }] }],
    };
    await first.cluster.custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'httproutes',
      body: { apiVersion: `${GROUP}/v1`, kind: 'HTTPRoute', metadata: { name: 'models' }, spec: original },
    });

    const ctx = recordedContext(config, settings);
    let state = await deployCanary(ctx, v2.reference);
    expect(state.router).toEqual({ kind: 'gateway-api', route: 'models' });
    expect(state.achievedPercent).toBe(20);
    let route = await readRoute(ctx);
    expect(
      route.spec.rules[0]!.backendRefs.map(({ name, port, weight }) => ({ name, port, weight })),
    ).toEqual([
      { name: 'gw-stable', port: 8080, weight: 80 },
      { name: 'gw-canary', port: 8080, weight: 20 },
    ]);
    const saved = JSON.parse(
      route.metadata.annotations![ANNOTATIONS.originalBackends]!,
    ) as Route['spec']['rules'];
    expect(saved.map((rule) => rule.backendRefs.map((ref) => ref.name))).toEqual([['gw']]);
    await untilGatewayAnswers(ctx);
    const at20 = await versionsThroughGateway(ctx, 200);
    // 200 draws at p = 0.2: 40 ± 5.7 (one sd); 15..70 is a band of more than 4 sd.
    expect((at20['v1'] ?? 0) + (at20['v2'] ?? 0)).toBe(200);
    expect(at20['v2']).toBeGreaterThanOrEqual(15);
    expect(at20['v2']).toBeLessThanOrEqual(70);

    state = await setCanaryWeight(ctx, state, 50);
    route = await readRoute(ctx);
    expect(route.spec.rules[0]!.backendRefs.map((ref) => ref.weight)).toEqual([50, 50]);

    await promoteCanary(ctx, state);
    route = await readRoute(ctx);
    expect(route.spec.rules).toEqual(saved);
    expect(route.spec.rules[0]!.backendRefs).toMatchObject([{ name: 'gw', port: 8080 }]);
    expect(route.metadata.annotations?.[ANNOTATIONS.originalBackends]).toBeUndefined();
    const after = await versionsThroughGateway(ctx, 20);
    expect(after).toEqual({ v2: 20 });
  }, 300_000);
});
