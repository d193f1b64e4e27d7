/**
 * Adapter: the one credential lookup for a registry. Inputs registry-username/registry-password
 * come first; else the runner's Docker config (`$DOCKER_CONFIG/config.json`, or
 * `~/.docker/config.json`), read as the docker CLI reads it: `credHelpers` for that registry, then
 * `credsStore`, then `auths` (`auth`, `username`/`password`, `identitytoken`). So a login made by
 * an earlier step (docker/login-action, an ECR or GCR helper) serves the build, release tagging
 * and the image pull secret alike. Credential values never reach a log or a command line.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryError, RegistrySession } from './client.ts';
import { parseImageReference } from './image-ref.ts';

/** Credentials for one registry, and where they were found (named in messages, never the values). */
export interface FoundCredentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token (docker's `identitytoken`) rather than a password. */
  identityToken?: boolean;
  /** `registry-username/registry-password`, or which Docker config entry or helper. */
  source: string;
  /** True when they came from inputs rather than the runner's own logins. */
  fromInputs: boolean;
}

/** How long a credential helper may take: a helper that prompts or hangs must not stall the run. */
const HELPER_TIMEOUT_MS = 15_000;

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The keys a Docker config may file a registry's login under (Docker Hub has several). */
export function dockerConfigKeys(registry: string): string[] {
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  }
  return [registry, `https://${registry}`, `http://${registry}`];
}

/** `ghcr.io` from `https://ghcr.io/v1/` (the forms `docker login` has written over the years). */
function hostOfKey(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** The Docker config file the docker CLI reads in this environment. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker'), 'config.json');
}

/**
 * Credentials for `registry`: the inputs, else the runner's Docker config; undefined when neither
 * has any (an anonymous registry). Throws only when a configured helper fails in a way the user
 * must fix (not installed, timed out); a helper that has no login for the registry is no login.
 */
export async function registryCredentials(
  registry: string,
  options: {
    inputs?: { username: string; password: string };
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
  } = {},
): Promise<FoundCredentials | undefined> {
  if (options.inputs !== undefined) {
    return { ...options.inputs, source: 'registry-username/registry-password', fromInputs: true };
  }
  const env = options.env ?? process.env;
  const path = dockerConfigPath(env);
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as DockerConfig;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw new RegistryError(
      registry,
      `the Docker config ${path} could not be read (${(error as Error).message}); fix or remove it`,
    );
  }
  const keys = dockerConfigKeys(registry);
  const hosts = new Set(keys.map(hostOfKey));
  const helper =
    Object.entries(config.credHelpers ?? {}).find(([key]) => hosts.has(hostOfKey(key)))?.[1] ??
    config.credsStore;
  if (helper !== undefined && helper !== '') {
    const fromHelper = await helperCredentials(helper, keys[0]!, env, options.timeoutMs ?? HELPER_TIMEOUT_MS);
    if (fromHelper !== undefined)
      return { ...fromHelper, source: `docker-credential-${helper} (${path})`, fromInputs: false };
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hosts.has(hostOfKey(key)))?.[1];
  if (entry === undefined) return undefined;
  const source = `the Docker config's login for ${registry} (${path})`;
  if (entry.identitytoken) {
    return {
      username: entry.username ?? '<token>',
      password: entry.identitytoken,
      identityToken: true,
      source,
      fromInputs: false,
    };
  }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0)
      return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        source,
        fromInputs: false,
      };
  }
  if (entry.username && entry.password) {
    return { username: entry.username, password: entry.password, source, fromInputs: false };
  }
  return undefined;
}

/**
 * `docker-credential-<helper> get`, the server URL on stdin, spawned without a shell and killed
 * after `timeoutMs`. Undefined when the helper has no login for the server.
 */
async function helperCredentials(
  helper: string,
  server: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Omit<FoundCredentials, 'source' | 'fromInputs'> | undefined> {
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr, failure } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    failure?: Error;
  }>((done) => {
    const child = spawn(program, ['get'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
      shell: false,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', (error) => done({ code: null, stdout: out, stderr: err, failure: error }));
    // Killed for taking too long: answer now, not when a grandchild holding the pipes ends too.
    child.on('exit', (_code, signal) => {
      if (signal !== null) {
        done({
          code: null,
          stdout: out,
          stderr: err,
          failure: new Error(`killed by ${signal} after ${timeoutMs / 1000} s`),
        });
      }
    });
    child.on('close', (exitCode) => done({ code: exitCode, stdout: out, stderr: err }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(server);
  });
  if (failure !== undefined) {
    const missing = (failure as { code?: string }).code === 'ENOENT';
    throw new RegistryError(
      server,
      missing
        ? `the Docker config names credential helper ${helper}, but ${program} is not on PATH; install it or give registry-username and registry-password`
        : `${program} get failed for ${server}: ${failure.message}; check the helper, or give registry-username and registry-password`,
    );
  }
  if (code !== 0) {
    // docker's helpers answer "credentials not found" with a non-zero exit: no login, not an error.
    if (/not found|no credentials/i.test(stderr + stdout)) return undefined;
    throw new RegistryError(
      server,
      `${program} get exited with ${code} for ${server}${stderr.trim() !== '' ? ` (${stderr.trim().slice(0, 200)})` : ''}; check the helper, or give registry-username and registry-password`,
    );
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(stdout) as typeof answer;
  } catch {
    // Never echo the output: it holds the secret.
    throw new RegistryError(
      server,
      `${program} get answered something that is not JSON for ${server}; check the helper`,
    );
  }
  if (typeof answer.Secret !== 'string' || answer.Secret === '') return undefined;
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  return username === '<token>'
    ? { username, password: answer.Secret, identityToken: true }
    : { username, password: answer.Secret };
}

/**
 * The credentials a node needs to pull `reference`: those found for its registry, when the
 * registry refuses an anonymous pull of it; undefined when it pulls without (a public image) or
 * none are found. A refresh token (identitytoken) is of no use to the kubelet and is left out.
 */
export async function pullCredentialsFor(
  reference: string,
  options: Parameters<typeof registryCredentials>[1] = {},
): Promise<{ registry: string; username: string; password: string; source: string } | undefined> {
  const parsed = parseImageReference(reference);
  if (parsed === undefined) return undefined;
  const found = await registryCredentials(parsed.registry, options);
  if (found === undefined || found.identityToken === true) return undefined;
  const repository = reference.replace(/[@:][^/]*$/, '');
  const anonymous = await new RegistrySession(repository)
    .resolve(parsed.digest ?? parsed.tag ?? 'latest')
    .then(() => true)
    // Refused without credentials: the node needs them. Any other failure: give them, to be safe.
    .catch(() => false);
  if (anonymous) return undefined;
  return {
    registry: parsed.registry,
    username: found.username,
    password: found.password,
    source: found.source,
  };
}
