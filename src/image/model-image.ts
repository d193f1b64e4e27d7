/**
 * A model's serving image, built and pushed from explicit values: model → runtime → Dockerfile →
 * BuildKit → pushed image and digest. The build stage (src/stages/build.ts) feeds it from the
 * settings; the build tests and the benchmark call it directly.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import * as runner from '../github/runner.ts';
import { InputError } from '../errors.ts';
import type { BuilderChoice, ModelSource, Runtime } from '../inputs/build.ts';
import {
  buildxDriver,
  cacheForBuildxDriver,
  chooseBuilder,
  runBuild,
  type Builder,
  type CacheSettings,
} from './buildkit.ts';
import { detectRuntime } from './detect.ts';
import {
  HF_ENDPOINT_ARG,
  HF_TOKEN_SECRET,
  IMAGE_LABELS,
  MODEL_CONTEXT,
  renderDockerfile,
  type ImageSpec,
} from './dockerfile.ts';
import { parseImageReference } from '../registry/image-ref.ts';
import { resolveHubRevision } from './huggingface.ts';
import { readModelFolder, type ModelFolder } from './model-folder.ts';
import { modelDigest, splitWeights } from './model-files.ts';
import { RUNTIME_PRESETS, type ServingRuntime } from './runtimes.ts';

export interface ModelImageOptions {
  /** A local model (absolute path to a file or folder) or a Hugging Face repository. */
  model?:
    { kind: 'path'; absolutePath: string; label: string } | Extract<ModelSource, { kind: 'huggingface' }>;
  runtime: Runtime;
  /** Absolute path of the user's Dockerfile (runtime dockerfile). */
  dockerfile?: string;
  /** Build context of the user's Dockerfile (the repository root). */
  dockerfileContext?: string;
  baseImage?: string;
  /** Repository without tag, e.g. ghcr.io/org/model. */
  repository: string;
  tags: string[];
  builder: BuilderChoice;
  buildkitHost?: string;
  cache: CacheSettings;
  platforms: string[];
  buildArgs: Record<string, string>;
  buildSecrets: Record<string, string>;
  registryAuth?: { username: string; password: string };
  /** For the OCI source and revision labels. */
  sourceUrl?: string;
  revision?: string;
  /** Hugging Face token (a BuildKit secret) and endpoint, for hf:// models. */
  hfToken?: string;
  hfEndpoint?: string;
  push?: boolean;
  noCache?: boolean;
  /** Where the builder's progress goes (the runner's log by default). */
  log?: Writable;
  /** Hears of the build's scratch folder (registry credentials inside) and, with undefined, of its removal. */
  onScratch?: (folder: string | undefined) => void;
}

export interface ModelImage {
  /** `repository:tag@digest`, what the deploy stage runs. */
  reference: string;
  digest: string;
  runtime: Runtime;
  /** Why this runtime (auto detection, or the input). */
  reason: string;
  /** Name the server serves the model under (undefined for a user's Dockerfile without a model). */
  modelName?: string;
  modelSha256?: string;
  /** The Dockerfile that was built (rendered, or the user's). */
  dockerfile: string;
  builder: Builder;
  durationMs: number;
}

