/**
 * build — the example model's image, cold and warm (how every suite measures: docs/architecture.md, "Benchmarks"):
 *
 * - cold: a repository name no run used before (nothing in the registry for it) and `--no-cache`
 *   (BuildKit runs every step again instead of answering from its local cache). The pip download
 *   cache mount and the base image's blobs stay, as on a runner with a warm BuildKit.
 * - warm: after a change to the server code (runtime.py) or its configuration (model-settings.json)
 *   only, with the registry cache of the earlier builds; WARM_RUNS runs, median and spread.
 * - bytes pushed: the registry's own accounting: every blob upload it completed for the repository
 *   during the build (its access log, `PUT .../blobs/uploads/...&digest=`) times the blob's size,
 *   image and cache blobs alike, the base image's layers left out (see blobsUploaded).
 * - peer: the same builds from a naive Dockerfile that copies the model folder in one COPY
 *   (what `docker/build-push-action` builds from a hand-written Dockerfile without --link).
 * - large model: the same example with 320 MiB of generated weight bytes beside it
 *   (`extra-weights.bin`, pseudo-random so no compressor shrinks them; the server never loads
 *   them: what is measured is what the layers hold and move), one cold build and LARGE_WARM_RUNS
 *   warm builds after a server-code change, for both Dockerfiles. `large_model_warm_ratio` is warm
 *   ÷ cold seconds, `large_model_weight_bytes_pushed_warm` the bytes of the warm image's weights
 *   layer (the layer holding model.onnx) that the registry received again.
 *
 * Needs `npm run cluster:up` (registry, BuildKit, the MLServer stand-in base image).
 */
import { createCipheriv } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { RegistrySession } from '../../src/registry/client.ts';
import { tarEntryNames } from '../../__tests__/support/tar-entries.ts';
import { buildModelImage, type ModelImageOptions } from '../../src/image/model-image.ts';
import { median, spread, type Suite } from '../results.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const REGISTRY = 'localhost:5000';
const BASE_IMAGE = `${REGISTRY}/model-canary/mlserver:1.7.1`;
const REGISTRY_LOG = join(REPO_ROOT, '.cluster/logs/registry.log');
const WARM_RUNS = Number(process.env['BENCH_BUILD_WARM_RUNS'] ?? '5');
const LARGE_WARM_RUNS = Number(process.env['BENCH_BUILD_LARGE_WARM_RUNS'] ?? '3');
/** 320 MiB: above the 300 MB, in 1 MiB writes. */
const LARGE_WEIGHT_MIB = 320;

const NAIVE_DOCKERFILE = `FROM ${BASE_IMAGE}
USER root
RUN --mount=type=bind,from=model,source=requirements.txt,target=/tmp/requirements.txt \\
    --mount=type=cache,id=model-canary-pip,target=/root/.cache/pip \\
    python3 -m pip install -r /tmp/requirements.txt
USER 1000
COPY --from=model . /mnt/models/tiny-mlp/
ENV MLSERVER_PARALLEL_WORKERS=0
CMD ["mlserver", "start", "/mnt/models"]
`;

interface Measured {
  seconds: number;
  bytesPushed: number;
  weightsLayer: string;
  /** Bytes of the weights layer the registry received during this build (0 when it was reused). */
  weightBytesPushed: number;
}

function useLocalBuildKit(): void {
  const bin = join(homedir(), '.cache/model-canary/bin');
  const dir = readdirSync(bin).find((entry) => entry.startsWith('buildkit-'));
  if (dir === undefined) throw new Error('buildctl is not built: run npm run cluster:up');
  process.env['PATH'] = `${join(bin, dir)}:${process.env['PATH']}`;
}

/**
 * Blobs the registry received for `path` in the log lines after `offset`, with their sizes, leaving
 * out the base image's layers: whether BuildKit mounts those from another repository or uploads
 * them again varies from push to push (seen here: 115 MB uploaded once, mounted the next time),
 * whatever the Dockerfile, and on a real registry they are mounted from the base image's repository.
 */
async function blobsUploaded(path: string, offset: number): Promise<Map<string, number>> {
  const base = await new RegistrySession(`${REGISTRY}/model-canary/mlserver`).imageManifest('1.7.1');
  const baseLayers = new Set(base.layers.map((layer) => layer.digest));
  const log = readFileSync(REGISTRY_LOG).subarray(offset).toString('utf8');
  const digests = new Set<string>();
  for (const match of log.matchAll(
    /"PUT \/v2\/([^ ]+)\/blobs\/uploads\/[^ ]*[?&]digest=(sha256%3A[0-9a-f]{64})[^ ]* HTTP\/[\d.]+" 201/g,
  )) {
    const digest = decodeURIComponent(match[2]!);
    if (match[1] === path && !baseLayers.has(digest)) digests.add(digest);
  }
  const sizes = new Map<string, number>();
  for (const digest of digests) {
    const response = await fetch(`http://${REGISTRY}/v2/${path}/blobs/${digest}`, { method: 'HEAD' });
    sizes.set(digest, Number(response.headers.get('content-length') ?? '0'));
  }
  return sizes;
}

