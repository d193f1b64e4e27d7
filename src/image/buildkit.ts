/**
 * Runs a build on BuildKit (adapter): `docker buildx build` or `buildctl build`, with registry
 * credentials, cache import/export, build arguments and secrets, and the pushed digest read from
 * BuildKit's metadata file (never from the log). The command lines are built by pure functions
 * (`buildxArguments`, `buildctlArguments`) that tests read directly; no secret is ever on them
 * (any process on the runner can read a command line): secrets and the cache token travel in the
 * builder's environment (`builderEnvironment`), registry credentials in a Docker config folder of
 * the build's own, removed after it (and by the post step when the build was killed).
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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
  /**
   * GitHub Actions cache service; `scope` keeps images of one repository apart. `token` reaches the
   * builder as ACTIONS_RUNTIME_TOKEN, which buildx and buildctl read when the cache spec has none.
   */
  | { mode: Extract<CacheMode, 'gha'>; scope: string; url?: string; urlV2?: string; token?: string }
  /**
   * Cache metadata inside the pushed image (`--cache-to type=inline`), the one export buildx's
   * `docker` driver supports; `from` is still read as a registry cache when it is there.
   */
  | { mode: 'inline'; from?: string };

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
      ].filter((part) => part !== undefined);
      const common = ['type=gha', `scope=${cache.scope}`, ...service].join(',');
      return { from: common, to: `${common},mode=max` };
    }
    case 'inline':
      return {
        ...(cache.from !== undefined ? { from: `type=registry,ref=${cache.from}` } : {}),
        to: 'type=inline',
      };
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

/** The driver of buildx's current builder, as `docker buildx inspect` prints it (`Driver: docker`). */
export function buildxDriverOf(inspectOutput: string): string | undefined {
  return /^Driver:\s*(\S+)/m.exec(inspectOutput)?.[1];
}

/**
 * The cache a buildx builder with this driver can use (pure). The `docker` driver, the default of a
 * runner's Docker, exports no registry or GitHub Actions cache (buildx fails with "Cache export is
 * not supported for the docker driver"), so the build falls back to inline cache with a warning
 * naming the reason and the fix, rather than failing.
 */
export function cacheForBuildxDriver(
  cache: CacheSettings,
  driver: string | undefined,
): { cache: CacheSettings; warning?: string } {
  if (driver !== 'docker' || (cache.mode !== 'registry' && cache.mode !== 'gha')) return { cache };
  return {
    cache: { mode: 'inline', ...(cache.mode === 'registry' ? { from: cache.ref } : {}) },
    warning:
      `cache ${cache.mode} needs a buildx builder that can export cache, but the current builder uses the docker driver, ` +
      'which cannot: building with inline cache instead. Add docker/setup-buildx-action before this step ' +
      '(it creates a docker-container builder), or set cache: none',
  };
}

/** The driver of buildx's current builder (BUILDX_BUILDER or the default), or undefined when inspect fails. */
export async function buildxDriver(): Promise<string | undefined> {
  const inspect = await exec
    .getExecOutput('docker', ['buildx', 'inspect'], { silent: true, ignoreReturnCode: true })
    .catch(() => undefined);
  return inspect !== undefined && inspect.exitCode === 0 ? buildxDriverOf(inspect.stdout) : undefined;
}

/** Prefix of the scratch folder a build keeps its metadata file and Docker config in. */
const SCRATCH_PREFIX = 'model-canary-build-';

/**
 * The builder's environment (pure): `base` plus each build secret, the gha cache token and the
 * build's own Docker config folder, none of which may be on its command line.
 */
export function builderEnvironment(
  request: Pick<BuildRequest, 'secrets' | 'cache'>,
  base: Record<string, string>,
  dockerConfig?: string,
): Record<string, string> {
  const env = { ...base };
  Object.keys(request.secrets)
    .sort()
    .forEach((id, index) => (env[secretVariable(index)] = request.secrets[id]!));
  if (request.cache.mode === 'gha' && request.cache.token !== undefined)
    env['ACTIONS_RUNTIME_TOKEN'] = request.cache.token;
  if (dockerConfig !== undefined) env['DOCKER_CONFIG'] = dockerConfig;
  return env;
}

