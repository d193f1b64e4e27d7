/**
 * Runs a build on BuildKit (adapter): `docker buildx build` or `buildctl build`, with registry
 * login, cache import/export, build arguments and secrets, and the pushed digest read from
 * BuildKit's metadata file (never from the log). The command lines are built by pure functions
 * (`buildxArguments`, `buildctlArguments`) that tests read directly.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import * as runner from '../github/runner.ts';
import * as exec from '@actions/exec';
import { BuildFailed } from '../errors.ts';
import type { CacheMode } from '../inputs/build.ts';
import { isDigest } from '../registry/image-ref.ts';

export type Builder = 'buildx' | 'buildctl';

export interface BuildRequest {
  builder: Builder;
  /** buildctl's daemon address (buildx uses its current builder, or BUILDX_BUILDER). */
  buildkitHost?: string;
  /** Main build context; holds the Dockerfile unless `dockerfile` says otherwise. */
  contextDir: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Named contexts (`COPY --from=<name>`), name → folder. */
  namedContexts: Record<string, string>;
  /** Full references to tag and push, e.g. localhost:5000/x:sha. */
  tags: string[];
  platforms: string[];
  buildArgs: Record<string, string>;
  /** Image labels set by the builder (for user Dockerfiles; rendered ones carry LABEL lines). */
  labels: Record<string, string>;
  /** Secret id → value, mounted with RUN --mount=type=secret; the values travel in the child's environment. */
  secrets: Record<string, string>;
  cache: CacheSettings;
  push: boolean;
  /** Ignore cached results (--no-cache) for this build. */
  noCache?: boolean;
  registryAuth?: { registry: string; username: string; password: string };
  /** Where the builder's progress goes; the runner's log by default. */
  log?: Writable;
}

export type CacheSettings =
  | { mode: Extract<CacheMode, 'none'> }
  /** `ref`: e.g. ghcr.io/org/model:buildcache (`mode=max`, so every stage's layers are cached). */
  | { mode: Extract<CacheMode, 'registry'>; ref: string }
  /** GitHub Actions cache service; `scope` keeps images of one repository apart. */
  | { mode: Extract<CacheMode, 'gha'>; scope: string; url?: string; urlV2?: string; token?: string };

export interface BuildOutcome {
  /** Digest of what was pushed (manifest, or the index when buildx adds attestations). */
  digest: string;
  /** BuildKit's metadata file, as written. */
  metadata: Record<string, unknown>;
  builder: Builder;
  durationMs: number;
}

/** The environment variable that carries secret number `index` to the builder process. */
function secretVariable(index: number): string {
  return `MODEL_CANARY_BUILD_SECRET_${index}`;
}

function cacheExportAndImport(cache: CacheSettings): { from?: string; to?: string } {
  switch (cache.mode) {
    case 'none':
      return {};
    case 'registry':
      return { from: `type=registry,ref=${cache.ref}`, to: `type=registry,ref=${cache.ref},mode=max` };
    case 'gha': {
      const service = [
        cache.url !== undefined ? `url=${cache.url}` : undefined,
        cache.urlV2 !== undefined ? `url_v2=${cache.urlV2}` : undefined,
        cache.token !== undefined ? `token=${cache.token}` : undefined,
      ].filter((part) => part !== undefined);
      const common = ['type=gha', `scope=${cache.scope}`, ...service].join(',');
      return { from: common, to: `${common},mode=max` };
    }
  }
}

/** `--secret` flags, the same for both tools: each secret's value travels in an environment variable, never on the command line. */
function secretFlags(request: BuildRequest): string[] {
  return Object.keys(request.secrets)
    .sort()
    .flatMap((id, index) => ['--secret', `id=${id},env=${secretVariable(index)}`]);
}