async function weightsLayerOf(repository: RegistrySession, tag: string): Promise<string> {
  const manifest = await repository.imageManifest(tag);
  // From the top: the model's layers are the last ones, so the base image's are never downloaded.
  for (const layer of [...manifest.layers].reverse()) {
    if (tarEntryNames(await repository.layer(layer)).includes('mnt/models/tiny-mlp/model.onnx'))
      return layer.digest;
  }
  throw new Error(`${repository.repository}:${tag} has no layer with model.onnx`);
}

async function measure(options: ModelImageOptions, path: string, tag: string): Promise<Measured> {
  const offset = statSync(REGISTRY_LOG).size;
  const started = performance.now();
  await buildModelImage(options);
  const seconds = (performance.now() - started) / 1000;
  // The registry writes its access log line after answering; give it a moment.
  await new Promise((done) => setTimeout(done, 300));
  const uploaded = await blobsUploaded(path, offset);
  const weightsLayer = await weightsLayerOf(new RegistrySession(`${REGISTRY}/${path}`), tag);
  return {
    seconds,
    bytesPushed: [...uploaded.values()].reduce((sum, size) => sum + size, 0),
    weightsLayer,
    weightBytesPushed: uploaded.get(weightsLayer) ?? 0,
  };
}

/** Writes `mebibytes` of pseudo-random bytes (AES-CTR of zeros under a fixed key: the same every run). */
function writeGeneratedWeights(file: string, mebibytes: number): void {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1 << 20);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mebibytes; i++) writeSync(fd, cipher.update(zeros));
  } finally {
    closeSync(fd);
  }
}

interface Series {
  cold: Measured;
  warm: Measured[];
}

/**
 * One Dockerfile's cold build and its warm builds. `large`: the model gets LARGE_WEIGHT_MIB of
 * generated weights and every warm build follows a server-code change.
 */