/** Builds whose push lost a race in the registry are run again, up to this many times in all. */
const PUSH_ATTEMPTS = 3;
/** How much of a build's output is kept to explain a failure: BuildKit prints its errors last. */
const LOG_TAIL_BYTES = 64 * 1024;

/** The last LOG_TAIL_BYTES of what a build printed (both streams), beside the log itself. */
class LogTail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  readonly listeners = { stdout: (data: Buffer) => this.add(data), stderr: (data: Buffer) => this.add(data) };

  private add(data: Buffer): void {
    this.chunks.push(data);
    this.bytes += data.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0]!.length >= LOG_TAIL_BYTES)
      this.bytes -= this.chunks.shift()!.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * The registry's answer when a push failed because two uploads of one blob overlapped (pure), or
 * undefined. BuildKit pushes the image and exports the registry cache at the same time, and both
 * upload layers they share (the empty layer at least); distribution's registry answers the loser
 * with a digest mismatch or "blob unknown", Nexus with "blob upload invalid". Anything else
 * (denied, unauthorized, a missing repository) is not retried.
 */
export function registryUploadRace(log: string): string | undefined {
  const push = /failed to push|error writing layer blob|failed commit on ref/.exec(log);
  if (push === null) return undefined;
  // Only what follows the push's failure: a RUN step may have printed anything before it.
  const answer =
    /provided digest did not match uploaded content|blob unknown to registry|blob upload (?:unknown|invalid)|unexpected commit digest/.exec(
      log.slice(push.index),
    );
  return answer?.[0];
}

/**
 * The first error of a BuildKit log (pure), or undefined: its `ERROR:` line without the step
 * prefix, and the registry's answer lines that follow it.
 */