/** `docker buildx build` arguments for a request (pure). */
export function buildxArguments(request: BuildRequest, metadataFile: string): string[] {
  const args = ['buildx', 'build', '--progress=plain', '--file', request.dockerfile];
  for (const [name, dir] of sorted(request.namedContexts)) args.push('--build-context', `${name}=${dir}`);
  args.push('--platform', request.platforms.join(','));
  for (const tag of request.tags) args.push('--tag', tag);
  for (const [key, value] of sorted(request.buildArgs)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of sorted(request.labels)) args.push('--label', `${key}=${value}`);
  args.push(...secretFlags(request));
  const cache = cacheExportAndImport(request.cache);
  if (cache.from !== undefined) args.push('--cache-from', cache.from);
  if (cache.to !== undefined) args.push('--cache-to', cache.to);
  if (request.noCache) args.push('--no-cache');
  const rewrite = 'SOURCE_DATE_EPOCH' in request.buildArgs ? ',rewrite-timestamp=true' : '';
  args.push('--output', request.push ? `type=image,push=true${rewrite}` : 'type=cacheonly');
  args.push('--metadata-file', metadataFile, request.contextDir);
  return args;
}

/** `buildctl build` arguments for a request (pure); the daemon address comes first. */
export function buildctlArguments(request: BuildRequest, metadataFile: string): string[] {
  const dockerfileDir = request.dockerfile.slice(0, request.dockerfile.lastIndexOf('/')) || '/';
  const dockerfileName = request.dockerfile.slice(request.dockerfile.lastIndexOf('/') + 1);
  // Without buildkit-host, buildctl takes BUILDKIT_HOST from the environment, else its default socket.
  const address = request.buildkitHost !== undefined ? ['--addr', request.buildkitHost] : [];
  const args = [...address, 'build', '--progress=plain', '--frontend', 'dockerfile.v0'];
  args.push('--local', `context=${request.contextDir}`, '--local', `dockerfile=${dockerfileDir}`);
  args.push('--opt', `filename=${dockerfileName}`);
  for (const [name, dir] of sorted(request.namedContexts)) {
    args.push('--local', `${name}=${dir}`, '--opt', `context:${name}=local:${name}`);
  }
  args.push('--opt', `platform=${request.platforms.join(',')}`);
  for (const [key, value] of sorted(request.buildArgs)) args.push('--opt', `build-arg:${key}=${value}`);
  for (const [key, value] of sorted(request.labels)) args.push('--opt', `label:${key}=${value}`);
  args.push(...secretFlags(request));
  const cache = cacheExportAndImport(request.cache);
  if (cache.from !== undefined) args.push('--import-cache', cache.from);
  if (cache.to !== undefined) args.push('--export-cache', cache.to);
  if (request.noCache) args.push('--no-cache');
  // Several names in one image output are quoted as a CSV field.
  const names = request.tags.length === 1 ? `name=${request.tags[0]}` : `"name=${request.tags.join(',')}"`;
  // With SOURCE_DATE_EPOCH, BuildKit clamps file times in the layers it writes, so the same
  // weights give the same layer digest even from an empty cache (no re-upload).
  const rewrite = 'SOURCE_DATE_EPOCH' in request.buildArgs ? ',rewrite-timestamp=true' : '';
  args.push('--output', request.push ? `type=image,${names},push=true${rewrite}` : 'type=cacheonly');
  args.push('--metadata-file', metadataFile);
  return args;
}

/** `auto`: buildctl when a BuildKit address is given, else buildx when `docker buildx` works, else buildctl. */
export async function chooseBuilder(
  choice: 'auto' | Builder,
  buildkitHost: string | undefined,
): Promise<{ builder: Builder; reason: string }> {
  if (choice !== 'auto') return { builder: choice, reason: 'input builder' };
  if (buildkitHost !== undefined) return { builder: 'buildctl', reason: `buildkit-host is ${buildkitHost}` };
  const probe = await exec
    .getExecOutput('docker', ['buildx', 'version'], { silent: true, ignoreReturnCode: true })
    .catch(() => undefined);
  if (probe !== undefined && probe.exitCode === 0) {
    return { builder: 'buildx', reason: `docker buildx works (${probe.stdout.trim()})` };
  }
  return { builder: 'buildctl', reason: 'docker buildx is not available' };
}