async function series(kind: 'model-canary' | 'naive', runId: string, large = false): Promise<Series> {
  const scratch = mkdtempSync(join(tmpdir(), `model-canary-bench-build-${kind}-`));
  try {
    const model = join(scratch, 'tiny-mlp');
    cpSync(join(REPO_ROOT, 'examples/models/tiny-mlp'), model, { recursive: true });
    if (large) writeGeneratedWeights(join(model, 'extra-weights.bin'), LARGE_WEIGHT_MIB);
    const naiveDockerfile = join(scratch, 'Dockerfile');
    writeFileSync(naiveDockerfile, NAIVE_DOCKERFILE);
    const path = `bench-build-${runId}/${large ? 'large-' : ''}${kind}`;
    const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
    const options = (tag: string, cold: boolean): ModelImageOptions => ({
      model: { kind: 'path', absolutePath: model, label: 'examples/models/tiny-mlp' },
      runtime: kind === 'naive' ? 'dockerfile' : 'mlserver',
      ...(kind === 'naive' ? { dockerfile: naiveDockerfile, dockerfileContext: scratch } : {}),
      baseImage: BASE_IMAGE,
      repository: `${REGISTRY}/${path}`,
      tags: [tag],
      builder: 'buildctl',
      buildkitHost: 'unix:///run/model-canary/buildkitd.sock',
      cache: { mode: 'registry', ref: `${REGISTRY}/${path}:buildcache` },
      platforms: ['linux/amd64'],
      buildArgs: {},
      buildSecrets: {},
      revision: tag,
      ...(cold ? { noCache: true } : {}),
      log: silent,
    });
    const cold = await measure(options('cold', true), path, 'cold');
    const warm: Measured[] = [];
    for (let run = 1; run <= (large ? LARGE_WARM_RUNS : WARM_RUNS); run++) {
      if (large || run % 2 === 1) {
        appendFileSync(join(model, 'runtime.py'), `\n# server code change ${run}\n`);
      } else {
        const settingsFile = join(model, 'model-settings.json');
        const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
          parameters: { extra: Record<string, unknown> };
        };
        settings.parameters.extra['revision'] = run;
        writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
      }
      warm.push(await measure(options(`warm-${run}`, false), path, `warm-${run}`));
    }
    return { cold, warm };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const run: Suite = async () => {
  useLocalBuildKit();
  const runId = `${Date.now().toString(36)}`;
  const ours = await series('model-canary', runId);
  const naive = await series('naive', runId);
  const largeOurs = await series('model-canary', runId, true);
  const largeNaive = await series('naive', runId, true);

  const seconds = (list: Measured[]) => list.map((m) => m.seconds);
  const bytes = (list: Measured[]) => list.map((m) => m.bytesPushed);
  const ratio = (s: Series) => median(seconds(s.warm)) / s.cold.seconds;
  const weightBytes = (s: Series) => median(s.warm.map((m) => m.weightBytesPushed));
  const reused = (s: Series) => (s.warm.every((m) => m.weightsLayer === s.cold.weightsLayer) ? 1 : 0);
  console.log(
    `warm runs: ${WARM_RUNS} (alternating server-code and configuration changes); median (min–max)`,
  );
  console.log('| | model-canary | naive COPY of the folder |');
  console.log('|---|---|---|');
  console.log(`| cold build (s) | ${ours.cold.seconds.toFixed(2)} | ${naive.cold.seconds.toFixed(2)} |`);
  console.log(`| warm build (s) | ${spread(seconds(ours.warm), 2)} | ${spread(seconds(naive.warm), 2)} |`);
  console.log(`| bytes pushed cold | ${ours.cold.bytesPushed} | ${naive.cold.bytesPushed} |`);
  console.log(`| bytes pushed warm | ${spread(bytes(ours.warm), 0)} | ${spread(bytes(naive.warm), 0)} |`);
  console.log(`| weights layer reused | ${reused(ours)} | ${reused(naive)} |`);
  console.log(
    `\nlarge model (${LARGE_WEIGHT_MIB} MiB of weights), ${LARGE_WARM_RUNS} warm runs after server-code changes`,
  );
  console.log('| | model-canary | naive COPY of the folder |');
  console.log('|---|---|---|');
  console.log(
    `| cold build and push (s) | ${largeOurs.cold.seconds.toFixed(2)} | ${largeNaive.cold.seconds.toFixed(2)} |`,
  );
  console.log(
    `| warm build and push (s) | ${spread(seconds(largeOurs.warm), 2)} | ${spread(seconds(largeNaive.warm), 2)} |`,
  );
  console.log(`| warm ÷ cold | ${ratio(largeOurs).toFixed(3)} | ${ratio(largeNaive).toFixed(3)} |`);
  console.log(`| bytes pushed cold | ${largeOurs.cold.bytesPushed} | ${largeNaive.cold.bytesPushed} |`);
  console.log(
    `| bytes pushed warm | ${spread(bytes(largeOurs.warm), 0)} | ${spread(bytes(largeNaive.warm), 0)} |`,
  );
  console.log(`| weight bytes pushed warm | ${weightBytes(largeOurs)} | ${weightBytes(largeNaive)} |`);

  return {
    cold_build_s: {
      value: round(ours.cold.seconds),
      unit: 's',
      peer: 'naive Dockerfile',
      peer_value: round(naive.cold.seconds),
    },
    warm_build_s: {
      value: round(median(seconds(ours.warm))),
      unit: 's',
      peer: 'naive Dockerfile',
      peer_value: round(median(seconds(naive.warm))),
    },
    bytes_pushed_cold: {
      value: ours.cold.bytesPushed,
      unit: 'bytes',
      peer: 'naive Dockerfile',
      peer_value: naive.cold.bytesPushed,
    },
    bytes_pushed_warm: {
      value: median(bytes(ours.warm)),
      unit: 'bytes',
      peer: 'naive Dockerfile',
      peer_value: median(bytes(naive.warm)),
    },
    weights_layer_reused: {
      value: reused(ours),
      unit: 'bool',
      peer: 'naive Dockerfile',
      peer_value: reused(naive),
    },
    warm_runs: { value: WARM_RUNS, unit: 'count' },
    large_model_weight_mib: { value: LARGE_WEIGHT_MIB, unit: 'MiB' },
    large_model_cold_build_s: {
      value: round(largeOurs.cold.seconds),
      unit: 's',
      peer: 'naive Dockerfile',
      peer_value: round(largeNaive.cold.seconds),
    },
    large_model_warm_build_s: {
      value: round(median(seconds(largeOurs.warm))),
      unit: 's',
      peer: 'naive Dockerfile',
      peer_value: round(median(seconds(largeNaive.warm))),
    },
    large_model_warm_ratio: {
      value: round(ratio(largeOurs)),
      unit: 'warm ÷ cold seconds',
      peer: 'naive Dockerfile',
      peer_value: round(ratio(largeNaive)),
    },
    large_model_bytes_pushed_warm: {
      value: median(bytes(largeOurs.warm)),
      unit: 'bytes',
      peer: 'naive Dockerfile',
      peer_value: median(bytes(largeNaive.warm)),
    },
    large_model_weight_bytes_pushed_warm: {
      value: weightBytes(largeOurs),
      unit: 'bytes',
      peer: 'naive Dockerfile',
      peer_value: weightBytes(largeNaive),
    },
    large_model_warm_runs: { value: LARGE_WARM_RUNS, unit: 'count' },
  };
};

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
