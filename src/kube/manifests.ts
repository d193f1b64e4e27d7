/**
 * Pure: Plan + Settings → the Kubernetes objects of a rollout. Stable and canary Deployments, the
 * user-facing Service, one Service per arm, and the weights written into a user's HTTPRoute.
 * Nothing here reads the cluster; what the cluster told us (stable's GPU product) comes in as values.
 */
import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Protocol } from '../inputs/probe.ts';
import type { Settings } from '../inputs/settings.ts';
import type { Plan } from '../plan.ts';
import {
  RUNTIME_PRESETS,
  serverCommand,
  servingEndpoints,
  TENSOR_PARALLEL_FLAGS,
  type ServingRuntime,
} from '../image/runtimes.ts';
import {
  ANNOTATIONS,
  GPU_PRODUCT_LABEL,
  LABELS,
  MANAGED_BY_VALUE,
  ownerLabels,
  POD_MONITOR,
  trackLabels,
  type Track,
} from './labels.ts';
import type { BudgetDecision, RollingUpdate } from './gpu-budget.ts';
import { renderPodTemplate } from './pod-spec.ts';

/** How the serving container is reached and probed; the build stage's runtime presets provide it. */
export interface ServingSpec {
  /** Model name in the runtime's paths (V2: `/v2/models/<name>/ready`). */
  modelName: string;
  port: number;
  /** Server-level health, used by the startup probe while weights load. */
  healthPath: string;
  /** Model-level readiness: the pod receives traffic only once the model itself answers. */
  readyPath: string;
  /** How long the model may take to load before the startup probe gives up on a container. */
  startupBudgetSeconds: number;
  /** The image's CMD, which added arguments start from (Kubernetes args replace CMD); unknown for a user's Dockerfile. */
  serverCommand?: string[];
  /** The runtime's flag for the number of GPUs one server spreads the model over (vLLM). */
  tensorParallel?: { flag: string; aliases: string[] };
  /** Where the server exports Prometheus metrics; unknown for a user's Dockerfile speaking V2. */
  metrics?: { port: number; path: string };
}

/** Open Inference Protocol (V2) defaults, as Triton, MLServer and KServe serve them. */
export function v2Serving(modelName: string, startupBudgetSeconds = 600): ServingSpec {
  return {
    modelName,
    port: 8080,
    healthPath: '/v2/health/live',
    readyPath: `/v2/models/${modelName}/ready`,
    startupBudgetSeconds,
  };
}

/**
 * The OpenAI-compatible defaults (vLLM's port and paths), for a user's Dockerfile whose probe
 * speaks OpenAI: the server answers `/health` once it serves.
 */
export function openAiServing(modelName: string, startupBudgetSeconds = 600): ServingSpec {
  return {
    modelName,
    port: 8000,
    healthPath: '/health',
    readyPath: '/health',
    startupBudgetSeconds,
    // OpenAI-compatible servers (vLLM, TGI, SGLang) export metrics at /metrics on the serving port.
    metrics: { port: 8000, path: '/metrics' },
  };
}

/**
 * Port and probe paths of the model's runtime (its preset, for the model name the build found);
 * for a runtime without one (a user's Dockerfile), the defaults of the protocol its probe speaks.
 */
export function servingFor(runtime: string, modelName: string, protocol: Protocol): ServingSpec {
  if (!(runtime in RUNTIME_PRESETS)) {
    return protocol === 'openai' ? openAiServing(modelName) : v2Serving(modelName);
  }
  const endpoints = servingEndpoints(runtime as ServingRuntime, modelName);
  const tensorParallel = TENSOR_PARALLEL_FLAGS[runtime as ServingRuntime];
  return {
    modelName,
    port: endpoints.port,
    healthPath: endpoints.livenessPath,
    readyPath: endpoints.readinessPath,
    startupBudgetSeconds: 600,
    serverCommand: serverCommand(runtime as ServingRuntime),
    ...(tensorParallel !== undefined ? { tensorParallel } : {}),
    metrics: { ...RUNTIME_PRESETS[runtime as ServingRuntime].metrics },
  };
}

/** What one Deployment runs; everything else comes from the plan and settings. */
export interface ArmSpec {
  track: Track;
  /** `repository:tag` or `repository@sha256:…`. */
  image: string;
  /** Undefined: an autoscaler owns the count, and the field is left out of the apply. */
  replicas: number | undefined;
  /** How pods are replaced when it is not the default (rollingUpdateFor): the GPU budget's choice. */
  rollingUpdate?: RollingUpdate;
  /** The rollout's GPU budget, kept in an annotation of the canary Deployment. */
  budget?: BudgetDecision;
  /** `nvidia.com/gpu.product` of stable's nodes: the canary is pinned to it for a fair comparison. */
  gpuProduct?: string;
  /** The stable image this one replaces, kept in an annotation so `revert` can return to it. */
  previousImage?: string;
  /** Digest of `image`, when known (from the build or from the pods' imageID). */
  imageDigest?: string;
  /** Secrets the node pulls the image with. */
  imagePullSecrets?: string[];
}

