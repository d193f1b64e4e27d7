/**
 * The build stage against the real BuildKit, registry and cluster of `npm run cluster:up`:
 * the example model is built and pushed, its labels and digest are what the stage said, the image
 * answers a real V2 inference request in the cluster with the model's own output, a code-only
 * change reuses the weights layer, and an hf:// token reaches neither a layer nor the log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
  mkdirSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { IMAGE_LABELS } from '../../src/image/dockerfile.ts';
import { RegistrySession, type ImageManifest } from '../../src/registry/client.ts';
import { buildModelImage, type ModelImageOptions } from '../../src/image/model-image.ts';
import { buildStage } from '../../src/stages/build.ts';
import type { InputName } from '../../src/inputs/input-names.ts';
import { parseInputs } from '../../src/inputs/read.ts';
import { planRun } from '../../src/plan.ts';
import {
  BUILDKIT_HOST,
  buildctlPath,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  REGISTRY,
  REPO_ROOT,
  requireLocalCluster,
} from './local-cluster.ts';
import { tarEntryNames } from '../support/tar-entries.ts';

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, 'examples/models/tiny-mlp');
const MLSERVER_STAND_IN = `${REGISTRY}/model-canary/mlserver:1.7.1`;
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const SHA = createHash('sha1').update(RUN_ID).digest('hex');

/** buildctl and the buildx builder that hack/ made, as a workflow's setup step would provide them. */
function useLocalBuildKit(): void {
  process.env['PATH'] = `${dirname(buildctlPath())}:${process.env['PATH']}`;
  process.env['BUILDX_BUILDER'] = 'model-canary';
}

/** A session on one repository of the local registry (plain HTTP, no credentials). */
function sessionOn(path: string): RegistrySession {
  return new RegistrySession(`${REGISTRY}/${path}`);
}

/** Every layer of an image, uncompressed, by digest; `skip` leaves out known ones (the base image's). */
async function layerContents(
  repository: RegistrySession,
  manifest: ImageManifest,
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, Buffer>> {
  const layers = new Map<string, Buffer>();
  for (const layer of manifest.layers.filter((l) => !skip.has(l.digest))) {
    layers.set(layer.digest, await repository.layer(layer));
  }
  return layers;
}

/** The model's content hash computed here, independently of src/build: sha256 over path\0sha256(bytes)\n. */
function expectedModelHash(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    hash.update(
      `${name}\0${createHash('sha256')
        .update(readFileSync(join(dir, name)))
        .digest('hex')}\n`,
    );
  }
  return hash.digest('hex');
}

/** POSTs JSON through the API server's service proxy (client-node has no body for proxy calls). */
async function postThroughServiceProxy(
  config: KubeConfig,
  path: string,
  body: string,
): Promise<{ status: number; text: string }> {
  const server = new URL(config.getCurrentCluster()!.server);
  const options: RequestOptions = {
    method: 'POST',
    hostname: server.hostname,
    port: server.port,
    path,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(30_000, () => req.destroy(new Error('service proxy request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function restoreEnvironment(name: 'GITHUB_WORKSPACE', value: string | undefined): void {
  if (value !== undefined) process.env[name] = value;
  else if (name === 'GITHUB_WORKSPACE') delete process.env.GITHUB_WORKSPACE;
  else delete process.env.GITHUB_OUTPUT;
}

function collectingStream(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(chunk.toString('utf8'));
      done();
    },
  });
}

/**
 * buildModelImage with its log kept: when the build fails, the error carries the log's tail (the
 * action prints the log on the runner; a test would otherwise lose it).
 */
async function buildKeepingLog(options: Omit<ModelImageOptions, 'log'>) {
  const log: string[] = [];
  try {
    return await buildModelImage({ ...options, log: collectingStream(log) });
  } catch (error) {
    const tail = log.join('').split('\n').slice(-60).join('\n');
    throw new Error(`${(error as Error).message}\n--- build log, last 60 lines ---\n${tail}`, {
      cause: error,
    });
  }
}

/** Captures what the action writes to stdout (core.info) while `action` runs. */
async function capturingStdout<T>(into: string[], action: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    return await action();
  } finally {
    process.stdout.write = write;
  }
}

