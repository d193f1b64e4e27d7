/**
 * Traffic routers. `replicas`: canary pods sit behind the user-facing Service beside stable's, so
 * the share is the replica ratio. `gateway-api`: the user's HTTPRoute that sends traffic to the
 * Service gets weighted backendRefs to the two arm Services; its original backends are kept in our
 * annotation on the route and put back afterwards. `auto` picks Gateway API when such a route exists.
 */
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ClusterError } from '../errors.ts';
import { apiMessage, statusOf, unlessNotFound } from './cluster.ts';
import { ANNOTATIONS, FIELD_MANAGER } from './labels.ts';
import { routeReferencesService, weightedRouteRules, type RouteRule } from './manifests.ts';
import type { RolloutContext } from './rollout.ts';

export type Router = { kind: 'replicas' } | { kind: 'gateway-api'; route: string };

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_VERSION = 'v1';

interface HttpRoute extends KubernetesObject {
  spec?: { rules?: RouteRule[] };
}

async function listRoutes(ctx: RolloutContext): Promise<HttpRoute[] | undefined> {
  try {
    const list = (await ctx.cluster.custom.listNamespacedCustomObject({
      group: GATEWAY_GROUP,
      version: GATEWAY_VERSION,
      namespace: ctx.plan.namespace,
      plural: 'httproutes',
    })) as { items: HttpRoute[] };
    return list.items;
  } catch (error) {
    // 404: the Gateway API is not installed in this cluster.
    if (statusOf(error) === 404) return undefined;
    throw new ClusterError(
      `httproutes in ${ctx.plan.namespace}`,
      `could not be listed: ${apiMessage(error)}`,
    );
  }
}

/** Picks the router: the input, or for `auto` Gateway API when an HTTPRoute sends traffic to our Service. */
export async function resolveRouter(ctx: RolloutContext): Promise<Router> {
  const asked = ctx.plan.traffic.router;
  if (asked === 'replicas') return { kind: 'replicas' };
  const service = ctx.plan.objects.service;
  const ours = [service, ctx.plan.objects.stableService, ctx.plan.objects.canaryService];
  const routes = await listRoutes(ctx);
  const route = routes?.find((r) => ours.some((name) => routeReferencesService(r.spec?.rules ?? [], name)));
  if (route !== undefined) return { kind: 'gateway-api', route: route.metadata!.name! };
  if (asked === 'gateway-api') {
    throw new ClusterError(
      `namespace/${ctx.plan.namespace}`,
      routes === undefined
        ? 'traffic gateway-api needs the Gateway API (HTTPRoute) installed in the cluster'
        : `traffic gateway-api needs an HTTPRoute whose backendRefs name Service ${service}; none does`,
    );
  }
  return { kind: 'replicas' };
}

async function readRoute(ctx: RolloutContext, name: string): Promise<HttpRoute> {
  const route = (await unlessNotFound(
    ctx.cluster.custom.getNamespacedCustomObject({
      group: GATEWAY_GROUP,
      version: GATEWAY_VERSION,
      namespace: ctx.plan.namespace,
      plural: 'httproutes',
      name,
    }),
  )) as HttpRoute | undefined;
  if (route === undefined)
    throw new ClusterError(`HTTPRoute ${ctx.plan.namespace}/${name}`, 'disappeared during the rollout');
  return route;
}

async function patchRoute(
  ctx: RolloutContext,
  route: HttpRoute,
  patch: Record<string, unknown>,
): Promise<void> {
  try {
    await ctx.cluster.objects.patch(
      {
        apiVersion: `${GATEWAY_GROUP}/${GATEWAY_VERSION}`,
        kind: 'HTTPRoute',
        ...patch,
        metadata: {
          name: route.metadata!.name!,
          namespace: ctx.plan.namespace,
          // Optimistic concurrency: fail rather than overwrite someone's concurrent edit.
          resourceVersion: route.metadata!.resourceVersion!,
          ...((patch['metadata'] as object | undefined) ?? {}),
        },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (error) {
    throw new ClusterError(
      `HTTPRoute ${ctx.plan.namespace}/${route.metadata?.name}`,
      `could not be updated: ${apiMessage(error)}`,
    );
  }
}

/** Sets the route's weights to `100 − w : w` (stable : canary), remembering its original backends once. */
export async function routeCanaryWeight(ctx: RolloutContext, name: string, weight: number): Promise<void> {
  const route = await readRoute(ctx, name);
  const rules = route.spec?.rules ?? [];
  const saved = route.metadata?.annotations?.[ANNOTATIONS.originalBackends];
  await patchRoute(ctx, route, {
    metadata:
      saved === undefined ? { annotations: { [ANNOTATIONS.originalBackends]: JSON.stringify(rules) } } : {},
    spec: { rules: weightedRouteRules(rules, ctx.plan, ctx.serving.port, weight) },
  });
}

/** Puts the route's original backends back (all traffic to the user-facing Service) and drops our annotation. */
export async function restoreRoute(ctx: RolloutContext, name: string): Promise<void> {
  const route = await readRoute(ctx, name);
  const saved = route.metadata?.annotations?.[ANNOTATIONS.originalBackends];
  if (saved === undefined) return;
  await patchRoute(ctx, route, {
    metadata: { annotations: { [ANNOTATIONS.originalBackends]: null } },
    spec: { rules: JSON.parse(saved) as RouteRule[] },
  });
}
