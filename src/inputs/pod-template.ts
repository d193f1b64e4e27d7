/**
 * Pure: the user's pod template (input `pod-template`), read from a Deployment, a PodTemplate or a
 * bare pod template (`template:`, or `metadata:`/`spec:` with containers), and checked before
 * anything is built. Each problem names the file, the line and the field, from the `yaml`
 * package's source positions. Only the shape the action relies on is checked here; the API server
 * checks the rest when the Deployment is applied.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { isDnsLabel } from '../kube/names.ts';

/** The name of the container that serves the model, when the template has several. */
export const MODEL_CONTAINER_NAME = 'model';

/** A pod template read from the repository. */
export interface PodTemplate {
  /** The repository path it was read from. */
  file: string;
  /** The pod template as the file holds it (metadata and spec), never modified in place. */
  template: V1PodTemplateSpec;
  /** The container the image, GPUs and probes go to. */
  modelContainer: string;
  /** Why that container: it is named `model`, or it is the first. */
  modelContainerReason: 'named model' | 'first container';
}

type Path = (string | number)[];

/** Reads a pod template file, or returns its problems (each naming the file, line and field). */
export function readPodTemplate(file: string, text: string): PodTemplate | string[] {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined): string =>
    offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
  if (document.errors.length > 0) {
    return document.errors.map(
      (error) => `${at(error.pos[0])}: not valid YAML (${error.message.split('\n')[0]})`,
    );
  }
  const problems: string[] = [];
  const where = (path: Path): string => `${at(nodeAt(document, path)?.range?.[0])}: ${fieldName(path)}`;
  const root: unknown = document.toJS();
  if (!isObject(root)) return [`${file}: expected a Deployment or a pod template (a YAML mapping)`];
  const base = templatePath(root);
  if (base === undefined) {
    return [
      `${file}: expected a Deployment (kind: Deployment with spec.template), a PodTemplate (template:), or a pod template (metadata:/spec: with containers)`,
    ];
  }
  const template = valueAt(root, base);
  if (!isObject(template)) return [`${where(base)} is not a mapping`];
  checkMetadata(template, base, where, problems);
  const spec = template['spec'];
  if (!isObject(spec))
    return [...problems, `${where([...base, 'spec'])} is missing or not a mapping; it needs containers`];
  const containers = spec['containers'];
  const containersPath = [...base, 'spec', 'containers'];
  if (!Array.isArray(containers) || containers.length === 0) {
    return [...problems, `${where(containersPath)} is missing or empty; list at least the model's container`];
  }
  const names = new Set<string>();
  containers.forEach((container: unknown, index) => {
    const path = [...containersPath, index];
    if (!isObject(container)) return problems.push(`${where(path)} is not a mapping`);
    const name = container['name'];
    if (typeof name !== 'string' || !isDnsLabel(name)) {
      problems.push(`${where([...path, 'name'])} must be a container name (an RFC 1123 label)`);
    } else if (names.has(name)) problems.push(`${where([...path, 'name'])}: '${name}' is used twice`);
    else names.add(name);
    checkContainer(container, path, where, problems);
  });
  const volumes = spec['volumes'];
  const volumeNames = new Set<string>();
  if (volumes !== undefined) {
    if (!Array.isArray(volumes)) problems.push(`${where([...base, 'spec', 'volumes'])} must be a list`);
    else {
      volumes.forEach((volume: unknown, index) => {
        const name = isObject(volume) ? volume['name'] : undefined;
        if (typeof name !== 'string') {
          problems.push(`${where([...base, 'spec', 'volumes', index])} needs a name`);
        } else volumeNames.add(name);
      });
    }
  }
  containers.forEach((container: unknown, index) => {
    const mounts = isObject(container) ? container['volumeMounts'] : undefined;
    if (!Array.isArray(mounts)) return;
    mounts.forEach((mount: unknown, m) => {
      const name = isObject(mount) ? mount['name'] : undefined;
      if (typeof name === 'string' && !volumeNames.has(name)) {
        problems.push(
          `${where([...containersPath, index, 'volumeMounts', m, 'name'])}: no volume is named '${name}' in spec.volumes`,
        );
      }
    });
  });
  for (const field of ['serviceAccountName', 'priorityClassName', 'schedulerName']) {
    if (spec[field] !== undefined && typeof spec[field] !== 'string') {
      problems.push(`${where([...base, 'spec', field])} must be a string`);
    }
  }
  for (const field of ['tolerations', 'imagePullSecrets', 'initContainers']) {
    if (spec[field] !== undefined && !Array.isArray(spec[field])) {
      problems.push(`${where([...base, 'spec', field])} must be a list`);
    }
  }
  if (spec['nodeSelector'] !== undefined && !isStringMap(spec['nodeSelector'])) {
    problems.push(`${where([...base, 'spec', 'nodeSelector'])} must map label keys to strings`);
  }
  if (problems.length > 0) return problems;
  const named = (containers as { name: string }[]).find((c) => c.name === MODEL_CONTAINER_NAME);
  return {
    file,
    template: template as V1PodTemplateSpec,
    modelContainer: named?.name ?? (containers[0] as { name: string }).name,
    modelContainerReason: named !== undefined ? 'named model' : 'first container',
  };
}

