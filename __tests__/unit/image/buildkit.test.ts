/**
 * Credentials of a build: never on a command line, registry logins in a Docker config folder of
 * the build's own (the runner's untouched), removed after the build. `runBuild` runs a stand-in
 * buildctl on PATH that records what it was given.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  buildctlArguments,
  buildxDriverOf,
  cacheForBuildxDriver,
  builderEnvironment,
  buildxArguments,
  removeBuildScratch,
  runBuild,
  writeDockerConfig,
  type BuildRequest,
} from '../../../src/image/buildkit.ts';

const PASSWORD = 'PLANTED-registry-password';
const CACHE_TOKEN = 'PLANTED-actions-runtime-token';
const BUILD_SECRET = 'PLANTED-build-secret';
const EARLIER_LOGIN = { auth: Buffer.from('someone:earlier-login').toString('base64') };

const REQUEST: BuildRequest = {
  builder: 'buildctl',
  contextDir: '/tmp/ctx',
  dockerfile: '/tmp/ctx/Dockerfile',
  namedContexts: {},
  tags: ['registry.example/acme/m:abc'],
  platforms: ['linux/amd64'],
  buildArgs: {},
  labels: {},
  secrets: { hf_token: BUILD_SECRET },
  cache: { mode: 'gha', scope: 'model-canary-acme/m', url: 'https://cache.example/', token: CACHE_TOKEN },
  push: true,
  registryAuth: { registry: 'registry.example', username: 'ci', password: PASSWORD },
};

let base: string;
let runnerConfig: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'model-canary-buildkit-test-'));
  // The runner's Docker config: a login an earlier step made, a credential store, buildx's builders.
  runnerConfig = join(base, 'runner-docker');
  mkdirSync(join(runnerConfig, 'buildx', 'instances'), { recursive: true });
  mkdirSync(join(runnerConfig, 'cli-plugins'));
  writeFileSync(
    join(runnerConfig, 'config.json'),
    JSON.stringify({ auths: { 'ghcr.io': EARLIER_LOGIN }, credsStore: 'desktop' }),
  );
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('builder command lines and environment', () => {
  it('passes the gha cache token and build secrets in the environment, never on the command line', () => {
    for (const args of [
      buildctlArguments(REQUEST, '/m'),
      buildxArguments({ ...REQUEST, builder: 'buildx' }, '/m'),
    ]) {
      const line = args.join(' ');
      expect(line).toContain('type=gha,scope=model-canary-acme/m,url=https://cache.example/');
      for (const secret of [CACHE_TOKEN, BUILD_SECRET, PASSWORD]) expect(line).not.toContain(secret);
      expect(line).not.toContain('token=');
    }
    const env = builderEnvironment(REQUEST, { PATH: '/bin' }, '/tmp/cfg');
    expect(env).toMatchObject({
      PATH: '/bin',
      ACTIONS_RUNTIME_TOKEN: CACHE_TOKEN,
      MODEL_CANARY_BUILD_SECRET_0: BUILD_SECRET,
      DOCKER_CONFIG: '/tmp/cfg',
    });
  });
});

describe('writeDockerConfig', () => {
  it("adds the login to a copy of the runner's config (0700 / 0600) and links its builders and plugins", async () => {
    const scratch = mkdtempSync(join(base, 'scratch-'));
    const dir = await writeDockerConfig(scratch, REQUEST.registryAuth!, runnerConfig);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual({
      auths: {
        'ghcr.io': EARLIER_LOGIN,
        'registry.example': { auth: Buffer.from(`ci:${PASSWORD}`).toString('base64') },
      },
      credsStore: 'desktop',
      // The empty helper sends this registry to the file's entry rather than the store.
      credHelpers: { 'registry.example': '' },
    });
    expect(readlinkSync(join(dir, 'buildx'))).toBe(join(runnerConfig, 'buildx'));
    expect(readlinkSync(join(dir, 'cli-plugins'))).toBe(join(runnerConfig, 'cli-plugins'));
    // The runner's own config is as it was.
    expect(JSON.parse(readFileSync(join(runnerConfig, 'config.json'), 'utf8'))).toEqual({
      auths: { 'ghcr.io': EARLIER_LOGIN },
      credsStore: 'desktop',
    });
  });
});

describe('runBuild', () => {
  /**
   * A stand-in for buildctl and docker: records each call's first argument, argv, env and Docker
   * config, and writes the metadata file a build would.
   */
  const STAND_IN = [
    '#!/bin/sh',
    'echo "$(basename "$0") $1" >> "$RECORD/calls"',
    'printf "%s\\n" "$@" > "$RECORD/argv"',
    'env > "$RECORD/env"',
    'stat -c %a "$DOCKER_CONFIG" > "$RECORD/dir-mode"',
    'stat -c %a "$DOCKER_CONFIG/config.json" > "$RECORD/file-mode"',
    'cp "$DOCKER_CONFIG/config.json" "$RECORD/config.json"',
    'echo "$DOCKER_CONFIG" > "$RECORD/docker-config"',
    'while [ $# -gt 0 ]; do',
    '  if [ "$1" = --metadata-file ]; then',
    `    echo '{"containerimage.digest": "sha256:${'a'.repeat(64)}"}' > "$2"`,
    '  fi',
    '  shift',
    'done',
  ].join('\n');

  it.each(['buildctl', 'buildx'] as const)(
    '%s: no secret on the command line, no docker login, a Docker config of its own removed afterwards',
    async (builder) => {
      const bin = join(base, `bin-${builder}`);
      const record = join(base, `record-${builder}`);
      mkdirSync(bin);
      mkdirSync(record);
      for (const name of ['buildctl', 'docker']) {
        writeFileSync(join(bin, name), STAND_IN);
        chmodSync(join(bin, name), 0o755);
      }
      const saved = {
        PATH: process.env['PATH'],
        RECORD: process.env['RECORD'],
        DOCKER_CONFIG: process.env['DOCKER_CONFIG'],
      };
      process.env['PATH'] = `${bin}:${saved.PATH}`;
      process.env['RECORD'] = record;
      process.env['DOCKER_CONFIG'] = runnerConfig;
      const scratches: (string | undefined)[] = [];
      const log = new Writable({ write: (_chunk, _encoding, done) => done() });
      try {
        const outcome = await runBuild({ ...REQUEST, builder, log }, (folder) => scratches.push(folder));
        expect(outcome.digest).toBe(`sha256:${'a'.repeat(64)}`);
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) Reflect.deleteProperty(process.env, key);
          else process.env[key] = value;
        }
      }
      // One call: the build itself, no login or logout.
      expect(readFileSync(join(record, 'calls'), 'utf8')).toBe(
        builder === 'buildx' ? 'docker buildx\n' : 'buildctl build\n',
      );
      const argv = readFileSync(join(record, 'argv'), 'utf8');
      for (const secret of [PASSWORD, CACHE_TOKEN, BUILD_SECRET]) expect(argv).not.toContain(secret);
      expect(readFileSync(join(record, 'env'), 'utf8')).toContain(`ACTIONS_RUNTIME_TOKEN=${CACHE_TOKEN}`);
      const dockerConfig = readFileSync(join(record, 'docker-config'), 'utf8').trim();
      expect(dockerConfig).not.toBe(runnerConfig);
      expect(readFileSync(join(record, 'dir-mode'), 'utf8').trim()).toBe('700');
      expect(readFileSync(join(record, 'file-mode'), 'utf8').trim()).toBe('600');
      expect(readFileSync(join(record, 'config.json'), 'utf8')).toContain('ghcr.io');
      // Gone after the build, and the post step was told so; the runner's logins are as they were.
      expect(existsSync(dockerConfig)).toBe(false);
      expect(scratches).toEqual([expect.stringContaining('model-canary-build-'), undefined]);
      expect(JSON.parse(readFileSync(join(runnerConfig, 'config.json'), 'utf8')).auths).toEqual({
        'ghcr.io': EARLIER_LOGIN,
      });
    },
  );
});