/** Builds (and pushes) with BuildKit; returns the digest from BuildKit's metadata file. */
export async function runBuild(request: BuildRequest): Promise<BuildOutcome> {
  const scratch = await mkdtemp(join(tmpdir(), 'model-canary-build-'));
  const started = Date.now();
  let loggedInWithDocker = false;
  try {
    const metadataFile = join(scratch, 'metadata.json');
    const env: Record<string, string> = { ...stringEnvironment() };
    Object.keys(request.secrets)
      .sort()
      .forEach((id, index) => {
        runner.setSecret(request.secrets[id]!);
        env[secretVariable(index)] = request.secrets[id]!;
      });
    if (request.cache.mode === 'gha' && request.cache.token !== undefined)
      runner.setSecret(request.cache.token);
    const output = request.log !== undefined ? { outStream: request.log, errStream: request.log } : {};

    let command: string;
    let args: string[];
    if (request.builder === 'buildx') {
      if (request.registryAuth !== undefined) {
        await dockerLogin(request.registryAuth, output);
        loggedInWithDocker = true;
      }
      command = 'docker';
      args = buildxArguments(request, metadataFile);
    } else {
      if (request.registryAuth !== undefined) {
        env.DOCKER_CONFIG = await writeDockerConfig(scratch, request.registryAuth);
      }
      command = 'buildctl';
      args = buildctlArguments(request, metadataFile);
    }
    const exitCode = await exec.exec(command, args, { env, ignoreReturnCode: true, ...output }).catch(() => {
      // @actions/exec throws only when the program cannot be started at all.
      throw new BuildFailed(
        request.builder === 'buildx'
          ? 'docker buildx is not installed on the runner: add docker/setup-buildx-action before this step, or use builder buildctl'
          : "buildctl is not installed on the runner: put BuildKit's buildctl on PATH, or use builder buildx",
        'builder',
      );
    });
    if (exitCode !== 0) {
      const step = request.builder === 'buildx' ? 'docker buildx build' : 'buildctl build';
      throw new BuildFailed(`${step} failed with exit code ${exitCode}; its log is above`);
    }
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>;
    const digest = metadata['containerimage.digest'];
    if (request.push && (typeof digest !== 'string' || !isDigest(digest))) {
      throw new BuildFailed(
        `BuildKit's metadata file has no containerimage.digest (keys: ${Object.keys(metadata).join(', ')})`,
      );
    }
    return {
      digest: typeof digest === 'string' ? digest : '',
      metadata,
      builder: request.builder,
      durationMs: Date.now() - started,
    };
  } finally {
    if (loggedInWithDocker && request.registryAuth !== undefined) {
      await exec.exec('docker', ['logout', request.registryAuth.registry], {
        ignoreReturnCode: true,
        silent: true,
      });
    }
    // Removes the temporary DOCKER_CONFIG (credentials) along with the metadata file.
    await rm(scratch, { recursive: true, force: true });
  }
}

async function dockerLogin(
  auth: NonNullable<BuildRequest['registryAuth']>,
  output: { outStream?: Writable; errStream?: Writable },
): Promise<void> {
  runner.setSecret(auth.password);
  const args = ['login', '--username', auth.username, '--password-stdin'];
  if (auth.registry !== 'docker.io') args.push(auth.registry);
  const exitCode = await exec.exec('docker', args, {
    input: Buffer.from(auth.password),
    ignoreReturnCode: true,
    ...output,
  });
  if (exitCode !== 0) {
    throw new BuildFailed(
      `docker login to ${auth.registry} failed (exit code ${exitCode})`,
      'registry-username',
    );
  }
}

/** A DOCKER_CONFIG folder for buildctl with only this registry's credentials, readable by us only. */
async function writeDockerConfig(
  scratch: string,
  auth: NonNullable<BuildRequest['registryAuth']>,
): Promise<string> {
  runner.setSecret(auth.password);
  const dir = join(scratch, 'docker-config');
  await mkdir(dir, { mode: 0o700 });
  const server = auth.registry === 'docker.io' ? 'https://index.docker.io/v1/' : auth.registry;
  const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  runner.setSecret(encoded);
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify({ auths: { [server]: { auth: encoded } } }), { mode: 0o600 });
  await chmod(file, 0o600);
  return dir;
}

function stringEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
