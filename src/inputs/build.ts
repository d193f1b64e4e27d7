/** The build section: what image to build from which model, and how BuildKit builds and pushes it. */
import { parseImageReference, repositoryOf } from '../registry/image-ref.ts';
import { withoutUndefined, type InputReader } from './input-reader.ts';

export const RUNTIMES = ['auto', 'triton', 'vllm', 'mlserver', 'dockerfile'] as const;
export const CACHES = ['registry', 'gha', 'none'] as const;
export const BUILDERS = ['auto', 'buildx', 'buildctl'] as const;

export type Runtime = (typeof RUNTIMES)[number];
export type CacheMode = (typeof CACHES)[number];
export type BuilderChoice = (typeof BUILDERS)[number];

export type ModelSource =
  { kind: 'path'; path: string } | { kind: 'huggingface'; repository: string; revision?: string };

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface BuildSettings {
  model?: ModelSource;
  runtime: Runtime;
  dockerfile?: string;
  /** Repository to push to, `registry/path`, without tag. */
  image?: string;
  registryAuth?: RegistryAuth;
  baseImage?: string;
  buildArgs: Record<string, string>;
  buildSecrets: Record<string, string>;
  cache: CacheMode;
  platforms: string[];
  builder: BuilderChoice;
  buildkitHost?: string;
}

const BUILD_ARG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const HF_MODEL = /^hf:\/\/([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;
const BUILDKIT_HOST =
  /^(unix:\/\/\/.+|tcp:\/\/[^/\s]+:\d+|(docker-container|kube-pod|podman-container|ssh|nerdctl-container):\/\/\S+)$/;

/** Reads what image to build from which model, and how BuildKit builds and pushes it. */
export function parseBuild(read: InputReader): BuildSettings {
  return withoutUndefined<BuildSettings>({
    ...parseModelAndRuntime(read),
    image: parseImage(read),
    registryAuth: parseRegistryAuth(read),
    baseImage: parseBaseImage(read),
    buildArgs: read.keyValues(
      'build-args',
      false,
      (k) => BUILD_ARG_KEY.test(k),
      'a build argument name ([A-Za-z_][A-Za-z0-9_]*)',
    ),
    buildSecrets: parseBuildSecrets(read),
    cache: read.oneOf('cache', CACHES),
    platforms: parsePlatforms(read),
    ...parseBuilder(read),
  });
}

/** A dockerfile with runtime auto means runtime dockerfile; with another runtime it is a mistake. */
function parseModelAndRuntime(read: InputReader): Pick<BuildSettings, 'runtime' | 'model' | 'dockerfile'> {
  const runtime = read.oneOf('runtime', RUNTIMES);
  const model = parseModel(read);
  const dockerfile = read.optional('dockerfile');
  if (dockerfile === undefined) {
    if (runtime === 'dockerfile') {
      read.problem('dockerfile', 'runtime dockerfile needs the path of your Dockerfile in input dockerfile');
    }
    return { runtime, model };
  }
  if (runtime !== 'auto' && runtime !== 'dockerfile') {
    read.problem('dockerfile', `is only used with runtime dockerfile (runtime is ${runtime})`);
    return { runtime, model };
  }
  return { runtime: 'dockerfile', model, dockerfile: read.repositoryPath('dockerfile', dockerfile) };
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

function parseRegistryAuth(read: InputReader): RegistryAuth | undefined {
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

/** The base image as given (its tag or digest kept): it replaces the runtime preset's. */
function parseBaseImage(read: InputReader): string | undefined {
  const baseImage = read.optional('base-image');
  if (baseImage !== undefined && !parseImageReference(baseImage)) {
    read.problem(
      'base-image',
      `expected an image reference such as nvcr.io/nvidia/tritonserver:24.08-py3; got '${baseImage}'`,
    );
  }
  return baseImage;
}

function parseBuildSecrets(read: InputReader): Record<string, string> {
  const buildSecrets = read.keyValues(
    'build-secrets',
    false,
    (k) => SECRET_ID.test(k),
    'a secret id ([A-Za-z0-9_.-])',
    (value) => value !== '',
    'set: it is empty (is the repository secret set?)',
    true,
  );
  return buildSecrets;
}

function parsePlatforms(read: InputReader): string[] {
  const platforms = read.items('platforms', true);
  for (const platform of platforms) {
    if (!PLATFORM.test(platform))
      read.problem('platforms', `expected os/arch[/variant] such as linux/amd64; got '${platform}'`);
  }
  if (platforms.length === 0) read.problem('platforms', 'expected at least one platform such as linux/amd64');
  return platforms;
}

function parseBuilder(read: InputReader): Pick<BuildSettings, 'builder' | 'buildkitHost'> {
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
  return { builder, buildkitHost };
}
