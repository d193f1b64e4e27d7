/**
 * The one place that turns the action's raw inputs into typed, validated settings.
 *
 * `parseInputs` is pure: it takes a lookup of raw strings plus what it needs to know about the
 * run (GitHub context, which repository files exist) and returns `Settings`, or throws one
 * `InputError` that lists every bad input. `readInputs` (bottom) is the adapter that feeds it from
 * the runner's environment. Nothing else in the action reads an input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { parse as parseYaml } from 'yaml';
import { InputError, type InputProblem } from '../errors.ts';
import { isDnsLabel, isLabelValue, isQualifiedName, isQuantity, toDnsLabel } from '../kube/names.ts';
import { parseImageReference, repositoryOf } from '../registry/image-ref.ts';

export const MODES = ['canary', 'preview', 'cleanup', 'promote', 'revert', 'release'] as const;
export const RUNTIMES = ['auto', 'triton', 'vllm', 'mlserver', 'dockerfile'] as const;
export const CACHES = ['registry', 'gha', 'none'] as const;
export const BUILDERS = ['auto', 'buildx', 'buildctl'] as const;
export const TRAFFIC_ROUTERS = ['auto', 'replicas', 'gateway-api'] as const;
export const PROTOCOLS = ['v2', 'openai', 'http'] as const;
export const PROBE_TARGETS = ['proxy', 'url'] as const;
export const INCONCLUSIVE_ACTIONS = ['revert', 'promote', 'extend'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export type Mode = (typeof MODES)[number];
export type Runtime = (typeof RUNTIMES)[number];
export type CacheMode = (typeof CACHES)[number];
export type BuilderChoice = (typeof BUILDERS)[number];
export type TrafficRouter = (typeof TRAFFIC_ROUTERS)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type ProbeTarget = (typeof PROBE_TARGETS)[number];
export type InconclusiveAction = (typeof INCONCLUSIVE_ACTIONS)[number];
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/**
 * Defaults applied when an input is empty. action.yml declares the same values (a unit test keeps
 * them equal), so running the bundle by hand with only some INPUT_* variables behaves as on a runner.
 */
export const INPUT_DEFAULTS = {
  mode: 'canary',
  runtime: 'auto',
  cache: 'registry',
  platforms: 'linux/amd64',
  builder: 'auto',
  namespace: 'default',
  replicas: '1',
  gpus: '1',
  'gpu-resource': 'nvidia.com/gpu',
  traffic: 'auto',
  'probe-rate': '20',
  'probe-duration': '60s',
  warmup: '10s',
  'probe-target': 'proxy',
  'max-error-rate': '1%',
  'max-regression': '10%',
  confidence: '0.95',
  'on-inconclusive': 'revert',
  'dry-run': 'false',
} as const satisfies Record<string, string>;

/** Every input the action reads; action.yml declares exactly these (checked by a unit test). */
export const INPUT_NAMES = [
  'mode',
  'model',
  'runtime',
  'dockerfile',
  'image',
  'registry-username',
  'registry-password',
  'base-image',
  'build-args',
  'build-secrets',
  'cache',
  'platforms',
  'builder',
  'buildkit-host',
  'kubeconfig',
  'context',
  'namespace',
  'name',
  'replicas',
  'gpus',
  'gpu-resource',
  'node-selector',
  'tolerations',
  'shm-size',
  'resources',
  'traffic',
  'canary-weight',
  'canary-steps',
  'probe-path',
  'probe-payload',
  'probe-protocol',
  'probe-method',
  'probe-rate',
  'probe-duration',
  'warmup',
  'probe-target',
  'probe-url',
  'max-p95-ms',
  'max-p99-ms',
  'max-error-rate',
  'max-regression',
  'confidence',
  'on-inconclusive',
  'github-token',
  'dry-run',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];

/** Longest `name` we accept, leaving room for suffixes such as `-pr-12345-canary` within 63. */
export const MAX_NAME_LENGTH = 40;
export const DEFAULT_CANARY_WEIGHT = 10;

export type ModelSource =
  { kind: 'path'; path: string } | { kind: 'huggingface'; repository: string; revision?: string };

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