/** Workflow run identity, also the Lease holder: `owner/repo/runId/attempt`. */
export function runIdentity(run: Settings['run']): string {
  return `${run.repository || 'local'}/${run.runId}/${run.runAttempt}`;
}

/** Human-readable model source for annotations (never a token: hf:// URLs carry none). */
export function modelDescription(settings: Settings): string {
  const model = settings.build.model;
  if (model === undefined) return '';
  if (model.kind === 'path') return model.path;
  return `hf://${model.repository}${model.revision !== undefined ? `@${model.revision}` : ''}`;
}

function deploymentName(plan: Plan, track: Track): string {
  return track === 'stable' ? plan.objects.stableDeployment : plan.objects.canaryDeployment;
}

/** One arm's Deployment: its pod template (src/kube/pod-spec.ts), replicas, selector and our labels. */
export function renderDeployment(
  plan: Plan,
  settings: Settings,
  serving: ServingSpec,
  arm: ArmSpec,
): V1Deployment & { apiVersion: string; kind: string } {
  const labels = trackLabels(plan.target, arm.track, plan.preview);
  const annotations: Record<string, string> = {
    [ANNOTATIONS.model]: modelDescription(settings),
    [ANNOTATIONS.commit]: settings.run.sha,
    [ANNOTATIONS.run]: runIdentity(settings.run),
    ...(arm.imageDigest !== undefined ? { [ANNOTATIONS.imageDigest]: arm.imageDigest } : {}),
    ...(arm.previousImage !== undefined ? { [ANNOTATIONS.previousImage]: arm.previousImage } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(plan, arm.track),
      namespace: plan.namespace,
      labels,
      annotations: {
        ...annotations,
        ...(arm.budget !== undefined ? { [ANNOTATIONS.gpuBudget]: budgetAnnotation(arm.budget) } : {}),
      },
    },
    spec: {
      ...(arm.replicas !== undefined ? { replicas: arm.replicas } : {}),
      selector: { matchLabels: labels },
      // Kubernetes' own verdict arrives after the startup budget plus a margin; ours comes sooner.
      progressDeadlineSeconds: serving.startupBudgetSeconds + 60,
      revisionHistoryLimit: 3,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: arm.rollingUpdate ?? rollingUpdateFor(settings, arm.replicas ?? 2, arm.track),
      },
      template: renderPodTemplate(settings, serving, {
        image: arm.image,
        labels,
        annotations,
        extraNodeSelector:
          arm.gpuProduct !== undefined && settings.workload.gpus > 0
            ? { [GPU_PRODUCT_LABEL]: arm.gpuProduct }
            : {},
        ...(arm.imagePullSecrets !== undefined ? { imagePullSecrets: arm.imagePullSecrets } : {}),
      }),
    },
  };
}

/** The budget as the canary Deployment's annotation keeps it (what a later undo or promotion reads). */
export function budgetAnnotation(budget: BudgetDecision): string {
  return JSON.stringify({
    mode: budget.mode,
    stableReplicas: budget.stableReplicas,
    replicaSlots: budget.replicaSlots,
    ...(budget.autoscaler !== undefined ? { autoscaler: budget.autoscaler } : {}),
  });
}

