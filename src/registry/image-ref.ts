/** Container image references (pure), following the grammar of distribution/reference. */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
// Narrower than DIGEST on purpose: BuildKit and registries write sha256 in lower-case hex, and a
// digest this action pins to, outputs or compares must be written exactly one way.
const SHA256_DIGEST = 'sha256:[0-9a-f]{64}';
const WHOLE_SHA256_DIGEST = new RegExp(`^${SHA256_DIGEST}$`);
const PINNED_DIGEST = new RegExp(`@(${SHA256_DIGEST})$`);
const LOWERCASE_PATH_COMPONENT = new RegExp(`^${PATH_COMPONENT}$`);
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

export interface ImageReference {
  /** Registry host[:port]; `docker.io` when the reference names none. */
  registry: string;
  /** Path inside the registry, e.g. `org/resnet` (`library/x` for Docker Hub single names). */
  path: string;
  tag?: string;
  digest?: string;
}

/** Parses an image reference, or returns undefined when it is not one. */
export function parseImageReference(text: string): ImageReference | undefined {
  const match = REFERENCE.exec(text);
  if (!match) return undefined;
  let [, domain, path] = match;
  const [, , , tag, digest] = match;
  if (path === undefined || path.length + (domain?.length ?? 0) > 255) return undefined;
  // The first component is a registry only if it looks like a host (as the docker CLI decides).
  if (domain !== undefined && !/[.:]/.test(domain) && domain !== 'localhost') {
    if (!LOWERCASE_PATH_COMPONENT.test(domain)) return undefined;
    path = `${domain}/${path}`;
    domain = undefined;
  }
  const registry = domain ?? 'docker.io';
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return {
    registry,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The repository part of a parsed reference, `registry/path`, as users write it. */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.registry}/${ref.path}`;
}

/**
 * The repository of a reference as written, its tag and digest stripped and a registry port kept:
 * `localhost:5000/acme/x:v1@sha256:…` → `localhost:5000/acme/x`. Unlike `repositoryOf`, it does not
 * name Docker Hub (`ubuntu:24.04` stays `ubuntu`), so a pinned reference reads as the image input did.
 */
export function repositoryOfReference(reference: string): string {
  const withoutDigest = reference.split('@')[0]!;
  // A colon before the last slash is a registry port; only one after it starts a tag.
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

/** Whether `text` is a sha256 digest as registries write it: `sha256:` and 64 lower-case hex digits. */
export function isDigest(text: string): boolean {
  return WHOLE_SHA256_DIGEST.test(text);
}

/** The `sha256:…` a reference is pinned to (`repo@sha256:…`, `repo:tag@sha256:…`), or undefined. */
export function digestOf(reference: string): string | undefined {
  return PINNED_DIGEST.exec(reference)?.[1];
}

/** `repository@digest`: the reference that names exactly one image, whatever its tags do later. */
export function pinnedReference(repository: string, digest: string): string {
  return `${repository}@${digest}`;
}