/** What the action knows about the workflow run, from the runner's GitHub context. */
export interface RunContext {
  eventName: string;
  sha: string;
  ref: string;
  repository: string;
  runId: number;
  runAttempt: number;
  pullRequest?: number;
}

export interface Settings {
  mode: Mode;
  dryRun: boolean;
  model?: ModelSource;
  runtime: Runtime;
  dockerfile?: string;
  /** Repository to push to, `registry/path`, without tag. */
  image?: string;
  registryAuth?: { username: string; password: string };
  baseImage?: string;
  buildArgs: Record<string, string>;
  buildSecrets: Record<string, string>;
  cache: CacheMode;
  platforms: string[];
  builder: BuilderChoice;
  buildkitHost?: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  name: string;
  replicas: number;
  gpus: number;
  gpuResource: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  shmSize?: string;
  resources: ResourceAmounts;
  traffic: TrafficRouter;
  /** Canary traffic percentages, walked in order; one element unless canary-steps was given. */
  canarySteps: number[];
  probe: {
    protocol?: Protocol;
    path?: string;
    payloadFile?: string;
    method?: 'GET' | 'POST';
    ratePerSecond: number;
    durationMs: number;
    warmupMs: number;
    target: ProbeTarget;
    url?: string;
  };
  gate: {
    maxP95Ms?: number;
    maxP99Ms?: number;
    maxErrorRate: number;
    maxRegression: number;
    confidence: number;
    onInconclusive: InconclusiveAction;
  };
  githubToken?: string;
  /** The release tag's semantic version, in release mode. */
  releaseVersion?: { major: number; minor: number; patch: number; prerelease?: string };
  run: RunContext;
}

/** What parseInputs may ask of the outside world: raw values and repository files. */
export interface InputSource {
  get(name: InputName): string;
  run: RunContext;
  /** True when a path relative to the repository root exists. */
  pathExists(relativePath: string): boolean;
}

