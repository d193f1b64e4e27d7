/**
 * `release` mode's first stage: give the image that was built and verified for this commit its
 * release tags (v1.2.3, v1.2, v1) by copying its manifest under each tag through the registry API.
 * Nothing is built: the manifest's bytes are put back unchanged, so every tag has the same digest.
 */
import * as runner from '../github/runner.ts';
import type { BuiltImage, Run } from '../run.ts';
import { RegistryError, RegistrySession, type RegistryCredentials } from '../registry/client.ts';
import { registryCredentials } from '../registry/credentials.ts';
import { parseImageReference } from '../registry/image-ref.ts';

export interface ReleaseTagging {
  repository: string;
  /** The tag the verified build was pushed under (the commit SHA). */
  commitTag: string;
  releaseTags: readonly string[];
  /** With `source`, where they came from (registryCredentials), for messages. */
  credentials?: RegistryCredentials & { source?: string };
}

export interface TaggedRelease {
  /** `repository@digest`: the exact image every release tag now names. */
  image: string;
  digest: string;
  mediaType: string;
  tags: string[];
}

/** Puts the commit's image under every release tag and checks each tag resolves to its digest. */
export async function tagVerifiedImage(request: ReleaseTagging): Promise<TaggedRelease> {
  const registry = new RegistrySession(
    request.repository,
    request.credentials,
    ...(request.credentials?.source !== undefined ? [request.credentials.source] : []),
  );
  const source = `${request.repository}:${request.commitTag}`;
  const digest = await registry.resolve(request.commitTag);
  if (digest === undefined) {
    throw new RegistryError(
      source,
      'was not found: release tags only an image a canary run built and verified for this commit (run the canary workflow on it first)',
    );
  }
  const manifest = await registry.manifest(digest);
  for (const tag of request.releaseTags) {
    const stored = await registry.putManifest(tag, manifest);
    if (stored !== digest)
      throw new RegistryError(`${request.repository}:${tag}`, `was stored as ${stored}, not ${digest}`);
  }
  for (const tag of request.releaseTags) {
    const resolved = await registry.resolve(tag);
    if (resolved !== digest) {
      throw new RegistryError(
        `${request.repository}:${tag}`,
        `resolves to ${resolved ?? 'nothing'}, not ${digest}`,
      );
    }
  }
  return {
    image: `${request.repository}@${digest}`,
    digest,
    mediaType: manifest.mediaType,
    tags: [...request.releaseTags],
  };
}

/**
 * Stage `tag-release`: tags the commit's verified image (credentials from the inputs, else the
 * runner's Docker config: a docker/login-action before this step is enough) and
 * hands `repository@digest` on for deploy-canary to run.
 */
export async function tagReleaseStage({ plan, settings }: Run): Promise<{ image: BuiltImage }> {
  if (plan.image === undefined || plan.image.releaseTags.length === 0) {
    throw new RegistryError(
      plan.image?.repository ?? 'image',
      'release mode needs an image and a version tag (v1.2.3)',
      'image',
    );
  }
  const registry = parseImageReference(plan.image.repository)?.registry ?? plan.image.repository;
  const credentials = await registryCredentials(registry, {
    ...(settings.build.registryAuth !== undefined ? { inputs: settings.build.registryAuth } : {}),
  });
  if (credentials !== undefined) runner.setSecret(credentials.password);
  const release = await tagVerifiedImage({
    repository: plan.image.repository,
    commitTag: plan.image.commitTag,
    releaseTags: plan.image.releaseTags,
    ...(credentials !== undefined ? { credentials } : {}),
  });
  runner.info(
    `Tagged ${release.image} as ${release.tags.join(', ')} (no rebuild: same manifest, same digest)`,
  );
  return { image: { reference: release.image, digest: release.digest } };
}
