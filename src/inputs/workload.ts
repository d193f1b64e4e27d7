/** The workload section: the name of the deployments and how their pods are sized and scheduled. */
import { isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName, toDnsLabel } from '../kube/names.ts';
import { compareQuantities, isQuantity, parseQuantity } from '../kube/quantities.ts';
import type { BuildSettings } from './build.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';
import { readPodTemplate, type PodTemplate } from './pod-template.ts';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** Longest `name` we accept, leaving room for suffixes such as `-pr-12345-canary` within 63. */
export const MAX_NAME_LENGTH = 40;

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect?: TaintEffect;
}

export interface ResourceAmounts {
  requests: Record<string, string>;
  limits: Record<string, string>;
}

/** A Secret or ConfigMap whose keys all become environment variables (input env-from). */
export interface EnvSource {
  kind: 'secret' | 'configmap';
  name: string;
}

export interface WorkloadSettings {
  replicas: number;
  gpus: number;
  gpuResource: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  shmSize?: string;
  resources: ResourceAmounts;
  /** The user's pod template both arms start from (input pod-template). */
  podTemplate?: PodTemplate;
  /** Environment variables of the model container (input env), in the order given. */
  env: Record<string, string>;
  envFrom: EnvSource[];
  /** Arguments added to the model server's own (input args). */
  args: string[];
  serviceAccount?: string;
  /** An existing Secret the pods pull the image with (input image-pull-secret): the action makes none. */
  imagePullSecret?: string;
}

/** What Kubernetes accepts as an environment variable name (C identifiers, dots and dashes). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'];

/** The input name, or one derived from the model or image when it is empty. */
export function parseName(read: InputReader, build: Pick<BuildSettings, 'model' | 'image'>): string {
  const { model, image } = build;
  const explicit = read.optional('name');
  if (explicit !== undefined) {
    if (!isDnsLabel(explicit, MAX_NAME_LENGTH)) {
      read.problem(
        'name',
        `expected an RFC 1123 label (lower-case letters, digits and '-') of at most ${MAX_NAME_LENGTH} characters; got '${explicit}'`,
      );
    }
    return explicit;
  }
  const fromModel =
    model?.kind === 'huggingface'
      ? model.repository.split('/')[1]!
      : model?.kind === 'path' && model.path !== '.'
        ? model.path
            .split('/')
            .pop()!
            .replace(/\.[A-Za-z0-9]+$/, '')
        : undefined;
  const fromImage = image?.split('/').pop();
  const derived = toDnsLabel(fromModel ?? fromImage ?? '', MAX_NAME_LENGTH);
  if (derived === '' && read.optional('model') === undefined && read.optional('image') === undefined) {
    read.problem('name', 'cannot be derived without model or image; set input name');
  } else if (derived === '' && (model !== undefined || image !== undefined)) {
    read.problem('name', 'could not be derived from the model or image; set input name');
  }
  return derived;
}

/** Reads replicas, gpus, gpu-resource, node-selector, tolerations, shm-size and resources. */
export function parseWorkload(read: InputReader): WorkloadSettings {
  const replicas = read.integer('replicas', 1, 100);
  const gpus = read.integer('gpus', 0, 16);
  const gpuResource = read.text('gpu-resource');
  if (!isQualifiedName(gpuResource, true) || gpuResource.split('/')[0]!.endsWith('kubernetes.io')) {
    read.problem(
      'gpu-resource',
      `expected an extended resource name such as nvidia.com/gpu or nvidia.com/mig-1g.10gb; got '${gpuResource}'`,
    );
  }
  const nodeSelector = read.keyValues(
    'node-selector',
    true,
    (k) => isQualifiedName(k),
    'a label key',
    isLabelValue,
    'a label value (at most 63 alphanumerics, -, _ or .)',
  );
  const tolerations = parseTolerations(read);
  const shmSize = read.optional('shm-size');
  if (shmSize !== undefined && (parseQuantity(shmSize) ?? 0) <= 0) {
    read.problem(
      'shm-size',
      `expected a positive Kubernetes quantity such as 2Gi or 512Mi; got '${shmSize}'`,
    );
  }
  const resources = parseResources(read);
  const podTemplate = parsePodTemplate(read);
  const env = read.keyValues('env', false, (key) => ENV_NAME.test(key), 'an environment variable name');
  const envFrom = parseEnvFrom(read);
  const args = read.items('args', false);
  for (const arg of args) {
    // `--max-model-len 4096` on one line reaches the server as one argument, which it refuses.
    if (/^-\S*\s/.test(arg)) {
      read.problem(
        'args',
        `'${arg}' is one argument with a space in it; write one argument per line (--flag=value, or the flag and its value on two lines)`,
      );
    }
  }
  const serviceAccount = read.optional('service-account');
  if (serviceAccount !== undefined && !isDnsSubdomain(serviceAccount)) {
    read.problem(
      'service-account',
      `expected a ServiceAccount name (an RFC 1123 subdomain); got '${serviceAccount}'`,
    );
  }
  const imagePullSecret = read.optional('image-pull-secret');
  if (imagePullSecret !== undefined && !isDnsSubdomain(imagePullSecret)) {
    read.problem(
      'image-pull-secret',
      `expected a Secret name (an RFC 1123 subdomain); got '${imagePullSecret}'`,
    );
  }
  return withoutUndefined<WorkloadSettings>({
    replicas,
    gpus,
    gpuResource,
    nodeSelector,
    tolerations,
    shmSize,
    resources,
    podTemplate,
    imagePullSecret,
    env,
    envFrom,
    args,
    serviceAccount,
  });
}