export function firstBuildError(log: string): string | undefined {
  const lines = log.split(/\r?\n/);
  const at = lines.findIndex((line) => /^(?:#\d+ )?ERROR: /.test(line));
  if (at === -1) return undefined;
  const following = lines.slice(at + 1, at + 4);
  const end = following.findIndex((line) => line.trim() === '' || /^(?:#\d+ |-{3,})/.test(line));
  const message = [
    lines[at]!.replace(/^(?:#\d+ )?ERROR: /, ''),
    ...following.slice(0, end === -1 ? undefined : end),
  ]
    .map((line) => line.trim())
    .join(' ');
  return message.length > 400 ? `${message.slice(0, 400)}…` : message;
}

/**
 * Builds (and pushes) with BuildKit; returns the digest from BuildKit's metadata file.
 * `onScratch` hears of the scratch folder (credentials inside) when it is made and, with
 * undefined, when it is gone, so the post step can remove it after a kill.
 */
export async function runBuild(
  request: BuildRequest,
  onScratch: (folder: string | undefined) => void = () => undefined,
): Promise<BuildOutcome> {
  const scratch = await mkdtemp(join(tmpdir(), SCRATCH_PREFIX));
  onScratch(scratch);
  const started = Date.now();
  try {
    const metadataFile = join(scratch, 'metadata.json');
    for (const value of Object.values(request.secrets)) runner.setSecret(value);
    if (request.cache.mode === 'gha' && request.cache.token !== undefined)
      runner.setSecret(request.cache.token);
    const dockerConfig =
      request.registryAuth !== undefined
        ? await writeDockerConfig(scratch, request.registryAuth, runnerDockerConfig(process.env))
        : undefined;
    const env = builderEnvironment(request, stringEnvironment(), dockerConfig);
    const output = request.log !== undefined ? { outStream: request.log, errStream: request.log } : {};
    const [command, args] =
      request.builder === 'buildx'
        ? ['docker', buildxArguments(request, metadataFile)]
        : ['buildctl', buildctlArguments(request, metadataFile)];
    const step = request.builder === 'buildx' ? 'docker buildx build' : 'buildctl build';
    for (let attempt = 1; ; attempt++) {
      const tail = new LogTail();
      const exitCode = await exec
        .exec(command, args, { env, ignoreReturnCode: true, ...output, listeners: tail.listeners })
        .catch(() => {
          // @actions/exec throws only when the program cannot be started at all.
          throw new BuildFailed(
            request.builder === 'buildx'
              ? 'docker buildx is not installed on the runner: add docker/setup-buildx-action before this step, or use builder buildctl'
              : "buildctl is not installed on the runner: put BuildKit's buildctl on PATH, or use builder buildx",
            'builder',
          );
        });
      if (exitCode === 0) break;
      const race = registryUploadRace(tail.text());
      if (race !== undefined && attempt < PUSH_ATTEMPTS) {
        // Nothing is rebuilt (every step is cached now), and the blob the registry lost is pushed again.
        runner.info(
          `the registry refused a layer upload (${race}); the image push and the cache export uploaded the same layer at once, which registries such as distribution and Nexus do not serialise. Building again (attempt ${attempt + 1} of ${PUSH_ATTEMPTS}).`,
        );
        await new Promise((wake) => setTimeout(wake, attempt * 500));
        continue;
      }
      const cause = firstBuildError(tail.text());
      throw new BuildFailed(
        `${step} failed with exit code ${exitCode}${cause !== undefined ? `: ${cause}` : ''} (its log is above)`,
      );
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
    // The build's Docker config (credentials) goes with the metadata file; the runner's own config
    // was never written, so no login an earlier step made is touched.
    await rm(scratch, { recursive: true, force: true });
    onScratch(undefined);
  }
}

/**
 * Removes a scratch folder a killed build left (the post step); anything that is not one of ours,
 * in the temporary folder, is left alone.
 */
export async function removeBuildScratch(folder: string): Promise<boolean> {
  const path = resolve(folder);
  if (dirname(path) !== resolve(tmpdir()) || !basename(path).startsWith(SCRATCH_PREFIX)) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}

/** The runner's Docker config folder, as the docker CLI finds it. */
export function runnerDockerConfig(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CONFIG'] || join(homedir(), '.docker');
}

/**
 * The build's own DOCKER_CONFIG folder (0700; config.json 0600): the runner's config with this
 * registry's login added, so the team's other logins still work, and links to everything else the
 * runner's folder holds (buildx builders, contexts, CLI plugins such as buildx itself). Nothing is
 * written to the runner's folder.
 */
export async function writeDockerConfig(
  scratch: string,
  auth: NonNullable<BuildRequest['registryAuth']>,
  runnerConfig: string,
): Promise<string> {
  runner.setSecret(auth.password);
  const dir = join(scratch, 'docker-config');
  await mkdir(dir, { mode: 0o700 });
  await chmod(dir, 0o700);
  const entries = await readdir(runnerConfig).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name !== 'config.json'))
    await symlink(join(runnerConfig, entry), join(dir, entry));
  const config = await readFile(join(runnerConfig, 'config.json'), 'utf8')
    .then((text) => JSON.parse(text) as Record<string, unknown>)
    .catch(() => ({}) as Record<string, unknown>);
  const server = auth.registry === 'docker.io' ? 'https://index.docker.io/v1/' : auth.registry;
  const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  runner.setSecret(encoded);
  const auths = { ...(config['auths'] as Record<string, unknown> | undefined), [server]: { auth: encoded } };
  // A credential helper would be asked instead of the file; an empty helper name for this
  // registry sends the docker CLI (and BuildKit's auth provider) to the file's entry.
  const helpers = config['credHelpers'] as Record<string, string> | undefined;
  const credHelpers =
    config['credsStore'] !== undefined || helpers !== undefined
      ? { credHelpers: { ...helpers, [server]: '' } }
      : {};
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify({ ...config, auths, ...credHelpers }), { mode: 0o600 });
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