/** Where the pod template is in the file: a Deployment's spec.template, a template:, or the root. */
function templatePath(root: Record<string, unknown>): Path | undefined {
  if (root['kind'] === 'Deployment')
    return isObject(root['spec']) && 'template' in root['spec'] ? ['spec', 'template'] : undefined;
  if ('template' in root) return ['template'];
  if (isObject(root['spec']) && 'containers' in root['spec']) return [];
  return undefined;
}

function checkMetadata(
  template: Record<string, unknown>,
  base: Path,
  where: (path: Path) => string,
  problems: string[],
): void {
  const metadata = template['metadata'];
  if (metadata === undefined) return;
  if (!isObject(metadata)) {
    problems.push(`${where([...base, 'metadata'])} must be a mapping`);
    return;
  }
  for (const field of ['labels', 'annotations']) {
    if (metadata[field] !== undefined && !isStringMap(metadata[field])) {
      problems.push(
        `${where([...base, 'metadata', field])} must map keys to strings (quote numbers and booleans)`,
      );
    }
  }
}

function checkContainer(
  container: Record<string, unknown>,
  path: Path,
  where: (path: Path) => string,
  problems: string[],
): void {
  for (const field of ['env', 'envFrom', 'ports', 'volumeMounts']) {
    const value = container[field];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every(isObject)) {
      problems.push(`${where([...path, field])} must be a list of mappings`);
    }
  }
  const env = container['env'];
  if (Array.isArray(env)) {
    env.forEach((variable: unknown, index) => {
      if (isObject(variable) && typeof variable['name'] !== 'string') {
        problems.push(`${where([...path, 'env', index])} needs a name`);
      }
      if (isObject(variable) && variable['value'] !== undefined && typeof variable['value'] !== 'string') {
        problems.push(`${where([...path, 'env', index, 'value'])} must be a string (quote it)`);
      }
    });
  }
  for (const field of ['args', 'command']) {
    const value = container[field];
    if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))) {
      problems.push(`${where([...path, field])} must be a list of strings (quote numbers)`);
    }
  }
  const resources = container['resources'];
  if (resources !== undefined && !isObject(resources))
    problems.push(`${where([...path, 'resources'])} must be a mapping`);
}

/** The YAML node at a path, or the deepest existing node above it (for its line). */
function nodeAt(document: Document, path: Path): Node | undefined {
  let node: unknown = document.contents;
  let found = node as Node | undefined;
  for (const key of path) {
    if (isMap(node)) node = node.get(key, true);
    else if (isSeq(node) && typeof key === 'number') node = node.get(key, true);
    else break;
    if (node === undefined || node === null) break;
    found = node as Node;
  }
  // A scalar's own range is its value; a map's key line is what a user looks for, and they agree here.
  return isScalar(found) || isMap(found) || isSeq(found) ? found : undefined;
}

/** `spec.containers[0].env` for a path. */
function fieldName(path: Path): string {
  return (
    path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('') ||
    '(root)'
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((item) => typeof item === 'string');
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      isObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined,
    root,
  );
}