/** The pod template file, read and checked now so a bad one fails before anything is built. */
function parsePodTemplate(read: InputReader): PodTemplate | undefined {
  const value = read.optional('pod-template');
  if (value === undefined) return undefined;
  const path = read.repositoryPath('pod-template', value);
  if (path === undefined) return undefined;
  const text = read.fileText(path);
  if (text === undefined) {
    read.problem(
      'pod-template',
      `'${value}' is not a file; give the YAML file that holds the Deployment or pod template`,
    );
    return undefined;
  }
  const template = readPodTemplate(path, text);
  if (!Array.isArray(template)) return template;
  for (const problem of template) read.problem('pod-template', problem);
  return undefined;
}

/** `secret/<name>` and `configmap/<name>` lines. */
function parseEnvFrom(read: InputReader): EnvSource[] {
  const sources: EnvSource[] = [];
  for (const item of read.items('env-from', true)) {
    const match = /^(secret|configmap)\/(.+)$/i.exec(item);
    if (match === null || !isDnsSubdomain(match[2]!)) {
      read.problem('env-from', `expected secret/<name> or configmap/<name>; got '${item}'`);
      continue;
    }
    sources.push({ kind: match[1]!.toLowerCase() as EnvSource['kind'], name: match[2]! });
  }
  return sources;
}

function parseTolerations(read: InputReader): Toleration[] {
  const tolerations: Toleration[] = [];
  for (const item of read.items('tolerations', true)) {
    const match = /^([^=:\s]+)(?:=([^:\s]*))?(?::(\w+))?$/.exec(item);
    const [, key, value, effect] = match ?? [];
    if (!key || !isQualifiedName(key)) {
      read.problem(
        'tolerations',
        `expected key[=value][:Effect] such as nvidia.com/gpu:NoSchedule; got '${item}'`,
      );
      continue;
    }
    if (value !== undefined && !isLabelValue(value)) {
      read.problem('tolerations', `value '${value}' of '${key}' is not a valid taint value`);
      continue;
    }
    if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect)) {
      read.problem('tolerations', `effect '${effect}' of '${key}' is not one of ${TAINT_EFFECTS.join(', ')}`);
      continue;
    }
    tolerations.push({
      key,
      operator: value === undefined ? 'Exists' : 'Equal',
      ...(value !== undefined ? { value } : {}),
      ...(effect !== undefined ? { effect: effect as TaintEffect } : {}),
    });
  }
  return tolerations;
}

function parseResources(read: InputReader): ResourceAmounts {
  const amounts: ResourceAmounts = { requests: {}, limits: {} };
  const entries = read.keyValues(
    'resources',
    true,
    (key) => RESOURCE_NAMES.includes(key.replace(/^(requests|limits)\./, '')),
    `one of ${RESOURCE_NAMES.join(', ')}, optionally prefixed by requests. or limits.`,
    isQuantity,
    'a Kubernetes quantity such as 4, 500m or 16Gi',
  );
  for (const [key, quantity] of Object.entries(entries)) {
    const [side, resource] = key.includes('.') ? (key.split('.') as [string, string]) : ['both', key];
    if (side !== 'limits') amounts.requests[resource] = quantity;
    if (side !== 'requests') amounts.limits[resource] = quantity;
  }
  for (const resource of RESOURCE_NAMES) {
    const request = amounts.requests[resource];
    const limit = amounts.limits[resource];
    if (request !== undefined && limit !== undefined && compareQuantities(request, limit) > 0) {
      read.problem('resources', `request ${resource}=${request} is above its limit ${limit}`);
    }
  }
  return amounts;
}