describe('build stage (real BuildKit and registry)', () => {
  let config: KubeConfig;
  let namespace: string;
  const scratch = mkdtempSync(join(tmpdir(), 'model-canary-build-test-'));

  beforeAll(async () => {
    config = await requireLocalCluster();
    useLocalBuildKit();
    const standIn = await fetch(`http://${REGISTRY}/v2/model-canary/mlserver/manifests/1.7.1`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    if (standIn.status !== 200) {
      throw new Error(
        `${MLSERVER_STAND_IN} is not in the registry: run npm run cluster:up (hack/lib/runtime-images.sh)`,
      );
    }
    namespace = await createTestNamespace(config, 'build');
  });

  afterAll(async () => {
    if (namespace) await deleteTestNamespace(config, namespace);
    rmSync(scratch, { recursive: true, force: true });
  });

  const repositoryPath = `test-build-${RUN_ID}/tiny-mlp`;
  let pushed: { image: string; digest: string } | undefined;

  it('builds and pushes the example through the stage; the image it hands on, digest and labels match the registry', async () => {
    const inputs: Partial<Record<InputName, string>> = {
      model: 'examples/models/tiny-mlp',
      image: `${REGISTRY}/${repositoryPath}`,
      'base-image': MLSERVER_STAND_IN,
      builder: 'buildctl',
      'buildkit-host': BUILDKIT_HOST,
      cache: 'registry',
      gpus: '1',
    };
    const settings = parseInputs({
      get: (name) => inputs[name] ?? '',
      pathExists: () => true,
      outsideWorkspace: () => undefined,
      readText: () => undefined,
      listFolder: () => undefined,
      run: {
        eventName: 'push',
        sha: SHA,
        ref: 'refs/heads/main',
        repository: 'acme/models',
        runId: 1,
        runAttempt: 1,
      },
    });
    const previous = process.env['GITHUB_WORKSPACE'];
    process.env['GITHUB_WORKSPACE'] = REPO_ROOT;
    let built: Awaited<ReturnType<typeof buildStage>>['image'];
    try {
      ({ image: built } = await buildStage({ plan: planRun(settings), settings }));
    } finally {
      restoreEnvironment('GITHUB_WORKSPACE', previous);
    }

    // What the stage hands to deploy (and the run's outputs report): the pushed digest, pinned.
    expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(built.reference).toBe(`${REGISTRY}/${repositoryPath}:${SHA}@${built.digest}`);
    expect(built).toMatchObject({ runtime: 'mlserver', modelName: 'tiny-mlp' });
    pushed = { image: built.reference, digest: built.digest! };

    const repository = sessionOn(repositoryPath);
    expect((await repository.manifest(SHA)).digest).toBe(built.digest);
    const manifest = await repository.imageManifest(SHA);
    const labels = (await repository.config(manifest)).config?.Labels ?? {};
    expect(labels[IMAGE_LABELS.modelSha256]).toBe(expectedModelHash(EXAMPLE));
    expect(labels[IMAGE_LABELS.revision]).toBe(SHA);
    expect(labels[IMAGE_LABELS.source]).toBe('https://github.com/acme/models');
    expect(labels[IMAGE_LABELS.runtime]).toBe('mlserver');
    expect(labels[IMAGE_LABELS.baseName]).toBe(MLSERVER_STAND_IN);
    // The registry cache was exported next to the image.
    expect((await repository.manifest('buildcache')).digest).toMatch(/^sha256:/);
  });

  it('runs in the cluster on a GPU and answers a V2 inference request with the model’s output', async () => {
    expect(pushed).toBeDefined();
    const labels = { app: 'tiny-mlp' };
    await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'tiny-mlp', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'server',
                  image: pushed!.image,
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: {
                    httpGet: { path: '/v2/models/tiny-mlp/ready', port: 8080 },
                    periodSeconds: 1,
                  },
                  resources: { requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      },
    });
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'tiny-mlp' },
        spec: { selector: labels, ports: [{ name: 'http', port: 8080 }] },
      },
    });
    await eventually('a ready tiny-mlp pod', 240, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=tiny-mlp' });
      return pods.items.find((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    });

    const payload = readFileSync(join(REPO_ROOT, 'examples/models/payloads/tiny-mlp-v2.json'), 'utf8');
    const expected = JSON.parse(
      readFileSync(join(REPO_ROOT, 'examples/models/payloads/tiny-mlp-v2.expected.json'), 'utf8'),
    ) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    const answer = await postThroughServiceProxy(
      config,
      `/api/v1/namespaces/${namespace}/services/tiny-mlp:http/proxy/v2/models/tiny-mlp/infer`,
      payload,
    );
    expect(answer.status).toBe(200);
    const response = JSON.parse(answer.text) as {
      model_name: string;
      outputs: { name: string; shape: number[]; data: number[] }[];
    };
    expect(response.model_name).toBe('tiny-mlp');
    const output = response.outputs.find((o) => o.name === 'probabilities')!;
    expect(output.shape).toEqual(expected.outputs[0]!.shape);
    expect(output.data).toHaveLength(expected.outputs[0]!.data.length);
    output.data.forEach((value, index) => expect(value).toBeCloseTo(expected.outputs[0]!.data[index]!, 6));
  });

  it('the slow variant answers the same, 40 ms later; the crash variant exits with status 3', async () => {
    const core = config.makeApiClient(CoreV1Api);
    const deployVariant = async (variant: string) => {
      const image = await buildKeepingLog({
        model: { kind: 'path', absolutePath: join(REPO_ROOT, 'examples/models', variant), label: variant },
        runtime: 'auto',
        baseImage: MLSERVER_STAND_IN,
        repository: `${REGISTRY}/test-build-${RUN_ID}/${variant}`,
        tags: ['v'],
        builder: 'buildctl',
        buildkitHost: BUILDKIT_HOST,
        cache: { mode: 'none' },
        platforms: ['linux/amd64'],
        buildArgs: {},
        buildSecrets: {},
      });
      expect(image.modelName).toBe('tiny-mlp');
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: variant, labels: { variant } },
          spec: {
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'server',
                image: image.reference,
                readinessProbe: {
                  httpGet: { path: '/v2/models/tiny-mlp/ready', port: 8080 },
                  periodSeconds: 1,
                },
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      });
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: variant },
          spec: { selector: { variant }, ports: [{ name: 'http', port: 8080 }] },
        },
      });
    };
    await deployVariant('tiny-mlp-slow');
    await deployVariant('tiny-mlp-crash');

    const crashed = await eventually('the crash variant to exit', 180, async () => {
      const pod = await core.readNamespacedPod({ namespace, name: 'tiny-mlp-crash' });
      const status = pod.status?.containerStatuses?.[0];
      return status?.lastState?.terminated ?? status?.state?.terminated;
    });
    expect(crashed.exitCode).toBe(3);

    await eventually('a ready slow variant', 180, async () => {
      const pod = await core.readNamespacedPod({ namespace, name: 'tiny-mlp-slow' });
      return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? true
        : undefined;
    });
    const payload = readFileSync(join(REPO_ROOT, 'examples/models/payloads/tiny-mlp-v2.json'), 'utf8');
    const expected = JSON.parse(
      readFileSync(join(REPO_ROOT, 'examples/models/payloads/tiny-mlp-v2.expected.json'), 'utf8'),
    ) as { outputs: { data: number[] }[] };
    const timings = { slow: [] as number[], normal: [] as number[] };
    for (let round = 0; round < 5; round++) {
      for (const [arm, service] of [
        ['slow', 'tiny-mlp-slow'],
        ['normal', 'tiny-mlp'],
      ] as const) {
        const started = performance.now();
        const answer = await postThroughServiceProxy(
          config,
          `/api/v1/namespaces/${namespace}/services/${service}:http/proxy/v2/models/tiny-mlp/infer`,
          payload,
        );
        timings[arm].push(performance.now() - started);
        expect(answer.status).toBe(200);
        const data = (JSON.parse(answer.text) as { outputs: { data: number[] }[] }).outputs[0]!.data;
        data.forEach((value, index) => expect(value).toBeCloseTo(expected.outputs[0]!.data[index]!, 6));
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // The same path through the API server (the tiny-mlp Service comes from the test above): the
    // difference is the variant's own 40 ms.
    expect(median(timings.slow) - median(timings.normal)).toBeGreaterThan(30);
  });

  it('after a change to server code or configuration only, reuses the weights layer (same digest)', async () => {
    const model = join(scratch, 'tiny-mlp');
    cpSync(EXAMPLE, model, { recursive: true });
    // Weights of this run's own, as a new model version would bring: BuildKit's cache may hold
    // several layers for the example's model.onnx alone (earlier --no-cache builds), and answers
    // for them with any one of those.
    writeFileSync(join(model, 'extra-weights.bin'), randomBytes(4096));
    const path = `test-build-${RUN_ID}/layers`;
    const options = (tag: string): Omit<ModelImageOptions, 'log'> => ({
      model: { kind: 'path', absolutePath: model, label: 'tiny-mlp' },
      runtime: 'auto',
      baseImage: MLSERVER_STAND_IN,
      repository: `${REGISTRY}/${path}`,
      tags: [tag],
      // buildx here (the stage test above used buildctl), through the builder hack/ set up.
      builder: 'buildx',
      cache: { mode: 'registry', ref: `${REGISTRY}/${path}:buildcache` },
      platforms: ['linux/amd64'],
      buildArgs: {},
      buildSecrets: {},
      revision: tag,
    });
    const repository = sessionOn(path);
    const base = await sessionOn('model-canary/mlserver').imageManifest('1.7.1');
    const baseLayers = new Set(base.layers.map((l) => l.digest));
    const weightsLayer = async (tag: string) => {
      const manifest = await repository.imageManifest(tag);
      // The base image's layers cannot hold the model; skipping them spares 170 MB of downloads.
      const layers = await layerContents(repository, manifest, baseLayers);
      const find = (file: string) =>
        [...layers].filter(([, tar]) => tarEntryNames(tar).includes(file)).map(([d]) => d);
      return {
        weights: find('mnt/models/tiny-mlp/model.onnx'),
        code: find('mnt/models/tiny-mlp/runtime.py'),
        all: manifest.layers.map((l) => l.digest),
      };
    };

    await buildKeepingLog(options('v1'));
    appendFileSync(join(model, 'runtime.py'), '\n# a change to the server code\n');
    await buildKeepingLog(options('v2'));
    const settings = JSON.parse(readFileSync(join(model, 'model-settings.json'), 'utf8')) as {
      parameters: { extra: Record<string, unknown> };
    };
    settings.parameters.extra['note'] = 'a change to the configuration';
    writeFileSync(join(model, 'model-settings.json'), JSON.stringify(settings, null, 2));
    await buildKeepingLog(options('v3'));

    const [v1, v2, v3] = [await weightsLayer('v1'), await weightsLayer('v2'), await weightsLayer('v3')];
    // The weights are alone in one layer, and code and configuration live elsewhere.
    expect(v1.weights).toHaveLength(1);
    expect(v1.code).toHaveLength(1);
    expect(v1.code[0]).not.toBe(v1.weights[0]);
    expect(v2.weights).toEqual(v1.weights);
    expect(v3.weights).toEqual(v1.weights);
    expect(v2.code[0]).not.toBe(v1.code[0]);
    expect(v3.code[0]).not.toBe(v2.code[0]);
    // Only the code-and-config layer changed: every other layer digest is the same.
    expect(v2.all.filter((d) => !v1.all.includes(d))).toEqual(v2.code);
  });

  it('regenerates the example models byte for byte (generator script, pinned packages)', async () => {
    const out = join(scratch, 'regenerated');
    await run('bash', [join(REPO_ROOT, 'examples/models/generate.sh'), '--out', out], { timeout: 300_000 });
    const generated = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(out.length + 1))
      .sort();
    expect(generated).toEqual(
      expect.arrayContaining([
        'tiny-mlp/model.onnx',
        'tiny-mlp-slow/model-settings.json',
        'payloads/tiny-mlp-v2.expected.json',
      ]),
    );
    for (const file of generated) {
      expect({
        file,
        same: readFileSync(join(out, file)).equals(readFileSync(join(REPO_ROOT, 'examples/models', file))),
      }).toEqual({
        file,
        same: true,
      });
    }
  });

  it('builds a user Dockerfile as it is (runtime dockerfile), with the model context and the labels', async () => {
    const context = join(scratch, 'own-dockerfile');
    mkdirSync(context);
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${MLSERVER_STAND_IN}\nCOPY --from=model model.onnx /srv/model.onnx\nCOPY serve.txt /srv/serve.txt\n`,
    );
    writeFileSync(join(context, 'serve.txt'), 'the user context\n');
    const path = `test-build-${RUN_ID}/own`;
    const image = await buildKeepingLog({
      model: { kind: 'path', absolutePath: EXAMPLE, label: 'examples/models/tiny-mlp' },
      runtime: 'auto',
      dockerfile: join(context, 'Dockerfile'),
      dockerfileContext: context,
      repository: `${REGISTRY}/${path}`,
      tags: ['own'],
      builder: 'buildx',
      cache: { mode: 'none' },
      platforms: ['linux/amd64'],
      buildArgs: {},
      buildSecrets: {},
      revision: SHA,
    });
    expect(image.runtime).toBe('dockerfile');
    const repository = sessionOn(path);
    const manifest = await repository.imageManifest('own');
    const labels = (await repository.config(manifest)).config?.Labels ?? {};
    expect(labels[IMAGE_LABELS.revision]).toBe(SHA);
    expect(labels[IMAGE_LABELS.modelSha256]).toBe(expectedModelHash(EXAMPLE));
    const top = manifest.layers.slice(-2);
    const names = (await Promise.all(top.map((layer) => repository.layer(layer)))).flatMap(tarEntryNames);
    expect(names).toEqual(expect.arrayContaining(['srv/model.onnx', 'srv/serve.txt']));
  });

  it('logs in to the registry for buildctl through a private DOCKER_CONFIG that is gone afterwards', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const leftovers = () => readdirSync(tmpdir()).filter((name) => name.startsWith('model-canary-build-'));
    const before = new Set(leftovers());
    const builderLog: string[] = [];
    const actionLog: string[] = [];
    // The local registry asks for no credentials, so this proves the plumbing, not the registry's check.
    const image = await capturingStdout(actionLog, () =>
      buildModelImage({
        model: { kind: 'path', absolutePath: EXAMPLE, label: 'examples/models/tiny-mlp' },
        runtime: 'auto',
        baseImage: MLSERVER_STAND_IN,
        repository: `${REGISTRY}/test-build-${RUN_ID}/login`,
        tags: ['login'],
        builder: 'buildctl',
        buildkitHost: BUILDKIT_HOST,
        cache: { mode: 'none' },
        platforms: ['linux/amd64'],
        buildArgs: {},
        buildSecrets: {},
        registryAuth: { username: 'ci-bot', password },
        log: collectingStream(builderLog),
      }),
    );
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const shown = [...builderLog, ...actionLog]
      .join('')
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'));
    expect(shown.filter((line) => line.includes(password))).toEqual([]);
    expect(actionLog.join('')).toContain(`::add-mask::${password}`);
    expect(leftovers().filter((name) => !before.has(name))).toEqual([]);
  });

  describe('hf:// models', () => {
    let hub: Server;
    let endpoint: string;
    const token = `hf_fake_${randomBytes(12).toString('hex')}`;
    const seenAuthorizations: string[] = [];
    const files = ['model-settings.json', 'model.onnx', 'runtime.py'];

    beforeAll(async () => {
      // A stand-in for the hub's two endpoints (revision info and resolve), on loopback: BuildKit
      // runs RUN steps with the host's network, so the build reaches it at 127.0.0.1.
      hub = createServer((req, res) => {
        seenAuthorizations.push(req.headers.authorization ?? '');
        if (req.headers.authorization !== `Bearer ${token}`) {
          res.writeHead(401).end('unauthorized');
          return;
        }
        const url = new URL(req.url ?? '/', 'http://hub');
        if (/^\/api\/models\/acme\/tiny-mlp\/revision\/(main|c0ffee0{34})$/.test(url.pathname)) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              sha: 'c0ffee0000000000000000000000000000000000',
              siblings: [...files, '.gitattributes'].map((rfilename) => ({ rfilename })),
            }),
          );
          return;
        }
        const match = /^\/acme\/tiny-mlp\/resolve\/c0ffee0{34}\/(.+)$/.exec(url.pathname);
        if (match && files.includes(decodeURIComponent(match[1]!))) {
          res.writeHead(200).end(readFileSync(join(EXAMPLE, decodeURIComponent(match[1]!))));
          return;
        }
        res.writeHead(404).end('not found');
      });
      await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => hub.close(resolve));
    });

    it('passes the token as a BuildKit secret: it reaches the hub, and no layer, config or log line', async () => {
      const path = `test-build-${RUN_ID}/hf`;
      const builderLog: string[] = [];
      const actionLog: string[] = [];
      const image = await capturingStdout(actionLog, () =>
        buildModelImage({
          model: { kind: 'huggingface', repository: 'acme/tiny-mlp' },
          runtime: 'mlserver',
          baseImage: MLSERVER_STAND_IN,
          repository: `${REGISTRY}/${path}`,
          tags: ['hf'],
          builder: 'buildctl',
          buildkitHost: BUILDKIT_HOST,
          cache: { mode: 'none' },
          platforms: ['linux/amd64'],
          buildArgs: {},
          buildSecrets: {},
          hfToken: token,
          hfEndpoint: endpoint,
          // The RUN step must really run (and send the token), not come from an earlier run's cache.
          noCache: true,
          log: collectingStream(builderLog),
        }),
      );
      // The action resolves main to its commit, then the RUN step lists and downloads the files.
      expect(seenAuthorizations.filter((a) => a === `Bearer ${token}`)).toHaveLength(2 + files.length);
      expect(image.dockerfile).toContain(
        'hf-fetch.py acme/tiny-mlp c0ffee0000000000000000000000000000000000',
      );

      const repository = sessionOn(path);
      const manifest = await repository.imageManifest('hf');
      const layers = await layerContents(repository, manifest);
      const everyEntry = [...layers.values()].flatMap(tarEntryNames);
      expect(everyEntry).toContain('mnt/models/tiny-mlp/model.onnx');
      for (const [digest, tar] of layers) {
        expect({ digest, hasToken: tar.includes(token) }).toEqual({ digest, hasToken: false });
      }
      expect((await repository.blob(manifest.config.digest)).includes(token)).toBe(false);
      expect(image.dockerfile).not.toContain(token);

      // `::add-mask::` is the runner's own command (it hides the value everywhere); it is never shown.
      const shown = [...builderLog, ...actionLog]
        .join('')
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'));
      expect(shown.length).toBeGreaterThan(10);
      expect(shown.filter((line) => line.includes(token))).toEqual([]);
      expect(builderLog.join('')).toContain(
        'hf-fetch: acme/tiny-mlp@c0ffee0000000000000000000000000000000000 (commit c0ffee',
      );
    });
  });
});