/** Builds and pushes the serving image of a model; returns its reference and digest. */
export async function buildModelImage(options: ModelImageOptions): Promise<ModelImage> {
  const folder =
    options.model?.kind === 'path' ? await readModelFolder(options.model.absolutePath) : undefined;
  const paths = folder?.files.map((f) => f.path) ?? [];
  const { runtime, reason } = chooseRuntime(options, paths);
  runner.info(`runtime: ${runtime} (${reason})`);

  const modelSha256 = folder !== undefined ? modelDigest(folder.files) : undefined;
  if (folder !== undefined) {
    const { weights, others } = splitWeights(folder.files);
    const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(2);
    runner.info(
      `model: ${folder.files.length} files, sha256 ${modelSha256}; weights ${weights.length} files (${megabytes(weights.reduce((s, f) => s + f.size, 0))} MiB) in their own layer, code and config ${others.length} files`,
    );
  }
  const labels: Record<string, string> = {
    [IMAGE_LABELS.runtime]: runtime,
    ...(options.sourceUrl !== undefined ? { [IMAGE_LABELS.source]: options.sourceUrl } : {}),
    ...(options.revision !== undefined ? { [IMAGE_LABELS.revision]: options.revision } : {}),
    ...(options.model !== undefined ? { [IMAGE_LABELS.modelSource]: modelSourceText(options.model) } : {}),
    ...(modelSha256 !== undefined ? { [IMAGE_LABELS.modelSha256]: modelSha256 } : {}),
  };

  const scratch = await mkdtemp(join(tmpdir(), 'model-canary-context-'));
  try {
    let dockerfilePath: string;
    let contextDir: string;
    let dockerfileText: string;
    let modelName: string | undefined;
    const namedContexts: Record<string, string> = {};
    const builderLabels: Record<string, string> = {};
    if (runtime === 'dockerfile') {
      if (options.dockerfile === undefined)
        throw new InputError([{ input: 'dockerfile', message: 'is required for runtime dockerfile' }]);
      dockerfilePath = options.dockerfile;
      contextDir = options.dockerfileContext ?? dirname(options.dockerfile);
      dockerfileText = await readFile(dockerfilePath, 'utf8');
      // The user's Dockerfile may COPY --from=model; labels come from the builder's options.
      if (folder !== undefined) namedContexts[MODEL_CONTEXT] = folder.root;
      Object.assign(builderLabels, labels);
      runner.info(`Dockerfile: ${options.dockerfile} (built as it is), context ${contextDir}`);
    } else {
      modelName = await servedModelName(options, folder, runtime);
      let hubCommit: string | undefined;
      if (options.model?.kind === 'huggingface') {
        const revision = options.model.revision ?? 'main';
        hubCommit = await resolveHubRevision(options.model.repository, revision, {
          ...(options.hfEndpoint !== undefined ? { endpoint: options.hfEndpoint } : {}),
          ...(options.hfToken ? { token: options.hfToken } : {}),
        });
        runner.info(`model: hf://${options.model.repository}@${revision} is commit ${hubCommit}`);
      }
      const baseImage = options.baseImage ?? RUNTIME_PRESETS[runtime].baseImage;
      const spec: ImageSpec = {
        runtime,
        baseImage,
        modelName,
        model:
          options.model?.kind === 'huggingface'
            ? {
                kind: 'huggingface',
                repository: options.model.repository,
                revision: hubCommit!,
              }
            : { kind: 'files', paths },
        labels: { ...labels, [IMAGE_LABELS.title]: modelName, [IMAGE_LABELS.baseName]: baseImage },
      };
      const rendered = renderDockerfile(spec);
      dockerfileText = rendered.dockerfile;
      contextDir = scratch;
      dockerfilePath = join(scratch, 'Dockerfile');
      await writeFile(dockerfilePath, rendered.dockerfile);
      for (const [name, text] of Object.entries(rendered.contextFiles))
        await writeFile(join(scratch, name), text);
      if (folder !== undefined) for (const name of rendered.modelContexts) namedContexts[name] = folder.root;
      runner.info(
        `base image: ${baseImage}${options.baseImage !== undefined ? ' (input base-image)' : ' (preset)'}`,
      );
      runner.info(`Dockerfile (rendered):\n${rendered.dockerfile}`);
    }

    const secrets: Record<string, string> = { ...options.buildSecrets };
    // No SOURCE_DATE_EPOCH of our own: with it BuildKit rewrites every layer it exports on every
    // build, cached or not (12.7 s for 320 MiB of weights here, minutes for real models). The
    // weights layer keeps its digest without it, taken from the build cache (local or registry),
    // so nothing is pushed again; build-args can still set one for bit-reproducible images.
    const buildArgs: Record<string, string> = { ...options.buildArgs };
    if (options.model?.kind === 'huggingface') {
      if (options.hfToken !== undefined && options.hfToken !== '')
        secrets[HF_TOKEN_SECRET] ??= options.hfToken;
      if (options.hfEndpoint !== undefined) buildArgs[HF_ENDPOINT_ARG] ??= options.hfEndpoint;
    }
    const { builder, reason: builderReason } = await chooseBuilder(options.builder, options.buildkitHost);
    let cache = options.cache;
    if (builder === 'buildx' && (cache.mode === 'registry' || cache.mode === 'gha')) {
      const fitted = cacheForBuildxDriver(cache, await buildxDriver());
      if (fitted.warning !== undefined) runner.warning(fitted.warning);
      cache = fitted.cache;
    }
    runner.info(
      `builder: ${builder} (${builderReason}); cache: ${describeCache(cache)}; tags: ${options.tags.join(', ')}`,
    );
    const registry = parseImageReference(options.repository)?.registry ?? 'docker.io';
    const outcome = await runBuild(
      {
        builder,
        ...(options.buildkitHost !== undefined ? { buildkitHost: options.buildkitHost } : {}),
        contextDir,
        dockerfile: dockerfilePath,
        namedContexts,
        tags: options.tags.map((tag) => `${options.repository}:${tag}`),
        platforms: options.platforms,
        buildArgs,
        labels: builderLabels,
        secrets,
        cache,
        push: options.push ?? true,
        ...(options.noCache ? { noCache: true } : {}),
        ...(options.registryAuth !== undefined
          ? { registryAuth: { registry, ...options.registryAuth } }
          : {}),
        ...(options.log !== undefined ? { log: options.log } : {}),
      },
      options.onScratch,
    );
    const reference = `${options.repository}:${options.tags[0]}@${outcome.digest}`;
    runner.info(`pushed ${reference} in ${(outcome.durationMs / 1000).toFixed(1)} s`);
    return {
      reference,
      digest: outcome.digest,
      runtime,
      reason,
      ...(modelName !== undefined ? { modelName } : {}),
      ...(modelSha256 !== undefined ? { modelSha256 } : {}),
      dockerfile: dockerfileText,
      builder: outcome.builder,
      durationMs: outcome.durationMs,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function chooseRuntime(
  options: ModelImageOptions,
  paths: readonly string[],
): { runtime: Exclude<Runtime, 'auto'>; reason: string } {
  if (options.runtime !== 'auto') return { runtime: options.runtime, reason: 'input runtime' };
  if (options.dockerfile !== undefined) return { runtime: 'dockerfile', reason: 'input dockerfile is set' };
  if (options.model === undefined) {
    throw new InputError([{ input: 'model', message: 'runtime auto needs a model (or input dockerfile)' }]);
  }
  const source: ModelSource =
    options.model.kind === 'path' ? { kind: 'path', path: options.model.label } : options.model;
  return detectRuntime(source, paths);
}

/** The model's served name: its own configuration's name where the runtime has one, else the folder's. */
async function servedModelName(
  options: ModelImageOptions,
  folder: ModelFolder | undefined,
  runtime: ServingRuntime,
): Promise<string> {
  if (options.model?.kind === 'huggingface') return options.model.repository.split('/')[1]!;
  if (folder === undefined)
    throw new InputError([{ input: 'model', message: `runtime ${runtime} needs a model` }]);
  const has = (path: string) => folder.files.some((f) => f.path === path);
  if (runtime === 'mlserver' && has('model-settings.json')) {
    const settings = JSON.parse(await readFile(join(folder.root, 'model-settings.json'), 'utf8')) as {
      name?: unknown;
    };
    if (typeof settings.name === 'string' && settings.name !== '') return settings.name;
  }
  if (runtime === 'triton' && has('config.pbtxt')) {
    const config = await readFile(join(folder.root, 'config.pbtxt'), 'utf8');
    const name = /^\s*name\s*:\s*"([^"]+)"/m.exec(config)?.[1];
    if (name !== undefined) return name;
  }
  const label = options.model?.kind === 'path' ? options.model.absolutePath : folder.root;
  return basename(label)
    .replace(/\.[A-Za-z0-9]+$/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '-');
}

function modelSourceText(model: NonNullable<ModelImageOptions['model']>): string {
  if (model.kind === 'path') return model.label;
  return `hf://${model.repository}${model.revision !== undefined ? `@${model.revision}` : ''}`;
}

function describeCache(cache: CacheSettings): string {
  switch (cache.mode) {
    case 'none':
      return 'none';
    case 'registry':
      return `registry (${cache.ref})`;
    case 'gha':
      return `GitHub Actions cache (scope ${cache.scope})`;
    case 'inline':
      return `inline${cache.from !== undefined ? ` (reading ${cache.from})` : ''}`;
  }
}
