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
  firstBuildError,
  registryUploadRace,
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

/** A push that lost the race, as BuildKit prints it (buildx, distribution's registry, the CI run of 2026-12-03). */
const DISTRIBUTION_RACE = [
  '#13 pushing layers 0.1s done',
  '#13 ERROR: failed to push localhost:5000/acme/layers:v1: errors:',
  'unknown: provided digest did not match uploaded content',
  'unknown: blob unknown to registry - sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1',
  '',
  '#14 exporting cache to registry',
  '#14 ERROR: error writing layer blob: context canceled',
].join('\n');

describe('a push that lost a registry upload race', () => {
  it.each([
    ['distribution, buildx', DISTRIBUTION_RACE, 'provided digest did not match uploaded content'],
    [
      'distribution, buildctl',
      'error: failed to solve: failed to push r.example/m:v1: blob unknown: blob unknown to registry',
      'blob unknown to registry',
    ],
    [
      'Nexus',
      '#9 ERROR: failed to push nexus.example/m:v1: unexpected status from PUT request to https://nexus.example/v2/m/blobs/uploads/1?digest=sha256%3Aab: 400 Bad Request\n{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}',
      'blob upload invalid',
    ],
    [
      "containerd's pusher",
      'ERROR: failed to push r.example/m:v1: failed commit on ref "layer-sha256:5f": unexpected commit digest sha256:e5, expected sha256:5f: failed precondition',
      'unexpected commit digest',
    ],
  ])('is recognised (%s)', (_registry, log, answer) => {
    expect(registryUploadRace(log)).toBe(answer);
  });

  it.each([
    [
      'access denied',
      '#13 ERROR: failed to push r.example/m:v1: push access denied, repository does not exist or may require authorization: server message: insufficient_scope',
    ],
    ['unauthorized', 'ERROR: failed to push r.example/m:v1: 401 Unauthorized'],
    [
      'a RUN step that printed the words',
      '#7 0.3 blob unknown to registry\n#7 ERROR: process "/bin/sh -c ./fetch" did not complete successfully: exit code: 3',
    ],
    [
      'a RUN step that printed them before a denied push',
      '#7 0.3 blob unknown to registry\n#7 DONE 0.4s\n#9 ERROR: failed to push r.example/m:v1: denied: requested access to the resource is denied',
    ],
    [
      'no registry at all',
      'ERROR: failed to push r.example/m:v1: dial tcp 10.0.0.1:443: connect: connection refused',
    ],
  ])('is not mistaken for one (%s)', (_case, log) => {
    expect(registryUploadRace(log)).toBeUndefined();
  });

  it("names the first error and the registry's answer lines under it", () => {
    expect(firstBuildError(DISTRIBUTION_RACE)).toBe(
      'failed to push localhost:5000/acme/layers:v1: errors: unknown: provided digest did not match uploaded content unknown: blob unknown to registry - sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1',
    );
    expect(firstBuildError('#5 DONE 0.1s\n')).toBeUndefined();
  });

  /** buildctl that fails its first FAILURES calls with `$LOG` and then builds; it counts its calls. */
  const FLAKY_BUILDCTL = [
    '#!/bin/sh',
    'echo x >> "$RECORD/calls"',
    'if [ "$(wc -l < "$RECORD/calls")" -le "$FAILURES" ]; then printf "%s\\n" "$LOG" >&2; exit 1; fi',
    'while [ $# -gt 0 ]; do',
    '  if [ "$1" = --metadata-file ]; then',
    `    echo '{"containerimage.digest": "sha256:${'b'.repeat(64)}"}' > "$2"`,
    '  fi',
    '  shift',
    'done',
  ].join('\n');

  const withFlakyBuildctl = async (failures: number, log: string) => {
    const dir = mkdtempSync(join(base, 'flaky-'));
    writeFileSync(join(dir, 'buildctl'), FLAKY_BUILDCTL);
    chmodSync(join(dir, 'buildctl'), 0o755);
    const saved = { PATH: process.env['PATH'], RECORD: process.env['RECORD'] };
    Object.assign(process.env, {
      PATH: `${dir}:${saved.PATH}`,
      RECORD: dir,
      FAILURES: String(failures),
      LOG: log,
    });
    const printed: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (printed.push(String(chunk)), done()) });
    try {
      const outcome = await runBuild({ ...REQUEST, registryAuth: undefined, log: sink }).catch(
        (error: Error) => error,
      );
      return { outcome, calls: readFileSync(join(dir, 'calls'), 'utf8').split('\n').length - 1, printed };
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.RECORD === undefined) delete process.env['RECORD'];
      else process.env['RECORD'] = saved.RECORD;
      delete process.env['FAILURES'];
      delete process.env['LOG'];
    }
  };

  it.each([1, 2])('builds again after %i lost race(s) and hands on the digest', async (failures) => {
    const { outcome, calls, printed } = await withFlakyBuildctl(failures, DISTRIBUTION_RACE);
    expect(outcome).toMatchObject({ digest: `sha256:${'b'.repeat(64)}` });
    expect(calls).toBe(failures + 1);
    // The failed attempts' logs stay in the build's log.
    expect(printed.join('').match(/provided digest did not match/g)).toHaveLength(failures);
  });

  it("gives up after three attempts, naming the registry's answer", async () => {
    const { outcome, calls } = await withFlakyBuildctl(5, DISTRIBUTION_RACE);
    expect(calls).toBe(3);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(
      /^buildctl build failed with exit code 1: failed to push localhost:5000\/acme\/layers:v1: errors: unknown: provided digest did not match uploaded content/,
    );
  });

  it('does not build again when the registry denied the push', async () => {
    const denied = '#13 ERROR: failed to push r.example/m:v1: push access denied, repository does not exist';
    const { outcome, calls } = await withFlakyBuildctl(1, denied);
    expect(calls).toBe(1);
    expect((outcome as Error).message).toBe(
      'buildctl build failed with exit code 1: failed to push r.example/m:v1: push access denied, repository does not exist (its log is above)',
    );
  });
});