const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const INTEGER = /^[+]?\d+$/;
const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;
const BUILD_ARG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const HF_MODEL = /^hf:\/\/([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;
const BUILDKIT_HOST =
  /^(unix:\/\/\/.+|tcp:\/\/[^/\s]+:\d+|(docker-container|kube-pod|podman-container|ssh|nerdctl-container):\/\/\S+)$/;
const RELEASE_TAG = /^refs\/tags\/v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;
const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'];

/** Collects problems while reading inputs, so one run reports every bad input together. */
class InputReader {
  readonly problems: InputProblem[] = [];
  private readonly source: InputSource;

  constructor(source: InputSource) {
    this.source = source;
  }

  problem(input: string, message: string): void {
    this.problems.push({ input, message });
  }

  /** The trimmed raw value, or the default when empty. */
  text(name: InputName): string {
    const value = this.source.get(name).trim();
    if (value !== '') return value;
    return (INPUT_DEFAULTS as Record<string, string>)[name] ?? '';
  }

  optional(name: InputName): string | undefined {
    const value = this.text(name);
    return value === '' ? undefined : value;
  }

  oneOf<T extends string>(name: InputName, allowed: readonly T[]): T {
    const value = this.text(name);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(name, `expected one of ${allowed.join(', ')}; got '${value}'`);
    return allowed[0]!;
  }

  integer(name: InputName, min: number, max: number): number {
    const value = this.text(name);
    const parsed = INTEGER.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problem(name, `expected a whole number from ${min} to ${max}; got '${value}'`);
    return min;
  }

  decimal(name: InputName, min: number, max: number, what: string): number | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    const parsed = DECIMAL.test(value) ? Number(value) : NaN;
    if (Number.isFinite(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problem(name, `expected ${what} from ${min} to ${max}; got '${value}'`);
    return undefined;
  }

  /** A share written as `5%` or `0.05`; a bare number above 1 is ambiguous and refused. */
  fraction(name: InputName): number {
    const value = this.text(name);
    const percent = /^(.*)%$/.exec(value);
    const number = percent ? percent[1]! : value;
    const parsed = DECIMAL.test(number) ? Number(number) / (percent ? 100 : 1) : NaN;
    if (Number.isFinite(parsed) && parsed >= 0 && parsed <= 1) return parsed;
    const hint = !percent && parsed > 1 ? ` (write ${value}% for a percentage)` : '';
    this.problem(
      name,
      `expected a percentage from 0% to 100% or a fraction from 0 to 1; got '${value}'${hint}`,
    );
    return 0;
  }

  duration(name: InputName, minMs: number, maxMs: number): number {
    const value = this.text(name);
    if (DURATION.test(value)) {
      let ms = 0;
      for (const [, amount, unit] of value.matchAll(DURATION_PART)) {
        ms += Number(amount) * DURATION_UNIT_MS[unit as keyof typeof DURATION_UNIT_MS];
      }
      if (ms >= minMs && ms <= maxMs) return ms;
      this.problem(
        name,
        `expected a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}; got '${value}'`,
      );
      return minMs;
    }
    this.problem(name, `expected a duration such as 30s, 5m or 1m30s; got '${value}'`);
    return minMs;
  }

  boolean(name: InputName): boolean {
    const value = this.text(name);
    // The same spellings as @actions/core getBooleanInput (YAML 1.2 core schema).
    if (['true', 'True', 'TRUE'].includes(value)) return true;
    if (['false', 'False', 'FALSE'].includes(value)) return false;
    this.problem(name, `expected true or false; got '${value}'`);
    return false;
  }

  /** Items separated by new lines (and commas, when values cannot contain them). */
  items(name: InputName, splitOnCommas: boolean): string[] {
    const separator = splitOnCommas ? /[\n,]/ : /\n/;
    return this.text(name)
      .split(separator)
      .map((item) => item.trim())
      .filter((item) => item !== '' && !item.startsWith('#'));
  }

  /** `KEY=VALUE` items; VALUE may contain `=`. Keys are checked by `validKey`. */
  keyValues(
    name: InputName,
    splitOnCommas: boolean,
    validKey: (key: string) => boolean,
    keyRule: string,
    validValue: (value: string) => boolean = () => true,
    valueRule = '',
  ): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [index, item] of this.items(name, splitOnCommas).entries()) {
      const equals = item.indexOf('=');
      const where = `item ${index + 1}`;
      if (equals <= 0) {
        // Never echo the item: it may be a secret value.
        this.problem(name, `${where} is not KEY=VALUE`);
        continue;
      }
      const key = item.slice(0, equals).trim();
      const value = item.slice(equals + 1).trim();
      if (!validKey(key)) this.problem(name, `${where}: key '${key}' is not ${keyRule}`);
      else if (key in result) this.problem(name, `key '${key}' is given twice`);
      else if (!validValue(value)) this.problem(name, `${where}: value of '${key}' is not ${valueRule}`);
      else result[key] = value;
    }
    return result;
  }

  /** A path relative to the repository root that must exist and stay inside it. */
  repositoryPath(name: InputName, value: string): string | undefined {
    const normalized = value.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
    if (value.startsWith('/') || normalized.split('/').includes('..')) {
      this.problem(name, `expected a path inside the repository; got '${value}'`);
      return undefined;
    }
    if (!this.source.pathExists(normalized)) {
      this.problem(
        name,
        `'${value}' does not exist in the repository (is the checkout step before this one?)`,
      );
      return undefined;
    }
    return normalized;
  }
}

function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Turns raw inputs into Settings, or throws an InputError naming every bad input. */
export function parseInputs(source: InputSource): Settings {
  const read = new InputReader(source);
  const run = source.run;

  const mode = read.oneOf('mode', MODES);
  const dryRun = read.boolean('dry-run');

  // Model and image.
  let runtime = read.oneOf('runtime', RUNTIMES);
  const model = parseModel(read);
  const dockerfileInput = read.optional('dockerfile');
  let dockerfile: string | undefined;
  if (dockerfileInput !== undefined) {
    if (runtime !== 'auto' && runtime !== 'dockerfile') {
      read.problem('dockerfile', `is only used with runtime dockerfile (runtime is ${runtime})`);
    } else {
      runtime = 'dockerfile';
      dockerfile = read.repositoryPath('dockerfile', dockerfileInput);
    }
  } else if (runtime === 'dockerfile') {
    read.problem('dockerfile', 'runtime dockerfile needs the path of your Dockerfile in input dockerfile');
  }

  const image = parseImage(read);
  const registryAuth = parseRegistryAuth(read);
  const baseImageInput = read.optional('base-image');
  if (baseImageInput !== undefined && !parseImageReference(baseImageInput)) {
    read.problem(
      'base-image',
      `expected an image reference such as nvcr.io/nvidia/tritonserver:24.08-py3; got '${baseImageInput}'`,
    );
  }
  const buildArgs = read.keyValues(
    'build-args',
    false,
    (k) => BUILD_ARG_KEY.test(k),
    'a build argument name ([A-Za-z_][A-Za-z0-9_]*)',
  );
  const buildSecrets = read.keyValues(
    'build-secrets',
    false,
    (k) => SECRET_ID.test(k),
    'a secret id ([A-Za-z0-9_.-])',
  );
  for (const [key, value] of Object.entries(buildSecrets)) {
    if (value === '')
      read.problem('build-secrets', `secret '${key}' is empty (is the repository secret set?)`);
  }
  const cache = read.oneOf('cache', CACHES);
  const platforms = read.items('platforms', true);
  for (const platform of platforms) {
    if (!PLATFORM.test(platform))
      read.problem('platforms', `expected os/arch[/variant] such as linux/amd64; got '${platform}'`);
  }
  if (platforms.length === 0) read.problem('platforms', 'expected at least one platform such as linux/amd64');
  const builder = read.oneOf('builder', BUILDERS);
  const buildkitHost = read.optional('buildkit-host');
  if (buildkitHost !== undefined && !BUILDKIT_HOST.test(buildkitHost)) {
    read.problem(
      'buildkit-host',
      `expected an address such as tcp://buildkitd:1234 or unix:///run/buildkit/buildkitd.sock; got '${buildkitHost}'`,
    );
  }
  if (buildkitHost !== undefined && builder === 'buildx') {
    read.problem(
      'buildkit-host',
      'is for builder buildctl (buildx uses its own builder instance); set builder to buildctl or auto',
    );
  }

  // Cluster.
  const kubeconfig = read.optional('kubeconfig');
  const context = read.optional('context');
  if (kubeconfig !== undefined) checkKubeconfig(read, kubeconfig, context);
  const namespace = read.text('namespace');
  if (!isDnsLabel(namespace)) {
    read.problem(
      'namespace',
      `expected an RFC 1123 label (lower-case letters, digits and '-', at most 63); got '${namespace}'`,
    );
  }
  const name = parseName(read, model, image);
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
  if (shmSize !== undefined && (!isQuantity(shmSize) || Number.parseFloat(shmSize) <= 0)) {
    read.problem(
      'shm-size',
      `expected a positive Kubernetes quantity such as 2Gi or 512Mi; got '${shmSize}'`,
    );
  }
  const resources = parseResources(read);

  // Traffic.
  const traffic = read.oneOf('traffic', TRAFFIC_ROUTERS);
  const canarySteps = parseCanarySteps(read);

  // Analysis.
  const probe = parseProbe(read, runtime);
  const maxP95Ms = read.decimal('max-p95-ms', 0.001, 3_600_000, 'milliseconds');
  const maxP99Ms = read.decimal('max-p99-ms', 0.001, 3_600_000, 'milliseconds');
  if (maxP95Ms !== undefined && maxP99Ms !== undefined && maxP99Ms < maxP95Ms) {
    read.problem(
      'max-p99-ms',
      `(${maxP99Ms}) is below max-p95-ms (${maxP95Ms}); a p99 is never below the p95, so every canary would fail`,
    );
  }
  const gate = {
    ...(maxP95Ms !== undefined ? { maxP95Ms } : {}),
    ...(maxP99Ms !== undefined ? { maxP99Ms } : {}),
    maxErrorRate: read.fraction('max-error-rate'),
    maxRegression: read.fraction('max-regression'),
    confidence: read.decimal('confidence', 0.5, 0.999, 'a confidence level') ?? 0.95,
    onInconclusive: read.oneOf('on-inconclusive', INCONCLUSIVE_ACTIONS),
  };
  const githubToken = read.optional('github-token');

  // What each mode needs.
  const needsBuild = mode === 'canary' || mode === 'preview';
  if ((needsBuild || mode === 'release') && image === undefined && read.optional('image') === undefined) {
    read.problem('image', `mode ${mode} needs the repository to push to, e.g. ghcr.io/org/resnet`);
  }
  if (needsBuild && model === undefined && runtime !== 'dockerfile' && read.optional('model') === undefined) {
    read.problem(
      'model',
      `mode ${mode} needs a model path or hf://org/name (or runtime dockerfile with input dockerfile)`,
    );
  }
  if ((needsBuild || mode === 'release') && !dryRun && !/^[0-9a-f]{7,64}$/.test(run.sha)) {
    read.problem(
      'mode',
      `mode ${mode} tags the image with the commit SHA, but GITHUB_SHA is '${run.sha}'; run it from a GitHub workflow`,
    );
  }
  if ((mode === 'preview' || mode === 'cleanup') && run.pullRequest === undefined) {
    read.problem(
      'mode',
      `mode ${mode} runs on a pull_request event (this run's event is '${run.eventName || 'unknown'}')`,
    );
  }
  let releaseVersion: Settings['releaseVersion'];
  if (mode === 'release') {
    const tag = RELEASE_TAG.exec(run.ref);
    if (!tag)
      read.problem(
        'mode',
        `mode release runs on a tag such as v1.2.3 (this run's ref is '${run.ref || 'unknown'}')`,
      );
    else {
      releaseVersion = { major: Number(tag[1]), minor: Number(tag[2]), patch: Number(tag[3]) };
      if (tag[4] !== undefined) releaseVersion.prerelease = tag[4];
    }
  }

  if (read.problems.length > 0) throw new InputError(read.problems);

  return {
    mode,
    dryRun,
    ...(model !== undefined ? { model } : {}),
    runtime,
    ...(dockerfile !== undefined ? { dockerfile } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(registryAuth !== undefined ? { registryAuth } : {}),
    ...(baseImageInput !== undefined ? { baseImage: baseImageInput } : {}),
    buildArgs,
    buildSecrets,
    cache,
    platforms,
    builder,
    ...(buildkitHost !== undefined ? { buildkitHost } : {}),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
    namespace,
    name,
    replicas,
    gpus,
    gpuResource,
    nodeSelector,
    tolerations,
    ...(shmSize !== undefined ? { shmSize } : {}),
    resources,
    traffic,
    canarySteps,
    probe,
    gate,
    ...(githubToken !== undefined ? { githubToken } : {}),
    ...(releaseVersion !== undefined ? { releaseVersion } : {}),
    run,
  };
}

function parseModel(read: InputReader): ModelSource | undefined {
  const value = read.optional('model');
  if (value === undefined) return undefined;
  if (value.startsWith('hf://')) {
    const match = HF_MODEL.exec(value);
    if (!match) {
      read.problem('model', `expected hf://org/name or hf://org/name@revision; got '${value}'`);
      return undefined;
    }
    return {
      kind: 'huggingface',
      repository: `${match[1]}/${match[2]}`,
      ...(match[3] !== undefined ? { revision: match[3] } : {}),
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    read.problem('model', `only repository paths and hf:// are supported; got '${value}'`);
    return undefined;
  }
  const path = read.repositoryPath('model', value);
  return path === undefined ? undefined : { kind: 'path', path };
}

function parseImage(read: InputReader): string | undefined {
  const value = read.optional('image');
  if (value === undefined) return undefined;
  const ref = parseImageReference(value);
  if (!ref) {
    read.problem(
      'image',
      `expected a repository such as ghcr.io/org/resnet (lower-case path); got '${value}'`,
    );
    return undefined;
  }
  if (ref.tag !== undefined || ref.digest !== undefined) {
    read.problem(
      'image',
      `expected a repository without tag or digest (the action tags it with the commit SHA); got '${value}'`,
    );
    return undefined;
  }
  return repositoryOf(ref);
}

function parseRegistryAuth(read: InputReader): Settings['registryAuth'] {
  const username = read.optional('registry-username');
  const password = read.optional('registry-password');
  if (username !== undefined && password === undefined) {
    read.problem(
      'registry-password',
      'is empty but registry-username is set; give both or neither (is the secret set?)',
    );
  }
  if (password !== undefined && username === undefined) {
    read.problem('registry-username', 'is empty but registry-password is set; give both or neither');
  }
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

function checkKubeconfig(read: InputReader, kubeconfig: string, context: string | undefined): void {
  let document: unknown;
  try {
    document = parseYaml(kubeconfig);
  } catch {
    // The YAML error would quote the content, which holds credentials.
    read.problem('kubeconfig', 'is not valid YAML; paste the whole kubeconfig file (as a secret)');
    return;
  }
  const config = document as { clusters?: unknown; contexts?: { name?: string }[] } | null;
  if (config === null || typeof config !== 'object' || !Array.isArray(config.clusters)) {
    read.problem('kubeconfig', 'is not a kubeconfig (no clusters list); paste the whole kubeconfig file');
    return;
  }
  if (context !== undefined) {
    const names = (config.contexts ?? []).map((c) => c.name).filter((n) => typeof n === 'string');
    if (!names.includes(context)) {
      read.problem(
        'context',
        `'${context}' is not in the kubeconfig (it has: ${names.join(', ') || 'no contexts'})`,
      );
    }
  }
}

function parseName(read: InputReader, model: ModelSource | undefined, image: string | undefined): string {
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
    if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
      read.problem('resources', `request ${resource}=${request} is above its limit ${limit}`);
    }
  }
  return amounts;
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

function quantityValue(quantity: string): number {
  const match = /^([\d.]+)(.*)$/.exec(quantity)!;
  const suffix = match[2]!;
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : (QUANTITY_SUFFIX[suffix] ?? 1);
  return Number(match[1]) * scale;
}

function parseCanarySteps(read: InputReader): number[] {
  const stepsText = read.optional('canary-steps');
  const weightText = read.optional('canary-weight');
  if (stepsText !== undefined && weightText !== undefined) {
    read.problem('canary-steps', 'and canary-weight are mutually exclusive; give one of them');
    return [DEFAULT_CANARY_WEIGHT];
  }
  if (stepsText === undefined) {
    return [weightText === undefined ? DEFAULT_CANARY_WEIGHT : read.integer('canary-weight', 1, 99)];
  }
  const steps = stepsText.split(',').map((step) => step.trim().replace(/%$/, ''));
  const numbers = steps.map((step) => (INTEGER.test(step) ? Number(step) : NaN));
  const valid =
    numbers.every((n) => n >= 1 && n <= 99) && numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);
  if (!valid || numbers.length === 0) {
    read.problem(
      'canary-steps',
      `expected increasing percentages from 1 to 99 separated by commas, e.g. 10,50; got '${stepsText}'`,
    );
    return [DEFAULT_CANARY_WEIGHT];
  }
  return numbers;
}

function parseProbe(read: InputReader, runtime: Runtime): Settings['probe'] {
  const protocolText = read.optional('probe-protocol');
  let protocol: Protocol | undefined;
  if (protocolText !== undefined) protocol = read.oneOf('probe-protocol', PROTOCOLS);
  const path = read.optional('probe-path');
  if (path !== undefined && (!path.startsWith('/') || /\s/.test(path))) {
    read.problem('probe-path', `expected a URL path starting with '/'; got '${path}'`);
  }
  if (protocol === 'http' && path === undefined) {
    read.problem('probe-path', 'probe-protocol http needs the request path, e.g. /predict');
  }
  if (protocol === undefined && runtime === 'dockerfile' && path === undefined) {
    read.problem(
      'probe-protocol',
      'runtime dockerfile has no known protocol; set probe-protocol (v2, openai or http)',
    );
  }
  const payloadText = read.optional('probe-payload');
  const payloadFile =
    payloadText === undefined ? undefined : read.repositoryPath('probe-payload', payloadText);
  const methodText = read.optional('probe-method');
  let method: 'GET' | 'POST' | undefined;
  if (methodText !== undefined) {
    if (protocol !== 'http') read.problem('probe-method', 'is only used with probe-protocol http');
    method = read.oneOf('probe-method', ['GET', 'POST'] as const);
    if (method === 'GET' && payloadText !== undefined) {
      read.problem('probe-method', 'GET cannot send probe-payload; use POST or drop the payload');
    }
  }
  const ratePerSecond = read.decimal('probe-rate', 0.1, 5000, 'requests per second') ?? 20;
  const durationMs = read.duration('probe-duration', 5000, 3_600_000);
  const warmupMs = read.duration('warmup', 0, 600_000);
  const target = read.oneOf('probe-target', PROBE_TARGETS);
  const url = read.optional('probe-url');
  if (target === 'url' && url === undefined) {
    read.problem('probe-url', 'probe-target url needs the service URL, e.g. https://models.example.com');
  }
  if (target !== 'url' && url !== undefined) {
    read.problem('probe-url', `is only used with probe-target url (probe-target is ${target})`);
  }
  if (url !== undefined && !isHttpUrl(url)) {
    read.problem('probe-url', `expected an http:// or https:// URL; got '${url}'`);
  }
  return {
    ...(protocol !== undefined ? { protocol } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(payloadFile !== undefined ? { payloadFile } : {}),
    ...(method !== undefined ? { method } : {}),
    ratePerSecond,
    durationMs,
    warmupMs,
    target,
    ...(url !== undefined ? { url } : {}),
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Inputs whose values are secrets: masked in the log before anything else happens. */
const SECRET_INPUTS: readonly InputName[] = ['registry-password', 'github-token'];
const KUBECONFIG_CREDENTIAL_FIELDS = [
  'token',
  'client-key-data',
  'client-certificate-data',
  'password',
  'id-token',
  'refresh-token',
];

/** Lines of a secret worth masking: every credential-looking scalar of a kubeconfig or secret list. */
export function secretValuesOf(name: InputName, raw: string): string[] {
  if (raw.trim() === '') return [];
  if (name === 'build-secrets') {
    return raw
      .split('\n')
      .map((line) => line.slice(line.indexOf('=') + 1).trim())
      .filter((value) => value !== '');
  }
  if (name === 'kubeconfig') return kubeconfigCredentials(raw);
  return SECRET_INPUTS.includes(name) ? [raw.trim()] : [];
}

/** Credential values anywhere in a kubeconfig; a line-based scan when it does not parse. */
function kubeconfigCredentials(raw: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (KUBECONFIG_CREDENTIAL_FIELDS.includes(key) && typeof value === 'string') found.push(value);
        else visit(value);
      }
    }
  };
  try {
    visit(parseYaml(raw));
    return found;
  } catch {
    const fields = KUBECONFIG_CREDENTIAL_FIELDS.join('|');
    const pattern = new RegExp(`(?:${fields})\\s*:\\s*["']?([^"'\\s,}]+)`, 'g');
    return [...raw.matchAll(pattern)].map((match) => match[1]!);
  }
}

/**
 * The pull request of the event that started the run, from the payload the runner wrote to
 * GITHUB_EVENT_PATH (read directly: @actions/github's context would load Octokit, docs/bundle.md).
 */
function pullRequestOfEvent(): number | undefined {
  const path = process.env['GITHUB_EVENT_PATH'];
  if (!path || !existsSync(path)) return undefined;
  const payload = JSON.parse(readFileSync(path, 'utf8')) as {
    pull_request?: { number?: unknown };
    number?: unknown;
  };
  const number = payload.pull_request?.number ?? payload.number;
  return typeof number === 'number' ? number : undefined;
}

/** Reads the runner's inputs and the run's GitHub context from the runner's environment. */
export function readInputs(): Settings {
  for (const name of [...SECRET_INPUTS, 'build-secrets', 'kubeconfig'] as InputName[]) {
    for (const value of secretValuesOf(name, core.getInput(name))) core.setSecret(value);
  }
  const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
  const pullRequest = pullRequestOfEvent();
  return parseInputs({
    get: (name) => core.getInput(name),
    pathExists: (relativePath) => existsSync(join(workspace, relativePath)),
    run: {
      eventName: process.env['GITHUB_EVENT_NAME'] ?? '',
      sha: process.env['GITHUB_SHA'] ?? '',
      ref: process.env['GITHUB_REF'] ?? '',
      repository: process.env['GITHUB_REPOSITORY'] ?? '',
      runId: Number.parseInt(process.env['GITHUB_RUN_ID'] ?? '', 10) || 0,
      runAttempt: Number(process.env['GITHUB_RUN_ATTEMPT'] ?? '1') || 1,
      ...(typeof pullRequest === 'number' ? { pullRequest } : {}),
    },
  });
}
