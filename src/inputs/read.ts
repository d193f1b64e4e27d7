/**
 * The one place that turns the action's raw inputs into typed, validated settings.
 *
 * `parseInputs` is pure: it takes a lookup of raw strings plus what it needs to know about the
 * run (GitHub context, which repository files exist) and returns `Settings`, or throws one
 * `InputError` that lists every bad input. `readInputs` is the adapter that feeds it from the
 * runner's environment. Nothing else in the action reads an input.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import * as runner from '../github/runner.ts';
import { InputError } from '../errors.ts';
import { parseAnswers } from './answers.ts';
import { parseBuild } from './build.ts';
import { parseCluster, type DefaultKubeconfig } from './cluster.ts';
import { parseGate } from './gate.ts';
import { parseMetrics } from './metrics.ts';
import { InputReader, withoutUndefined, type InputSource } from './input-reader.ts';
import { parseProbe } from './probe.ts';
import {
  checkAnswersFitProbe,
  checkModeNeeds,
  checkPauseFitsMode,
  checkProbeFitsRuntime,
  checkStreamGatesFitProbe,
  releaseVersionOf,
} from './rules.ts';
import { readRunContext } from './run-context.ts';
import { MASKED_INPUTS, secretValuesOf } from './secrets.ts';
import { MODES, type Settings } from './settings.ts';
import { parseTraffic } from './traffic.ts';
import { parseName, parseWorkload } from './workload.ts';

/** Turns raw inputs into Settings, or throws an InputError naming every bad input. */
export function parseInputs(source: InputSource): Settings {
  const read = new InputReader(source);
  const run = source.run;
  const mode = read.oneOf('mode', MODES);
  const dryRun = read.boolean('dry-run');
  const build = parseBuild(read);
  const cluster = parseCluster(read, source.defaultKubeconfig, dryRun);
  const name = parseName(read, build);
  const workload = parseWorkload(read);
  const traffic = parseTraffic(read);
  checkPauseFitsMode(read, mode, traffic);
  const probe = parseProbe(read);
  checkProbeFitsRuntime(read, build.runtime, probe);
  const gate = parseGate(read);
  checkStreamGatesFitProbe(read, build.runtime, probe);
  const answers = parseAnswers(read);
  checkAnswersFitProbe(read, build.runtime, probe, answers);
  const metrics = parseMetrics(read);
  const githubToken = read.token('github-token', '${{ github.token }}');
  checkModeNeeds(read, { mode, dryRun, build, run });
  const releaseVersion = releaseVersionOf(read, mode, run.ref);

  if (read.problems.length > 0) throw new InputError(read.problems);

  return withoutUndefined<Settings>({
    mode,
    dryRun,
    name,
    build,
    cluster,
    workload,
    traffic,
    probe,
    gate,
    answers,
    metrics,
    githubToken,
    releaseVersion,
    run,
  });
}

/** Reads the runner's inputs and run context, masking every secret value first. */
export function readInputs(): Settings {
  for (const name of MASKED_INPUTS) {
    for (const value of secretValuesOf(name, runner.getInput(name))) runner.setSecret(value);
  }
  const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
  return parseInputs({
    get: (name) => runner.getInput(name),
    ...repositoryFiles(workspace),
    run: readRunContext(),
    ...withoutUndefined({ defaultKubeconfig: defaultKubeconfig(process.env) }),
  });
}

/**
 * The kubeconfig client-node's loadFromDefault would use when input kubeconfig is empty, in its
 * order: KUBECONFIG, ~/.kube/config, the pod's service account. A KUBECONFIG listing several files
 * is merged by client-node and left unchecked.
 */
export function defaultKubeconfig(env: NodeJS.ProcessEnv): DefaultKubeconfig | undefined {
  const listed = env['KUBECONFIG']?.split(delimiter).filter((path) => path !== '') ?? [];
  if (listed.length > 1) return undefined;
  const path = listed[0] ?? join(env['HOME'] || homedir(), '.kube', 'config');
  const text = statSync(path, { throwIfNoEntry: false })?.isFile() ? readFileSync(path, 'utf8') : undefined;
  if (text === undefined && listed.length === 0 && env['KUBERNETES_SERVICE_HOST']) return { inCluster: true };
  return withoutUndefined<DefaultKubeconfig>({ inCluster: false, path, text });
}

/** The repository's files under `workspace`, as parseInputs asks for them. */
export function repositoryFiles(workspace: string): Omit<InputSource, 'get' | 'run'> {
  const statOf = (relativePath: string) => statSync(join(workspace, relativePath), { throwIfNoEntry: false });
  return {
    pathExists: (relativePath) => existsSync(join(workspace, relativePath)),
    outsideWorkspace: (relativePath) => outsideWorkspace(workspace, relativePath),
    readText: (relativePath) =>
      statOf(relativePath)?.isFile() ? readFileSync(join(workspace, relativePath), 'utf8') : undefined,
    listFolder: (relativePath) =>
      statOf(relativePath)?.isDirectory()
        ? readdirSync(join(workspace, relativePath), { withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => entry.name)
        : undefined,
  };
}

/** Whether the real path `target` lies in the real folder `root` (or is it). */
function isWithin(root: string, target: string): boolean {
  const fromRoot = relative(root, target);
  return fromRoot === '' || (!fromRoot.startsWith('..') && !isAbsolute(fromRoot));
}

/**
 * The real path outside `workspace` that `relativePath` leads to, or, when it is a folder, that a
 * link anywhere inside it points at (a dangling one by where it would point). Links inside are not
 * followed further: BuildKit copies a link, not what it points at, and the model stage refuses them.
 */
export function outsideWorkspace(workspace: string, relativePath: string): string | undefined {
  const root = realpathSync(workspace);
  const real = realpathSync(join(workspace, relativePath));
  if (!isWithin(root, real)) return real;
  if (!statSync(real).isDirectory()) return undefined;
  const folders = [real];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory() && entry.name !== '.git') folders.push(full);
      if (!entry.isSymbolicLink()) continue;
      const target = existsSync(full) ? realpathSync(full) : resolve(folder, readlinkSync(full));
      if (!isWithin(root, target)) return target;
    }
  }
  return undefined;
}
