/** Stage `build`: the model's serving image, built and pushed (src/image/model-image.ts) from the settings. */
import { resolve } from 'node:path';
import { InputError } from '../errors.ts';
import type { Settings } from '../inputs/settings.ts';
import type { CacheSettings } from '../image/buildkit.ts';
import { buildModelImage, type ModelImageOptions } from '../image/model-image.ts';
import type { BuiltImage, Run } from '../run.ts';
import * as runner from '../github/runner.ts';
import { registryCredentials } from '../registry/credentials.ts';
import { parseImageReference } from '../registry/image-ref.ts';

/**
 * Stage `build` (canary and preview modes): builds and pushes the model's image; deploy runs this
 * exact digest, with the probe paths of the runtime auto-detection chose.
 */
export async function buildStage({
  plan,
  settings,
}: Pick<Run, 'plan' | 'settings'>): Promise<{ image: BuiltImage }> {
  if (plan.image === undefined) throw new InputError([{ input: 'image', message: 'is required to build' }]);
  const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
  const model: ModelImageOptions['model'] =
    settings.build.model === undefined
      ? undefined
      : settings.build.model.kind === 'path'
        ? {
            kind: 'path',
            absolutePath: resolve(workspace, settings.build.model.path),
            label: settings.build.model.path,
          }
        : settings.build.model;
  const serverUrl = process.env['GITHUB_SERVER_URL'] || 'https://github.com';
  // The one lookup (src/registry/credentials.ts). Credentials from inputs are handed to BuildKit;
  // a login the runner already has is in the Docker config, which buildx and buildctl read
  // themselves (with its helpers and every other registry's login, base images' included).
  const registry = parseImageReference(plan.image.repository)?.registry ?? plan.image.repository;
  const credentials = await registryCredentials(registry, {
    ...(settings.build.registryAuth !== undefined ? { inputs: settings.build.registryAuth } : {}),
  });
  if (credentials !== undefined) runner.setSecret(credentials.password);
  runner.info(
    credentials !== undefined
      ? `Pushing to ${registry} with ${credentials.source}`
      : `No login for ${registry} in the inputs or the Docker config: pushing anonymously`,
  );
  const image = await buildModelImage({
    ...(model !== undefined ? { model } : {}),
    runtime: settings.build.runtime,
    ...(settings.build.dockerfile !== undefined
      ? { dockerfile: resolve(workspace, settings.build.dockerfile), dockerfileContext: workspace }
      : {}),
    ...(settings.build.baseImage !== undefined ? { baseImage: settings.build.baseImage } : {}),
    repository: plan.image.repository,
    tags: [plan.image.commitTag],
    builder: settings.build.builder,
    ...(settings.build.buildkitHost !== undefined ? { buildkitHost: settings.build.buildkitHost } : {}),
    cache: cacheSettings(settings, plan.image.cacheReference),
    platforms: settings.build.platforms,
    buildArgs: settings.build.buildArgs,
    buildSecrets: settings.build.buildSecrets,
    ...(credentials?.fromInputs === true
      ? { registryAuth: { username: credentials.username, password: credentials.password } }
      : {}),
    ...(settings.run.repository !== '' ? { sourceUrl: `${serverUrl}/${settings.run.repository}` } : {}),
    ...(settings.run.sha !== '' ? { revision: settings.run.sha } : {}),
    ...(process.env['HF_TOKEN'] ? { hfToken: process.env['HF_TOKEN'] } : {}),
    ...(process.env['HF_ENDPOINT'] ? { hfEndpoint: process.env['HF_ENDPOINT'] } : {}),
  });
  return {
    image: {
      reference: image.reference,
      digest: image.digest,
      runtime: image.runtime,
      ...(image.modelName !== undefined ? { modelName: image.modelName } : {}),
    },
  };
}

/** The cache settings for input `cache`; `gha` takes the runner's cache service from its environment. */
export function cacheSettings(
  settings: Pick<Settings, 'build' | 'run'>,
  cacheReference: string | undefined,
): CacheSettings {
  switch (settings.build.cache) {
    case 'none':
      return { mode: 'none' };
    case 'registry':
      if (cacheReference === undefined) throw new Error('cache registry needs the image repository');
      return { mode: 'registry', ref: cacheReference };
    case 'gha': {
      const env = process.env;
      return {
        mode: 'gha',
        scope: settings.run.repository === '' ? 'model-canary' : `model-canary-${settings.run.repository}`,
        ...(env['ACTIONS_CACHE_URL'] ? { url: env['ACTIONS_CACHE_URL'] } : {}),
        ...(env['ACTIONS_RESULTS_URL'] ? { urlV2: env['ACTIONS_RESULTS_URL'] } : {}),
        ...(env['ACTIONS_RUNTIME_TOKEN'] ? { token: env['ACTIONS_RUNTIME_TOKEN'] } : {}),
      };
    }
  }
}
