/**
 * `release` mode's first stage: give the image that was built and verified for this commit its
 * exact release tag (v1.2.3) by copying its manifest under it through the registry API. Nothing is
 * built: the manifest's bytes are put back unchanged, so every tag has the same digest. The
 * floating tags (v1.2, v1) are what users pull: they move only once the release canary is promoted
 * (`moveFloatingTags`, from decide), so a reverted release never becomes `v1`.
 */
import * as runner from '../github/runner.ts';
import { IMAGE_LABELS } from '../image/dockerfile.ts';
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

/** A registry session for the release's repository; messages say where the credentials came from. */
function sessionFor(request: Pick<ReleaseTagging, 'repository' | 'credentials'>): RegistrySession {
  return new RegistrySession(
    request.repository,
    request.credentials,
    ...(request.credentials?.source !== undefined ? [request.credentials.source] : []),
  );
}

/** Puts the commit's image under every release tag and checks each tag resolves to its digest. */
export async function tagVerifiedImage(request: ReleaseTagging): Promise<TaggedRelease> {
  const registry = sessionFor(request);
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

/** A floating tag moved to the release, and the digest it named before (none: it is new). */
export interface MovedTag {
  tag: string;
  previous?: string;
}

/**
 * Moves each floating tag to `digest`, recording where it was. When one cannot be moved, those
 * already moved are put back before the error is thrown, so the tags never disagree.
 */
export async function moveFloatingTags(
  request: Omit<ReleaseTagging, 'commitTag'>,
  digest: string,
): Promise<MovedTag[]> {
  const registry = sessionFor(request);
  const manifest = await registry.manifest(digest);
  const moved: MovedTag[] = [];
  try {
    for (const tag of request.releaseTags) {
      const previous = await registry.resolve(tag);
      moved.push({ tag, ...(previous !== undefined ? { previous } : {}) });
      const stored = await registry.putManifest(tag, manifest);
      if (stored !== digest)
        throw new RegistryError(`${request.repository}:${tag}`, `was stored as ${stored}, not ${digest}`);
    }
    return moved;
  } catch (error) {
    await putTagsBack(registry, moved);
    throw error;
  }
}

/**
 * Puts moved tags back on the digests they named. A tag that did not exist before is left on the
 * release: the registry API deletes manifests, not tags, and deleting the manifest would take the
 * exact tag with it.
 */
export async function putTagsBack(registry: RegistrySession, moved: readonly MovedTag[]): Promise<void> {
  for (const { tag, previous } of moved) {
    if (previous !== undefined) await registry.putManifest(tag, await registry.manifest(previous));
  }
}

/** What release mode hands from tag-release to decide: the digest, and the tags still to move. */
export interface ReleaseTags {
  digest: string;
  /** v1.2, v1: moved only after the release canary is promoted. */
  floatingTags: readonly string[];
}

/**
 * The credentials release tagging uses: the inputs, else the runner's Docker config (a
 * docker/login-action before this step is enough). The password is masked.
 */
export async function releaseCredentials({
  plan,
  settings,
}: Pick<Run, 'plan' | 'settings'>): Promise<ReleaseTagging['credentials']> {
  const repository = plan.image?.repository ?? '';
  const registry = parseImageReference(repository)?.registry ?? repository;
  const credentials = await registryCredentials(registry, {
    ...(settings.build.registryAuth !== undefined ? { inputs: settings.build.registryAuth } : {}),
  });
  if (credentials !== undefined) runner.setSecret(credentials.password);
  return credentials;
}

/**
 * Stage `tag-release`: tags the commit's verified image with its exact version (registry
 * credentials from releaseCredentials) and hands `repository@digest` on for deploy-canary to run, and the
 * floating tags on for decide to move after a promotion.
 */
export async function tagReleaseStage({
  plan,
  settings,
}: Run): Promise<{ image: BuiltImage; release: ReleaseTags }> {
  if (plan.image === undefined || plan.image.releaseTags.length === 0) {
    throw new RegistryError(
      plan.image?.repository ?? 'image',
      'release mode needs an image and a version tag (v1.2.3)',
      'image',
    );
  }
  const [exact, ...floatingTags] = plan.image.releaseTags;
  const credentials = await releaseCredentials({ plan, settings });
  const release = await tagVerifiedImage({
    repository: plan.image.repository,
    commitTag: plan.image.commitTag,
    releaseTags: [exact!],
    ...(credentials !== undefined ? { credentials } : {}),
  });
  runner.info(
    `Tagged ${release.image} as ${release.tags.join(', ')} (no rebuild: same manifest, same digest)` +
      (floatingTags.length > 0
        ? `; ${floatingTags.join(', ')} move once the release canary is promoted`
        : ''),
  );
  return {
    image: {
      reference: release.image,
      digest: release.digest,
      ...(await servedModelOf(
        { repository: plan.image.repository, ...(credentials !== undefined ? { credentials } : {}) },
        release.digest,
      )),
    },
    release: { digest: release.digest, floatingTags },
  };
}

/**
 * The runtime and model name the build wrote into the image's labels: release builds nothing, and
 * its canary must be probed on the same model paths as the canary run that verified the image.
 */
export async function servedModelOf(
  request: Pick<ReleaseTagging, 'repository' | 'credentials'>,
  digest: string,
): Promise<Pick<BuiltImage, 'runtime' | 'modelName'>> {
  const registry = sessionFor(request);
  const labels = (await registry.config(await registry.imageManifest(digest))).config?.Labels ?? {};
  const runtime = labels[IMAGE_LABELS.runtime];
  const modelName = labels[IMAGE_LABELS.title];
  return {
    ...(runtime !== undefined && runtime !== '' ? { runtime } : {}),
    ...(modelName !== undefined && modelName !== '' ? { modelName } : {}),
  };
}
