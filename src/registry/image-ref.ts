/** Container image references (pure), following the grammar of distribution/reference. */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
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

/** The repository part of a reference, `registry/path`, as users write it. */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.registry}/${ref.path}`;
}