describe('removeBuildScratch', () => {
  it("removes a build's scratch folder and nothing that is not one", async () => {
    const ours = mkdtempSync(join(tmpdir(), 'model-canary-build-'));
    const theirs = mkdtempSync(join(tmpdir(), 'someone-else-'));
    expect(await removeBuildScratch(ours)).toBe(true);
    expect(existsSync(ours)).toBe(false);
    expect(await removeBuildScratch(theirs)).toBe(false);
    expect(await removeBuildScratch(join(theirs, 'model-canary-build-x'))).toBe(false);
    expect(existsSync(theirs)).toBe(true);
    rmSync(theirs, { recursive: true });
  });
});

describe("the cache a buildx builder's driver can export", () => {
  // As `docker buildx inspect` prints them: a runner's default builder, and setup-buildx-action's.
  const dockerDriver =
    'Name:          default\nDriver:        docker\nLast Activity: 2025-01-01\n\nNodes:\nName:      default\nStatus:    running\n';
  const containerDriver =
    'Name:          builder-1\nDriver:        docker-container\n\nNodes:\nName:      builder-10\nEndpoint:  unix:///var/run/docker.sock\n';

  it('reads the driver from the inspect output', () => {
    expect(buildxDriverOf(dockerDriver)).toBe('docker');
    expect(buildxDriverOf(containerDriver)).toBe('docker-container');
    expect(buildxDriverOf('')).toBeUndefined();
  });

  it('falls back from registry cache to inline on the docker driver, naming the reason and the fix', () => {
    const fitted = cacheForBuildxDriver(
      { mode: 'registry', ref: 'ghcr.io/acme/m:buildcache' },
      buildxDriverOf(dockerDriver),
    );
    expect(fitted.cache).toEqual({ mode: 'inline', from: 'ghcr.io/acme/m:buildcache' });
    expect(fitted.warning).toMatch(
      /cache registry needs a buildx builder that can export cache, but the current builder uses the docker driver/,
    );
    expect(fitted.warning).toMatch(/Add docker\/setup-buildx-action before this step/);
    expect(buildxArguments({ ...REQUEST, cache: fitted.cache }, '/tmp/m.json').join(' ')).toContain(
      '--cache-from type=registry,ref=ghcr.io/acme/m:buildcache --cache-to type=inline',
    );
  });

  it('does the same for the GitHub Actions cache', () => {
    const fitted = cacheForBuildxDriver(REQUEST.cache, 'docker');
    expect(fitted.cache).toEqual({ mode: 'inline' });
    expect(fitted.warning).toMatch(/^cache gha needs/);
  });

  it('keeps the cache on a docker-container builder, an unknown driver, or without export', () => {
    const registry = { mode: 'registry', ref: 'ghcr.io/acme/m:buildcache' } as const;
    expect(cacheForBuildxDriver(registry, buildxDriverOf(containerDriver))).toEqual({ cache: registry });
    expect(cacheForBuildxDriver(registry, undefined)).toEqual({ cache: registry });
    expect(cacheForBuildxDriver({ mode: 'none' }, 'docker')).toEqual({ cache: { mode: 'none' } });
  });
});
