/**
 * Pure: the pod template of one arm. It starts from the user's pod template (input pod-template)
 * when there is one, and from an empty pod otherwise. The action then sets only what it must:
 * the model container's image, ports, GPU resources and probes (unless the template sets them),
 * the GPU toleration, labels, /dev/shm, and the short inputs (env, env-from, args,
 * service-account, image pull secrets). Everything else in the template is kept as written.
 */
import type {
  V1Container,
  V1EnvFromSource,
  V1EnvVar,
  V1LocalObjectReference,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Toleration,
  V1Volume,
} from '@kubernetes/client-node';
import type { Settings } from '../inputs/settings.ts';
import { MODEL_CONTAINER_NAME } from '../inputs/pod-template.ts';
import type { ServingSpec } from './manifests.ts';
import { GPU_TAINT_KEY, SCRAPE_ANNOTATIONS } from './labels.ts';

const PROBE_PERIOD_SECONDS = 2;
const STARTUP_PROBE_PERIOD_SECONDS = 5;
const SHM_VOLUME = 'dshm';

/** What differs between the two arms' pods; the rest comes from the settings. */
export interface PodArm {
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Node labels the arm is pinned to beyond node-selector (stable's GPU product). */
  extraNodeSelector: Record<string, string>;
  /** Secrets the node pulls the image with (input image-pull-secret, or the one the action made). */
  imagePullSecrets?: string[];
}

/** Resource requests/limits: the `resources` input plus `gpus` × `gpu-resource` in limits. */
export function containerResources(settings: Settings): {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
} {
  const limits: Record<string, string> = { ...settings.workload.resources.limits };
  if (settings.workload.gpus > 0) limits[settings.workload.gpuResource] = String(settings.workload.gpus);
  const requests = { ...settings.workload.resources.requests };
  // Extended resources cannot be overcommitted: a request, when given, must equal the limit.
  if (settings.workload.gpus > 0 && settings.workload.gpuResource in requests)
    requests[settings.workload.gpuResource] = String(settings.workload.gpus);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/** The GPU taint toleration (any value, any effect) followed by the user's own tolerations. */
export function podTolerations(settings: Settings): V1Toleration[] {
  const gpu: V1Toleration[] =
    settings.workload.gpus > 0 &&
    !settings.workload.tolerations.some((t) => t.key === GPU_TAINT_KEY && t.operator === 'Exists')
      ? [{ key: GPU_TAINT_KEY, operator: 'Exists' }]
      : [];
  return [
    ...gpu,
    ...settings.workload.tolerations.map((t) => ({
      key: t.key,
      operator: t.operator,
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(t.effect !== undefined ? { effect: t.effect } : {}),
    })),
  ];
}

/**
 * The model container's arguments: the template's own when it sets them, else the image's CMD
 * when arguments are added (Kubernetes args replace CMD), then input args, then the runtime's
 * tensor-parallel flag for several GPUs unless the arguments already give it.
 */
export function modelArgs(
  settings: Settings,
  serving: ServingSpec,
  templateArgs?: string[],
): string[] | undefined {
  const tensorParallel = serving.tensorParallel;
  const added = [...settings.workload.args];
  const given = [...(templateArgs ?? []), ...added];
  const setsTensorParallel = (arg: string): boolean =>
    tensorParallel !== undefined &&
    [tensorParallel.flag, ...tensorParallel.aliases].some(
      (flag) => arg === flag || arg.startsWith(`${flag}=`),
    );
  if (tensorParallel !== undefined && settings.workload.gpus > 1 && !given.some(setsTensorParallel)) {
    added.push(`${tensorParallel.flag}=${settings.workload.gpus}`);
  }
  if (templateArgs !== undefined) return [...templateArgs, ...added];
  if (added.length === 0) return undefined;
  return [...(serving.serverCommand ?? []), ...added];
}

/** The container the model runs in: the one named `model`, else the first. */
function modelContainerOf(containers: V1Container[]): V1Container | undefined {
  return containers.find((c) => c.name === MODEL_CONTAINER_NAME) ?? containers[0];
}

/** Entries of `ours` after those of `theirs` that `ours` does not replace (same key). */
function mergeBy<T>(theirs: T[] | undefined, ours: T[], key: (item: T) => string): T[] {
  const replaced = new Set(ours.map(key));
  return [...(theirs ?? []).filter((item) => !replaced.has(key(item))), ...ours];
}

/** The model container: the template's, with the action's fields set on it. */
function renderModelContainer(
  settings: Settings,
  serving: ServingSpec,
  image: string,
  theirs: V1Container | undefined,
): V1Container {
  const startupFailures = Math.max(1, Math.ceil(serving.startupBudgetSeconds / STARTUP_PROBE_PERIOD_SECONDS));
  const ours = containerResources(settings);
  const resources = {
    ...theirs?.resources,
    ...(ours.requests !== undefined || theirs?.resources?.requests !== undefined
      ? { requests: { ...theirs?.resources?.requests, ...ours.requests } }
      : {}),
    ...(ours.limits !== undefined || theirs?.resources?.limits !== undefined
      ? { limits: { ...theirs?.resources?.limits, ...ours.limits } }
      : {}),
  };
  const env: V1EnvVar[] = mergeBy(
    theirs?.env,
    Object.entries(settings.workload.env).map(([name, value]) => ({ name, value })),
    (v) => v.name,
  );
  const envFrom: V1EnvFromSource[] = [
    ...(theirs?.envFrom ?? []),
    ...settings.workload.envFrom.map((source) =>
      source.kind === 'secret'
        ? { secretRef: { name: source.name } }
        : { configMapRef: { name: source.name } },
    ),
  ];
  const args = modelArgs(settings, serving, theirs?.args);
  const mountsShm = (theirs?.volumeMounts ?? []).some((m) => m.mountPath === '/dev/shm');
  const volumeMounts = [
    ...(theirs?.volumeMounts ?? []),
    ...(mountsShm ? [] : [{ name: SHM_VOLUME, mountPath: '/dev/shm' }]),
  ];
  // The probe and the Services reach the server by the port name `http`; a PodMonitor scrapes
  // the metrics port by its name `metrics` when the server exports them on a port of their own.
  const metricsPort =
    serving.metrics !== undefined && serving.metrics.port !== serving.port ? serving.metrics.port : undefined;
  const ports = [
    { name: 'http', containerPort: serving.port, protocol: 'TCP' },
    ...(metricsPort !== undefined ? [{ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' }] : []),
    ...(theirs?.ports ?? []).filter(
      (p) =>
        p.name !== 'http' &&
        p.containerPort !== serving.port &&
        (metricsPort === undefined || (p.name !== 'metrics' && p.containerPort !== metricsPort)),
    ),
  ];
  return {
    ...theirs,
    name: theirs?.name ?? MODEL_CONTAINER_NAME,
    image,
    ports,
    resources,
    ...(env.length > 0 ? { env } : {}),
    ...(envFrom.length > 0 ? { envFrom } : {}),
    ...(args !== undefined ? { args } : {}),
    startupProbe: theirs?.startupProbe ?? {
      httpGet: { path: serving.healthPath, port: 'http' },
      periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
      failureThreshold: startupFailures,
      timeoutSeconds: 2,
    },
    readinessProbe: theirs?.readinessProbe ?? {
      httpGet: { path: serving.readyPath, port: 'http' },
      periodSeconds: PROBE_PERIOD_SECONDS,
      failureThreshold: 2,
      timeoutSeconds: 2,
    },
    volumeMounts,
  };
}

/** The usual scrape annotations for the server's metrics endpoint (none when it is unknown). */
export function scrapeAnnotations(serving: ServingSpec): Record<string, string> {
  if (serving.metrics === undefined) return {};
  return {
    [SCRAPE_ANNOTATIONS.scrape]: 'true',
    [SCRAPE_ANNOTATIONS.port]: String(serving.metrics.port),
    [SCRAPE_ANNOTATIONS.path]: serving.metrics.path,
  };
}

/** One arm's pod template: the user's template (or none) with what the action owns set on it. */
export function renderPodTemplate(settings: Settings, serving: ServingSpec, arm: PodArm): V1PodTemplateSpec {
  const template = settings.workload.podTemplate?.template;
  const theirs: Partial<V1PodSpec> = template?.spec ?? {};
  const theirContainers = theirs.containers ?? [];
  const modelContainer = modelContainerOf(theirContainers);
  // The model container goes first: the rollout reads a Deployment's image from containers[0].
  const containers = [
    renderModelContainer(settings, serving, arm.image, modelContainer),
    ...theirContainers.filter((c) => c !== modelContainer),
  ];
  const volumes: V1Volume[] = [
    ...(theirs.volumes ?? []),
    ...((theirs.volumes ?? []).some((v) => v.name === SHM_VOLUME) ||
    (modelContainer?.volumeMounts ?? []).some((m) => m.mountPath === '/dev/shm')
      ? []
      : [
          {
            // Frameworks use /dev/shm for inter-process tensors; the runtime's 64 MiB default is too small.
            name: SHM_VOLUME,
            emptyDir: {
              medium: 'Memory',
              ...(settings.workload.shmSize !== undefined ? { sizeLimit: settings.workload.shmSize } : {}),
            },
          },
        ]),
  ];
  const nodeSelector = {
    ...theirs.nodeSelector,
    ...settings.workload.nodeSelector,
    ...arm.extraNodeSelector,
  };
  const tolerations = mergeBy(theirs.tolerations, podTolerations(settings), (t) => JSON.stringify(t));
  const pullSecrets: V1LocalObjectReference[] = mergeBy(
    theirs.imagePullSecrets,
    (arm.imagePullSecrets ?? []).map((name) => ({ name })),
    (s) => s.name ?? '',
  );
  const serviceAccountName = settings.workload.serviceAccount ?? theirs.serviceAccountName;
  return {
    metadata: {
      ...template?.metadata,
      labels: { ...template?.metadata?.labels, ...arm.labels },
      annotations: { ...scrapeAnnotations(serving), ...template?.metadata?.annotations, ...arm.annotations },
    },
    spec: {
      ...theirs,
      containers,
      volumes,
      ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
      ...(tolerations.length > 0 ? { tolerations } : {}),
      ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
      ...(serviceAccountName !== undefined ? { serviceAccountName } : {}),
      terminationGracePeriodSeconds: theirs.terminationGracePeriodSeconds ?? 30,
    },
  };
}

/**
 * Pure: what the action sets in the user's pod template, for the plan: the fields it overrides
 * (or adds), and those it would set but leaves to the template. Undefined without a template.
 */
export function podTemplateOverrides(
  settings: Settings,
): { overridden: string[]; kept: string[] } | undefined {
  const pod = settings.workload.podTemplate;
  if (pod === undefined) return undefined;
  const container = modelContainerOf(pod.template.spec?.containers ?? []);
  const at = `containers[${pod.modelContainer}]`;
  const overridden = [
    `${at}.image`,
    `${at}.ports (http)`,
    ...(settings.workload.gpus > 0
      ? [`${at}.resources.limits.${settings.workload.gpuResource}`, 'tolerations (GPU)']
      : []),
    ...Object.keys({ ...settings.workload.resources.requests, ...settings.workload.resources.limits }).map(
      (resource) => `${at}.resources.${resource}`,
    ),
    ...(container?.startupProbe === undefined ? [`${at}.startupProbe`] : []),
    ...(container?.readinessProbe === undefined ? [`${at}.readinessProbe`] : []),
    ...Object.keys(settings.workload.env).map((name) => `${at}.env.${name}`),
    ...(settings.workload.envFrom.length > 0 ? [`${at}.envFrom (added)`] : []),
    ...(settings.workload.args.length > 0 ? [`${at}.args (input args added)`] : []),
    ...(settings.workload.gpus > 1
      ? [`${at}.args (--tensor-parallel-size=${settings.workload.gpus} for vLLM, unless set)`]
      : []),
    ...(settings.workload.serviceAccount !== undefined ? ['serviceAccountName'] : []),
    'metadata.labels (ours)',
    'metadata.annotations (prometheus.io/scrape, port, path, unless the template sets them)',
    'replicas',
    'selector',
  ];
  const kept = [
    ...(container?.startupProbe !== undefined ? [`${at}.startupProbe`] : []),
    ...(container?.readinessProbe !== undefined ? [`${at}.readinessProbe`] : []),
  ];
  return { overridden, kept };
}