/** The budget from the canary Deployment's annotation; undefined when absent or unreadable. */
export function budgetFromAnnotation(text: string | undefined): BudgetDecision | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<BudgetDecision>;
    const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
    if (
      (value.mode !== 'spare' && value.mode !== 'shift') ||
      !count(value.stableReplicas) ||
      !count(value.replicaSlots)
    )
      return undefined;
    return {
      mode: value.mode,
      reason: 'kept on the canary Deployment',
      stableReplicas: value.stableReplicas,
      replicaSlots: value.replicaSlots,
      ...(value.autoscaler !== undefined ? { autoscaler: value.autoscaler } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * GPU clusters rarely have a spare GPU for a surge pod, so with several GPU replicas one old pod
 * goes before its replacement starts (the canary keeps serving beside them during a promotion). A
 * single stable replica, or CPU pods, surge instead: a new pod is ready before the old one goes.
 * A GPU canary never surges: stable serves while a canary pod is replaced, and the pre-flight
 * counts an earlier canary's GPUs (a killed attempt's, which a re-run rolls) as free for the new one.
 */
export function rollingUpdateFor(settings: Settings, replicas: number, track: Track): RollingUpdate {
  return settings.workload.gpus > 0 && (replicas > 1 || track === 'canary')
    ? { maxSurge: 0, maxUnavailable: 1 }
    : { maxSurge: 1, maxUnavailable: 0 };
}

export type ServiceRole = 'user' | Track;

/**
 * A Service. `user` is the user-facing one: with the `replicas` router it selects both arms, so
 * traffic splits by pod count; with `gateway-api` it selects stable only and the route splits.
 * The arm Services select one track each, so the analysis can measure each arm on its own.
 */
export function renderService(
  plan: Plan,
  serving: ServingSpec,
  role: ServiceRole,
  router: 'replicas' | 'gateway-api',
): V1Service & { apiVersion: string; kind: string } {
  const name =
    role === 'user'
      ? plan.objects.service
      : role === 'stable'
        ? plan.objects.stableService
        : plan.objects.canaryService;
  const owner = ownerLabels(plan.target, plan.preview);
  const selector: Record<string, string> =
    role === 'user'
      ? router === 'replicas'
        ? { [LABELS.target]: plan.target }
        : { [LABELS.target]: plan.target, [LABELS.track]: 'stable' }
      : { [LABELS.target]: plan.target, [LABELS.track]: role };
  if (plan.preview !== undefined) selector[LABELS.preview] = plan.preview;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: plan.namespace,
      labels: role === 'user' ? owner : { ...owner, [LABELS.track]: role },
    },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: serving.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** How often the PodMonitor has the server scraped: a step's window then holds a dozen samples a minute. */
export const POD_MONITOR_INTERVAL = '5s';

/**
 * The target's PodMonitor (Prometheus Operator), for both arms' pods: their metrics endpoint, and
 * the target, track and preview labels copied onto every series, so a metric check's
 * `{{ selector }}` tells the arms apart (src/metrics/query.ts). Undefined when the server's metrics
 * endpoint is unknown.
 */
export function renderPodMonitor(
  plan: Plan,
  serving: ServingSpec,
): (KubernetesObject & { spec: Record<string, unknown> }) | undefined {
  if (serving.metrics === undefined) return undefined;
  const selector: Record<string, string> = {
    [LABELS.target]: plan.target,
    [LABELS.managedBy]: MANAGED_BY_VALUE,
  };
  if (plan.preview !== undefined) selector[LABELS.preview] = plan.preview;
  return {
    ...POD_MONITOR,
    metadata: {
      name: plan.objects.service,
      namespace: plan.namespace,
      labels: ownerLabels(plan.target, plan.preview),
    },
    spec: {
      selector: { matchLabels: selector },
      podTargetLabels: [LABELS.target, LABELS.track, LABELS.preview],
      podMetricsEndpoints: [
        {
          port: serving.metrics.port === serving.port ? 'http' : 'metrics',
          path: serving.metrics.path,
          interval: POD_MONITOR_INTERVAL,
        },
      ],
    },
  };
}

/** Canary replicas for a traffic share, as Azure/k8s-deploy's pod method: round(replicas × w), at least 1. */
export function canaryReplicasFor(stableReplicas: number, weightPercent: number): number {
  return Math.max(1, Math.round((stableReplicas * weightPercent) / 100));
}

/** The share of requests the canary really gets when the Service spreads evenly over pods. */
export function achievedShare(stableReplicas: number, canaryReplicas: number): number {
  return canaryReplicas / (stableReplicas + canaryReplicas);
}

/** A backendRef of an HTTPRoute rule (the fields we read or write). */
export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
}

export interface RouteRule {
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}

function refersToService(ref: BackendRef, name: string): boolean {
  return (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '' && ref.name === name;
}

/** True when any rule of the route sends traffic to the Service `name`. */
export function routeReferencesService(rules: readonly RouteRule[], name: string): boolean {
  return rules.some((rule) => (rule.backendRefs ?? []).some((ref) => refersToService(ref, name)));
}

/**
 * The route's rules with each reference to the user-facing Service (or to an arm Service from an
 * earlier step) replaced by the two arm Services weighted `100 − w : w`. Other backends stay.
 */
export function weightedRouteRules(
  rules: readonly RouteRule[],
  plan: Plan,
  port: number,
  canaryWeightPercent: number,
): RouteRule[] {
  const ours = [plan.objects.service, plan.objects.stableService, plan.objects.canaryService];
  return rules.map((rule) => {
    const refs = rule.backendRefs ?? [];
    if (!refs.some((ref) => ours.some((name) => refersToService(ref, name)))) return rule;
    const others = refs.filter((ref) => !ours.some((name) => refersToService(ref, name)));
    const first = refs.find((ref) => ours.some((name) => refersToService(ref, name)))!;
    const portOf = first.port ?? port;
    return {
      ...rule,
      backendRefs: [
        ...others,
        { name: plan.objects.stableService, port: portOf, weight: 100 - canaryWeightPercent },
        { name: plan.objects.canaryService, port: portOf, weight: canaryWeightPercent },
      ],
    };
  });
}
