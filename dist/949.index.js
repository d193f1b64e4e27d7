export const id = 949;
export const ids = [949];
export const modules = {

/***/ 37332:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $: () => (/* binding */ servingEndpoints),
/* harmony export */   W: () => (/* binding */ RUNTIME_PRESETS)
/* harmony export */ });
const RUNTIME_PRESETS = {
    triton: {
        runtime: 'triton',
        baseImage: 'nvcr.io/nvidia/tritonserver:25.01-py3',
        modelRoot: '/models',
        port: 8000,
        extraPorts: [8001, 8002],
        protocol: 'v2',
        livenessPath: '/v2/health/live',
    },
    vllm: {
        runtime: 'vllm',
        baseImage: 'vllm/vllm-openai:v0.10.1.1',
        modelRoot: '/models',
        port: 8000,
        extraPorts: [],
        protocol: 'openai',
        livenessPath: '/health',
    },
    mlserver: {
        runtime: 'mlserver',
        baseImage: 'seldonio/mlserver:1.7.1',
        modelRoot: '/mnt/models',
        port: 8080,
        extraPorts: [8081, 8082],
        protocol: 'v2',
        livenessPath: '/v2/health/live',
        user: '1000',
    },
};
/** The ports, paths and protocol of `model` served by `runtime`. */
function servingEndpoints(runtime, model) {
    const preset = RUNTIME_PRESETS[runtime];
    const name = encodeURIComponent(model);
    if (runtime === 'vllm') {
        // vLLM has no per-model readiness; /v1/models lists the model once it is loaded and /health
        // answers only after the engine started.
        return {
            port: preset.port,
            protocol: preset.protocol,
            livenessPath: preset.livenessPath,
            readinessPath: '/health',
            inferencePath: '/v1/completions',
        };
    }
    return {
        port: preset.port,
        protocol: preset.protocol,
        livenessPath: preset.livenessPath,
        readinessPath: `/v2/models/${name}/ready`,
        inferencePath: `/v2/models/${name}/infer`,
    };
}


/***/ }),

/***/ 87949:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  buildStage: () => (/* binding */ buildStage),
  cacheSettings: () => (/* binding */ cacheSettings)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 10 modules
var core = __webpack_require__(57264);
// EXTERNAL MODULE: ./node_modules/@actions/exec/lib/exec.js + 5 modules
var exec = __webpack_require__(22876);
// EXTERNAL MODULE: ./src/registry/image-ref.ts
var image_ref = __webpack_require__(18230);
;// CONCATENATED MODULE: ./src/image/buildkit.ts
/**
 * Runs a build on BuildKit (adapter): `docker buildx build` or `buildctl build`, with registry
 * login, cache import/export, build arguments and secrets, and the pushed digest read from
 * BuildKit's metadata file (never from the log). The command lines are built by pure functions
 * (`buildxArguments`, `buildctlArguments`) that tests read directly.
 */







/** The environment variable that carries secret number `index` to the builder process. */
function secretVariable(index) {
    return `MODEL_CANARY_BUILD_SECRET_${index}`;
}
function cacheExportAndImport(cache) {
    switch (cache.mode) {
        case 'none':
            return {};
        case 'registry':
            return { from: `type=registry,ref=${cache.ref}`, to: `type=registry,ref=${cache.ref},mode=max` };
        case 'gha': {
            const service = [
                cache.url !== undefined ? `url=${cache.url}` : undefined,
                cache.urlV2 !== undefined ? `url_v2=${cache.urlV2}` : undefined,
                cache.token !== undefined ? `token=${cache.token}` : undefined,
            ].filter((part) => part !== undefined);
            const common = ['type=gha', `scope=${cache.scope}`, ...service].join(',');
            return { from: common, to: `${common},mode=max` };
        }
    }
}
/** `--secret` flags, the same for both tools: each secret's value travels in an environment variable, never on the command line. */
function secretFlags(request) {
    return Object.keys(request.secrets)
        .sort()
        .flatMap((id, index) => ['--secret', `id=${id},env=${secretVariable(index)}`]);
}
/** `docker buildx build` arguments for a request (pure). */
function buildxArguments(request, metadataFile) {
    const args = ['buildx', 'build', '--progress=plain', '--file', request.dockerfile];
    for (const [name, dir] of sorted(request.namedContexts))
        args.push('--build-context', `${name}=${dir}`);
    args.push('--platform', request.platforms.join(','));
    for (const tag of request.tags)
        args.push('--tag', tag);
    for (const [key, value] of sorted(request.buildArgs))
        args.push('--build-arg', `${key}=${value}`);
    for (const [key, value] of sorted(request.labels))
        args.push('--label', `${key}=${value}`);
    args.push(...secretFlags(request));
    const cache = cacheExportAndImport(request.cache);
    if (cache.from !== undefined)
        args.push('--cache-from', cache.from);
    if (cache.to !== undefined)
        args.push('--cache-to', cache.to);
    if (request.noCache)
        args.push('--no-cache');
    const rewrite = 'SOURCE_DATE_EPOCH' in request.buildArgs ? ',rewrite-timestamp=true' : '';
    args.push('--output', request.push ? `type=image,push=true${rewrite}` : 'type=cacheonly');
    args.push('--metadata-file', metadataFile, request.contextDir);
    return args;
}
/** `buildctl build` arguments for a request (pure); the daemon address comes first. */
function buildctlArguments(request, metadataFile) {
    const dockerfileDir = request.dockerfile.slice(0, request.dockerfile.lastIndexOf('/')) || '/';
    const dockerfileName = request.dockerfile.slice(request.dockerfile.lastIndexOf('/') + 1);
    // Without buildkit-host, buildctl takes BUILDKIT_HOST from the environment, else its default socket.
    const address = request.buildkitHost !== undefined ? ['--addr', request.buildkitHost] : [];
    const args = [...address, 'build', '--progress=plain', '--frontend', 'dockerfile.v0'];
    args.push('--local', `context=${request.contextDir}`, '--local', `dockerfile=${dockerfileDir}`);
    args.push('--opt', `filename=${dockerfileName}`);
    for (const [name, dir] of sorted(request.namedContexts)) {
        args.push('--local', `${name}=${dir}`, '--opt', `context:${name}=local:${name}`);
    }
    args.push('--opt', `platform=${request.platforms.join(',')}`);
    for (const [key, value] of sorted(request.buildArgs))
        args.push('--opt', `build-arg:${key}=${value}`);
    for (const [key, value] of sorted(request.labels))
        args.push('--opt', `label:${key}=${value}`);
    args.push(...secretFlags(request));
    const cache = cacheExportAndImport(request.cache);
    if (cache.from !== undefined)
        args.push('--import-cache', cache.from);
    if (cache.to !== undefined)
        args.push('--export-cache', cache.to);
    if (request.noCache)
        args.push('--no-cache');
    // Several names in one image output are quoted as a CSV field.
    const names = request.tags.length === 1 ? `name=${request.tags[0]}` : `"name=${request.tags.join(',')}"`;
    // With SOURCE_DATE_EPOCH, BuildKit clamps file times in the layers it writes, so the same
    // weights give the same layer digest even from an empty cache (no re-upload).
    const rewrite = 'SOURCE_DATE_EPOCH' in request.buildArgs ? ',rewrite-timestamp=true' : '';
    args.push('--output', request.push ? `type=image,${names},push=true${rewrite}` : 'type=cacheonly');
    args.push('--metadata-file', metadataFile);
    return args;
}
/** `auto`: buildctl when a BuildKit address is given, else buildx when `docker buildx` works, else buildctl. */
async function chooseBuilder(choice, buildkitHost) {
    if (choice !== 'auto')
        return { builder: choice, reason: 'input builder' };
    if (buildkitHost !== undefined)
        return { builder: 'buildctl', reason: `buildkit-host is ${buildkitHost}` };
    const probe = await exec/* getExecOutput */.H('docker', ['buildx', 'version'], { silent: true, ignoreReturnCode: true })
        .catch(() => undefined);
    if (probe !== undefined && probe.exitCode === 0) {
        return { builder: 'buildx', reason: `docker buildx works (${probe.stdout.trim()})` };
    }
    return { builder: 'buildctl', reason: 'docker buildx is not available' };
}
/** Builds (and pushes) with BuildKit; returns the digest from BuildKit's metadata file. */
async function runBuild(request) {
    const scratch = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'model-canary-build-'));
    const started = Date.now();
    let loggedInWithDocker = false;
    try {
        const metadataFile = (0,external_node_path_.join)(scratch, 'metadata.json');
        const env = { ...stringEnvironment() };
        Object.keys(request.secrets)
            .sort()
            .forEach((id, index) => {
            core/* setSecret */.Pq(request.secrets[id]);
            env[secretVariable(index)] = request.secrets[id];
        });
        if (request.cache.mode === 'gha' && request.cache.token !== undefined)
            core/* setSecret */.Pq(request.cache.token);
        const output = request.log !== undefined ? { outStream: request.log, errStream: request.log } : {};
        let command;
        let args;
        if (request.builder === 'buildx') {
            if (request.registryAuth !== undefined) {
                await dockerLogin(request.registryAuth, output);
                loggedInWithDocker = true;
            }
            command = 'docker';
            args = buildxArguments(request, metadataFile);
        }
        else {
            if (request.registryAuth !== undefined) {
                env.DOCKER_CONFIG = await writeDockerConfig(scratch, request.registryAuth);
            }
            command = 'buildctl';
            args = buildctlArguments(request, metadataFile);
        }
        const exitCode = await exec/* exec */.m(command, args, { env, ignoreReturnCode: true, ...output }).catch(() => {
            // @actions/exec throws only when the program cannot be started at all.
            throw new errors/* BuildFailed */.UQ(request.builder === 'buildx'
                ? 'docker buildx is not installed on the runner: add docker/setup-buildx-action before this step, or use builder buildctl'
                : "buildctl is not installed on the runner: put BuildKit's buildctl on PATH, or use builder buildx", 'builder');
        });
        if (exitCode !== 0) {
            const step = request.builder === 'buildx' ? 'docker buildx build' : 'buildctl build';
            throw new errors/* BuildFailed */.UQ(`${step} failed with exit code ${exitCode}; its log is above`);
        }
        const metadata = JSON.parse(await (0,promises_.readFile)(metadataFile, 'utf8'));
        const digest = metadata['containerimage.digest'];
        if (request.push && (typeof digest !== 'string' || !(0,image_ref/* isDigest */.Bc)(digest))) {
            throw new errors/* BuildFailed */.UQ(`BuildKit's metadata file has no containerimage.digest (keys: ${Object.keys(metadata).join(', ')})`);
        }
        return {
            digest: typeof digest === 'string' ? digest : '',
            metadata,
            builder: request.builder,
            durationMs: Date.now() - started,
        };
    }
    finally {
        if (loggedInWithDocker && request.registryAuth !== undefined) {
            await exec/* exec */.m('docker', ['logout', request.registryAuth.registry], {
                ignoreReturnCode: true,
                silent: true,
            });
        }
        // Removes the temporary DOCKER_CONFIG (credentials) along with the metadata file.
        await (0,promises_.rm)(scratch, { recursive: true, force: true });
    }
}
async function dockerLogin(auth, output) {
    core/* setSecret */.Pq(auth.password);
    const args = ['login', '--username', auth.username, '--password-stdin'];
    if (auth.registry !== 'docker.io')
        args.push(auth.registry);
    const exitCode = await exec/* exec */.m('docker', args, {
        input: Buffer.from(auth.password),
        ignoreReturnCode: true,
        ...output,
    });
    if (exitCode !== 0) {
        throw new errors/* BuildFailed */.UQ(`docker login to ${auth.registry} failed (exit code ${exitCode})`, 'registry-username');
    }
}
/** A DOCKER_CONFIG folder for buildctl with only this registry's credentials, readable by us only. */
async function writeDockerConfig(scratch, auth) {
    core/* setSecret */.Pq(auth.password);
    const dir = (0,external_node_path_.join)(scratch, 'docker-config');
    await (0,promises_.mkdir)(dir, { mode: 0o700 });
    const server = auth.registry === 'docker.io' ? 'https://index.docker.io/v1/' : auth.registry;
    const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
    core/* setSecret */.Pq(encoded);
    const file = (0,external_node_path_.join)(dir, 'config.json');
    await (0,promises_.writeFile)(file, JSON.stringify({ auths: { [server]: { auth: encoded } } }), { mode: 0o600 });
    await (0,promises_.chmod)(file, 0o600);
    return dir;
}
function stringEnvironment() {
    return Object.fromEntries(Object.entries(process.env).filter((e) => e[1] !== undefined));
}
function sorted(record) {
    return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

;// CONCATENATED MODULE: ./src/image/detect.ts
/**
 * Runtime detection for `runtime: auto` (pure): reads a model's file listing and says which
 * serving runtime fits and why, so the log can explain the choice.
 */

/** The Triton backend of the first recognised weight file (or SavedModel) in a listing. */
function tritonWeights(paths) {
    const sorted = [...paths].sort();
    const savedModel = sorted.find((p) => p === 'saved_model.pb' || p.endsWith('/saved_model.pb'));
    if (savedModel !== undefined) {
        const folder = savedModel.slice(0, -'saved_model.pb'.length).replace(/\/$/, '');
        return { backend: 'tensorflow', path: folder === '' ? '.' : folder, tritonName: 'model.savedmodel' };
    }
    const byExtension = [
        ['.onnx', 'onnxruntime', 'model.onnx'],
        ['.plan', 'tensorrt', 'model.plan'],
        ['.pt', 'pytorch', 'model.pt'],
    ];
    for (const [extension, backend, tritonName] of byExtension) {
        const path = sorted.find((p) => p.toLowerCase().endsWith(extension));
        if (path !== undefined)
            return { backend, path, tritonName };
    }
    return undefined;
}
/** Picks a runtime for a model from its files (or its source, for hf://); throws when none fits. */
function detectRuntime(source, paths) {
    if (source.kind === 'huggingface') {
        return {
            runtime: 'vllm',
            reason: `hf://${source.repository} is fetched at build time, so its files cannot be inspected first; Hugging Face repositories are assumed to be LLMs for vLLM (set runtime to choose another)`,
        };
    }
    const names = new Set(paths);
    const has = (predicate) => paths.some(predicate);
    if (names.has('model-settings.json')) {
        return { runtime: 'mlserver', reason: "model-settings.json is MLServer's model configuration" };
    }
    if (names.has('config.pbtxt') || has((p) => /^[^/]+\/config\.pbtxt$/.test(p))) {
        return { runtime: 'triton', reason: 'config.pbtxt is a Triton Inference Server model configuration' };
    }
    const hfWeights = has((p) => p.endsWith('.safetensors') || /(^|\/)pytorch_model[^/]*\.bin$/.test(p));
    if (names.has('config.json') && hfWeights) {
        return {
            runtime: 'vllm',
            reason: 'config.json with safetensors (or pytorch_model.bin) weights is a Hugging Face transformers folder, served by vLLM',
        };
    }
    const triton = tritonWeights(paths);
    if (triton !== undefined) {
        return {
            runtime: 'triton',
            reason: `${triton.path} is ${TRITON_FORMAT[triton.backend]}, served by Triton's ${triton.backend} backend`,
        };
    }
    if (has((p) => /\.(pkl|joblib|ubj)$/i.test(p) || p.endsWith('.py'))) {
        return { runtime: 'mlserver', reason: 'Python code or a pickled model is served by MLServer' };
    }
    throw new errors/* InputError */.dz([
        {
            input: 'runtime',
            message: `auto could not tell the runtime from the model's files (${describeListing(paths)}); set runtime to triton, vllm, mlserver or dockerfile`,
        },
    ]);
}
const TRITON_FORMAT = {
    onnxruntime: 'an ONNX model',
    pytorch: 'a TorchScript model',
    tensorrt: 'a TensorRT engine',
    tensorflow: 'a TensorFlow SavedModel',
};
function describeListing(paths) {
    if (paths.length === 0)
        return 'the folder is empty';
    const shown = [...paths].sort().slice(0, 5).join(', ');
    return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown;
}

;// CONCATENATED MODULE: ./src/image/hf-fetch-script.ts
/**
 * The script a `RUN` step runs to download a Hugging Face repository at build time (Python's
 * standard library only, so any runtime base image with python3 can run it). It reads the token
 * from the BuildKit secret mount, sends it only to the hub's own host (never across a redirect to
 * a CDN), never prints it, and sorts files into weights/ and config/ so each lands in its own layer.
 */
const HF_FETCH_SCRIPT = String.raw `"""Downloads a Hugging Face model repository: hf-fetch.py REPOSITORY REVISION OUT_DIR.

Endpoint: $HF_ENDPOINT (default https://huggingface.co). Token: the BuildKit secret hf_token,
mounted at /run/secrets/hf_token, optional for public repositories.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".onnx_data", ".gguf", ".h5",
                   ".msgpack", ".ckpt", ".plan", ".engine", ".npz", ".pkl", ".joblib", ".tflite")
TOKEN_FILE = "/run/secrets/hf_token"
ATTEMPTS = 4


class SameHostAuthorization(urllib.request.HTTPRedirectHandler):
    """Drops the token when a redirect leaves the hub's host (downloads are served from a CDN)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


OPENER = urllib.request.build_opener(SameHostAuthorization)


def request(url, token):
    headers = {"User-Agent": "model-canary-hf-fetch/1"}
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return OPENER.open(urllib.request.Request(url, headers=headers), timeout=60)
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == ATTEMPTS:
                hint = " (is the hf_token secret set and allowed to read this repository?)" if error.code in (401, 403) else ""
                sys.exit("hf-fetch: GET %s answered %d%s" % (url, error.code, hint))
        except (urllib.error.URLError, TimeoutError) as error:
            if attempt == ATTEMPTS:
                sys.exit("hf-fetch: GET %s failed: %s" % (url, getattr(error, "reason", error)))
        time.sleep(2 ** attempt)


def main():
    repository, revision, out = sys.argv[1:4]
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    token = open(TOKEN_FILE).read().strip() if os.path.exists(TOKEN_FILE) else ""
    quoted_revision = urllib.parse.quote(revision, safe="")
    with request("%s/api/models/%s/revision/%s" % (endpoint, repository, quoted_revision), token) as response:
        info = json.load(response)
    commit = info.get("sha") or revision
    files = sorted(s["rfilename"] for s in info.get("siblings", []) if s["rfilename"] != ".gitattributes")
    print("hf-fetch: %s@%s (commit %s): %d files" % (repository, revision, commit, len(files)), flush=True)
    for kind in ("weights", "config"):
        os.makedirs(os.path.join(out, kind), exist_ok=True)
    for name in files:
        if name.startswith("/") or ".." in name.split("/"):
            sys.exit("hf-fetch: refusing file name %r" % name)
        kind = "weights" if name.lower().endswith(WEIGHT_SUFFIXES) else "config"
        target = os.path.join(out, kind, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        url = "%s/%s/resolve/%s/%s" % (endpoint, repository, commit, urllib.parse.quote(name))
        size = 0
        with request(url, token) as response, open(target, "wb") as sink:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                sink.write(chunk)
                size += len(chunk)
        print("hf-fetch: %s (%d bytes) -> %s" % (name, size, kind), flush=True)


main()
`;

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./src/image/model-files.ts
/**
 * What a model folder holds (pure): which files are weights, and the model's content hash.
 * The adapter that walks a folder and hashes file contents is model-folder.ts.
 */

/** Extensions of serialized weights and engines; everything else is code or configuration. */
const WEIGHT_EXTENSIONS = [
    '.onnx',
    '.onnx_data',
    '.pt',
    '.pth',
    '.plan',
    '.engine',
    '.safetensors',
    '.bin',
    '.gguf',
    '.h5',
    '.keras',
    '.ckpt',
    '.npz',
    '.pkl',
    '.joblib',
    '.tflite',
    '.msgpack',
    '.ubj',
];
/** True for serialized weights (including a TensorFlow SavedModel's graph and variables). */
function isWeightFile(path) {
    const lower = path.toLowerCase();
    const name = lower.split('/').pop();
    if (name === 'saved_model.pb' || lower.split('/').slice(0, -1).includes('variables'))
        return true;
    return WEIGHT_EXTENSIONS.some((extension) => name.endsWith(extension));
}
/** Splits files into weights and the rest (code, configuration), each sorted by path. */
function splitWeights(files) {
    const sorted = [...files].sort((a, b) => compareText(a.path, b.path));
    return {
        weights: sorted.filter((f) => isWeightFile(f.path)),
        others: sorted.filter((f) => !isWeightFile(f.path)),
    };
}
/** Hex SHA-256 of one file's bytes. */
function sha256Of(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
}
/**
 * The model's content hash: SHA-256 over every (path, contents hash) pair in path order, so it
 * changes when any file's bytes or name change and never with timestamps or listing order.
 */
function modelDigest(files) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
        hash.update(`${file.path}\0${file.sha256}\n`);
    }
    return hash.digest('hex');
}
/** Byte-order comparison, the same on every machine (localeCompare is not). */
function compareText(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

// EXTERNAL MODULE: ./src/image/runtimes.ts
var runtimes = __webpack_require__(37332);
;// CONCATENATED MODULE: ./src/image/dockerfile.ts
/**
 * Dockerfile rendering for the serving runtimes (pure: values in, text out).
 *
 * The model's weights reach the image with `COPY --link` from a named build context (`model`),
 * before anything else is added, in layers of their own. `--link` makes each such layer
 * independent of the layers under it, so a change to the server's code, its configuration or
 * even the base image leaves the weights layer's digest as it was: BuildKit reuses it from cache
 * and the registry already has its blob.
 */





/** The named build context that carries the model folder. */
const MODEL_CONTEXT = 'model';
/** The BuildKit secret id of the Hugging Face token. */
const HF_TOKEN_SECRET = 'hf_token';
/** Build argument naming the Hugging Face endpoint (a mirror, or a local stand-in in tests). */
const HF_ENDPOINT_ARG = 'HF_ENDPOINT';
const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** OCI image label keys, and model-canary's own. */
const IMAGE_LABELS = {
    source: 'org.opencontainers.image.source',
    revision: 'org.opencontainers.image.revision',
    title: 'org.opencontainers.image.title',
    baseName: 'org.opencontainers.image.base.name',
    runtime: 'dev.model-canary.runtime',
    modelSource: 'dev.model-canary.model.source',
    /** Content hash of the model's files (see modelDigest); absent for hf://, fetched at build time. */
    modelSha256: 'dev.model-canary.model.sha256',
};
/** GPU visibility for the NVIDIA container runtime; a CPU node ignores them. */
const GPU_ENVIRONMENT = {
    NVIDIA_VISIBLE_DEVICES: 'all',
    NVIDIA_DRIVER_CAPABILITIES: 'compute,utility',
};
/** Renders the Dockerfile (and generated files) that serve `spec.model` with `spec.runtime`. */
function renderDockerfile(spec) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.modelName)) {
        throw new errors/* InputError */.dz([
            { input: 'model', message: `model name '${spec.modelName}' must be letters, digits, '.', '_' or '-'` },
        ]);
    }
    const preset = runtimes/* RUNTIME_PRESETS */.W[spec.runtime];
    const lines = [
        `# Generated by model-canary: runtime ${spec.runtime}, model ${spec.modelName}.`,
        '# The weights are copied with COPY --link, in layers of their own: changing the code, the',
        '# configuration, the requirements or the base image reuses them (same layer digest, nothing to push).',
    ];
    const contextFiles = {};
    const modelDir = modelDirectory(spec);
    if (spec.model.kind === 'huggingface') {
        contextFiles['hf-fetch.py'] = HF_FETCH_SCRIPT;
        lines.push('', '# The model is downloaded in a stage of its own; the token is a BuildKit secret, mounted', '# only for this RUN step, so it reaches no layer, no build argument and no log.', `FROM ${spec.baseImage} AS model-download`, `ARG ${HF_ENDPOINT_ARG}=${DEFAULT_HF_ENDPOINT}`, ...(preset.user !== undefined ? ['USER root'] : []), `RUN --mount=type=bind,source=hf-fetch.py,target=/tmp/model-canary/hf-fetch.py \\`, `    --mount=type=secret,id=${HF_TOKEN_SECRET},required=false \\`, `    python3 /tmp/model-canary/hf-fetch.py ${shellWord(spec.model.repository)} ${shellWord(spec.model.revision)} /model-canary`);
    }
    lines.push('', `FROM ${spec.baseImage}`, `ENV ${envPairs(GPU_ENVIRONMENT)}`);
    let weightCopies;
    let otherCopies;
    let generatedCopies = [];
    let dependencyInstall = [];
    if (spec.model.kind === 'huggingface') {
        weightCopies = [copyInstruction('model-download', ['/model-canary/weights/'], `${modelDir}/`)];
        otherCopies = [copyInstruction('model-download', ['/model-canary/config/'], `${modelDir}/`)];
    }
    else {
        const placements = placeModelFiles(spec.runtime, spec.model.paths, modelDir);
        const weights = placements.filter((p) => isWeightFile(p.source));
        const others = placements.filter((p) => !isWeightFile(p.source));
        weightCopies = copyInstructions(MODEL_CONTEXT, weights);
        otherCopies = copyInstructions(MODEL_CONTEXT, others.filter((p) => p.source !== 'requirements.txt'));
        if (spec.runtime === 'triton' &&
            !spec.model.paths.includes('config.pbtxt') &&
            !isTritonRepository(spec.model.paths)) {
            const weightsFile = tritonWeights(spec.model.paths);
            contextFiles['config.pbtxt'] = renderTritonConfig(spec.modelName, weightsFile.backend);
            generatedCopies = [copyInstruction(undefined, ['config.pbtxt'], `${modelDir}/config.pbtxt`)];
        }
        if (spec.model.paths.includes('requirements.txt')) {
            dependencyInstall = [
                "# The model's Python requirements, with pip's downloads kept in a BuildKit cache mount.",
                ...(preset.user !== undefined ? ['USER root'] : []),
                `RUN --mount=type=bind,from=${MODEL_CONTEXT},source=requirements.txt,target=/tmp/model-canary/requirements.txt \\`,
                '    --mount=type=cache,id=model-canary-pip,target=/root/.cache/pip \\',
                '    python3 -m pip install --disable-pip-version-check -r /tmp/model-canary/requirements.txt',
                ...(preset.user !== undefined ? [`USER ${preset.user}`] : []),
            ];
        }
    }
    // Requirements first: with --link the weights layer does not depend on them, and a change of
    // weights does not re-run pip.
    lines.push(...dependencyInstall, ...weightCopies, ...otherCopies, ...generatedCopies);
    lines.push(...startInstructions(spec, modelDir));
    const labels = Object.entries(spec.labels).sort(([a], [b]) => compareText(a, b));
    if (labels.length > 0) {
        lines.push(`LABEL ${labels.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' \\\n      ')}`);
    }
    return { dockerfile: `${lines.join('\n')}\n`, contextFiles, usesModelContext: spec.model.kind === 'files' };
}
/** The folder of the model in the image: `<model root>/<model name>`. */
function modelDirectory(spec) {
    return `${runtimes/* RUNTIME_PRESETS */.W[spec.runtime].modelRoot}/${spec.modelName}`;
}
/** A minimal Triton model configuration; Triton fills in inputs and outputs where the backend allows. */
function renderTritonConfig(modelName, backend) {
    const lines = [
        '# Generated by model-canary (no config.pbtxt in the model folder). Triton completes inputs and',
        '# outputs from ONNX, TensorRT and SavedModel files; a TorchScript model needs its own config.pbtxt.',
        `name: ${JSON.stringify(modelName)}`,
        backend === 'tensorflow' ? 'platform: "tensorflow_savedmodel"' : `backend: ${JSON.stringify(backend)}`,
        'max_batch_size: 0',
        'instance_group [ { kind: KIND_GPU } ]',
    ];
    return `${lines.join('\n')}\n`;
}
/** A Triton model repository (several model folders, each with its config.pbtxt) rather than one model. */
function isTritonRepository(paths) {
    return paths.some((p) => /^[^/]+\/config\.pbtxt$/.test(p));
}
/** Where each file of a local model goes in the image, by the runtime's layout. */
function placeModelFiles(runtime, files, modelDir) {
    const paths = [...files].sort(compareText);
    if (runtime !== 'triton' || paths.includes('config.pbtxt')) {
        return paths.map((source) => ({ source, destination: `${modelDir}/${source}` }));
    }
    if (isTritonRepository(paths)) {
        const root = runtimes/* RUNTIME_PRESETS */.W.triton.modelRoot;
        return paths.map((source) => ({ source, destination: `${root}/${source}` }));
    }
    const weightsFile = tritonWeights(paths);
    if (weightsFile === undefined) {
        throw new errors/* InputError */.dz([
            {
                input: 'model',
                message: 'runtime triton needs a config.pbtxt, or an .onnx, .plan or .pt file or a SavedModel (saved_model.pb) to write one for',
            },
        ]);
    }
    const version = `${modelDir}/1`;
    return paths.map((source) => {
        if (weightsFile.backend === 'tensorflow') {
            const prefix = weightsFile.path === '.' ? '' : `${weightsFile.path}/`;
            if (source.startsWith(prefix)) {
                return { source, destination: `${version}/${weightsFile.tritonName}/${source.slice(prefix.length)}` };
            }
        }
        if (source === weightsFile.path)
            return { source, destination: `${version}/${weightsFile.tritonName}` };
        // Other weight files (e.g. ONNX external data) sit beside the model file; the rest beside config.pbtxt.
        return { source, destination: `${isWeightFile(source) ? version : modelDir}/${source}` };
    });
}
/** COPY instructions for placements: one per destination folder, a renaming copy on its own. */
function copyInstructions(from, placements) {
    const byFolder = new Map();
    const renames = [];
    for (const placement of placements) {
        const sourceName = placement.source.split('/').pop();
        const destinationName = placement.destination.split('/').pop();
        if (sourceName !== destinationName) {
            renames.push(placement);
            continue;
        }
        const folder = placement.destination.slice(0, -destinationName.length);
        byFolder.set(folder, [...(byFolder.get(folder) ?? []), placement.source]);
    }
    return [
        ...renames.map((p) => copyInstruction(from, [p.source], p.destination)),
        ...[...byFolder.entries()]
            .sort(([a], [b]) => compareText(a, b))
            .map(([folder, sources]) => copyInstruction(from, sources, folder)),
    ];
}
function copyInstruction(from, sources, destination) {
    const fromFlag = from === undefined ? '' : ` --from=${from}`;
    return `COPY --link${fromFlag} ${JSON.stringify([...sources, destination]).replaceAll('","', '", "')}`;
}
function startInstructions(spec, modelDir) {
    const preset = runtimes/* RUNTIME_PRESETS */.W[spec.runtime];
    const expose = `EXPOSE ${[preset.port, ...preset.extraPorts].join(' ')}`;
    switch (spec.runtime) {
        case 'triton':
            // The image's entrypoint (nvidia_entrypoint.sh) stays; it runs the command.
            return [
                expose,
                `CMD ["tritonserver", "--model-repository=${preset.modelRoot}", "--http-port=${preset.port}", "--strict-readiness=true"]`,
            ];
        case 'vllm':
            return [
                'ENV HF_HUB_OFFLINE=1',
                expose,
                'ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]',
                `CMD ${JSON.stringify(['--model', modelDir, '--served-model-name', spec.modelName, '--host', '0.0.0.0', '--port', String(preset.port)]).replaceAll('","', '", "')}`,
            ];
        case 'mlserver':
            // One server process per GPU: each parallel worker would load its own copy of the model
            // into GPU memory (and MLServer 1.7.1's workers fail to start with uvloop 0.22).
            return [
                `ENV MLSERVER_MODELS_DIR=${preset.modelRoot} MLSERVER_HTTP_PORT=${preset.port} MLSERVER_PARALLEL_WORKERS=0`,
                expose,
                `CMD ["mlserver", "start", "${preset.modelRoot}"]`,
            ];
    }
}
function envPairs(values) {
    return Object.entries(values)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ');
}
/** A word for a shell command line; values are already validated, quoting guards the rest. */
function shellWord(value) {
    return /^[\w./@:-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

;// CONCATENATED MODULE: ./src/image/huggingface.ts
/**
 * Hugging Face hub lookups the action makes before a build (adapter): a branch or tag is resolved
 * to its commit, so the download step's cache key changes when the branch moves (BuildKit would
 * otherwise reuse yesterday's `main`) and the image says exactly which weights it holds.
 */

const COMMIT = /^[0-9a-f]{40}$/;
/** The commit a revision (branch, tag or commit) of a hub repository names. */
async function resolveHubRevision(repository, revision, options = {}) {
    if (COMMIT.test(revision))
        return revision;
    const endpoint = (options.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/$/, '');
    const url = `${endpoint}/api/models/${repository}/revision/${encodeURIComponent(revision)}`;
    const response = await fetch(url, {
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
        const hint = response.status === 401 || response.status === 403 || response.status === 404
            ? ' (a private or gated repository needs HF_TOKEN with read access)'
            : '';
        throw new Error(`hf://${repository}@${revision}: ${url} answered HTTP ${response.status}${hint}`);
    }
    const sha = (await response.json()).sha;
    if (typeof sha !== 'string' || !COMMIT.test(sha)) {
        throw new Error(`hf://${repository}@${revision}: the hub's answer names no commit`);
    }
    return sha;
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
;// CONCATENATED MODULE: ./src/image/model-folder.ts
/** Reads a model folder from disk (adapter): its files, sizes and content hashes. */






/** Lists and hashes a model: a folder (recursively) or a single file (its folder holds only it). */
async function readModelFolder(path) {
    const info = await (0,promises_.stat)(path);
    if (info.isFile()) {
        return { root: (0,external_node_path_.dirname)(path), files: [await describeFile((0,external_node_path_.dirname)(path), path)] };
    }
    const files = [];
    for (const entry of await (0,promises_.readdir)(path, { recursive: true, withFileTypes: true })) {
        const full = (0,external_node_path_.join)(entry.parentPath, entry.name);
        const relativePath = (0,external_node_path_.relative)(path, full).split(external_node_path_.sep).join('/');
        // Version-control and OS metadata are never part of a model.
        if (relativePath.split('/').some((part) => part === '.git' || part === '.DS_Store'))
            continue;
        if (entry.isSymbolicLink()) {
            throw new errors/* InputError */.dz([
                {
                    input: 'model',
                    message: `${relativePath} is a symbolic link; BuildKit would copy the link, not the file`,
                },
            ]);
        }
        if (entry.isFile())
            files.push(await describeFile(path, full));
    }
    if (files.length === 0)
        throw new errors/* InputError */.dz([{ input: 'model', message: `the folder ${(0,external_node_path_.basename)(path)} is empty` }]);
    return { root: path, files: files.sort((a, b) => compareText(a.path, b.path)) };
}
async function describeFile(root, full) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let size = 0;
    for await (const chunk of (0,external_node_fs_.createReadStream)(full)) {
        hash.update(chunk);
        size += chunk.length;
    }
    return { path: (0,external_node_path_.relative)(root, full).split(external_node_path_.sep).join('/'), size, sha256: hash.digest('hex') };
}

;// CONCATENATED MODULE: ./src/image/model-image.ts
/**
 * A model's serving image, built and pushed from explicit values: model → runtime → Dockerfile →
 * BuildKit → pushed image and digest. The build stage (src/stages/build.ts) feeds it from the
 * settings; the build tests and the benchmark call it directly.
 */













/** Builds and pushes the serving image of a model; returns its reference and digest. */
async function buildModelImage(options) {
    const folder = options.model?.kind === 'path' ? await readModelFolder(options.model.absolutePath) : undefined;
    const paths = folder?.files.map((f) => f.path) ?? [];
    const { runtime, reason } = chooseRuntime(options, paths);
    core/* info */.pq(`runtime: ${runtime} (${reason})`);
    const modelSha256 = folder !== undefined ? modelDigest(folder.files) : undefined;
    if (folder !== undefined) {
        const { weights, others } = splitWeights(folder.files);
        const megabytes = (bytes) => (bytes / 1_048_576).toFixed(2);
        core/* info */.pq(`model: ${folder.files.length} files, sha256 ${modelSha256}; weights ${weights.length} files (${megabytes(weights.reduce((s, f) => s + f.size, 0))} MiB) in their own layer, code and config ${others.length} files`);
    }
    const labels = {
        [IMAGE_LABELS.runtime]: runtime,
        ...(options.sourceUrl !== undefined ? { [IMAGE_LABELS.source]: options.sourceUrl } : {}),
        ...(options.revision !== undefined ? { [IMAGE_LABELS.revision]: options.revision } : {}),
        ...(options.model !== undefined ? { [IMAGE_LABELS.modelSource]: modelSourceText(options.model) } : {}),
        ...(modelSha256 !== undefined ? { [IMAGE_LABELS.modelSha256]: modelSha256 } : {}),
    };
    const scratch = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'model-canary-context-'));
    try {
        let dockerfilePath;
        let contextDir;
        let dockerfileText;
        let modelName;
        const namedContexts = {};
        const builderLabels = {};
        if (runtime === 'dockerfile') {
            if (options.dockerfile === undefined)
                throw new errors/* InputError */.dz([{ input: 'dockerfile', message: 'is required for runtime dockerfile' }]);
            dockerfilePath = options.dockerfile;
            contextDir = options.dockerfileContext ?? (0,external_node_path_.dirname)(options.dockerfile);
            dockerfileText = await (0,promises_.readFile)(dockerfilePath, 'utf8');
            // The user's Dockerfile may COPY --from=model; labels come from the builder's options.
            if (folder !== undefined)
                namedContexts[MODEL_CONTEXT] = folder.root;
            Object.assign(builderLabels, labels);
            core/* info */.pq(`Dockerfile: ${options.dockerfile} (built as it is), context ${contextDir}`);
        }
        else {
            modelName = await servedModelName(options, folder, runtime);
            let hubCommit;
            if (options.model?.kind === 'huggingface') {
                const revision = options.model.revision ?? 'main';
                hubCommit = await resolveHubRevision(options.model.repository, revision, {
                    ...(options.hfEndpoint !== undefined ? { endpoint: options.hfEndpoint } : {}),
                    ...(options.hfToken ? { token: options.hfToken } : {}),
                });
                core/* info */.pq(`model: hf://${options.model.repository}@${revision} is commit ${hubCommit}`);
            }
            const baseImage = options.baseImage ?? runtimes/* RUNTIME_PRESETS */.W[runtime].baseImage;
            const spec = {
                runtime,
                baseImage,
                modelName,
                model: options.model?.kind === 'huggingface'
                    ? {
                        kind: 'huggingface',
                        repository: options.model.repository,
                        revision: hubCommit,
                    }
                    : { kind: 'files', paths },
                labels: { ...labels, [IMAGE_LABELS.title]: modelName, [IMAGE_LABELS.baseName]: baseImage },
            };
            const rendered = renderDockerfile(spec);
            dockerfileText = rendered.dockerfile;
            contextDir = scratch;
            dockerfilePath = (0,external_node_path_.join)(scratch, 'Dockerfile');
            await (0,promises_.writeFile)(dockerfilePath, rendered.dockerfile);
            for (const [name, text] of Object.entries(rendered.contextFiles))
                await (0,promises_.writeFile)((0,external_node_path_.join)(scratch, name), text);
            if (rendered.usesModelContext && folder !== undefined)
                namedContexts[MODEL_CONTEXT] = folder.root;
            core/* info */.pq(`base image: ${baseImage}${options.baseImage !== undefined ? ' (input base-image)' : ' (preset)'}`);
            core/* info */.pq(`Dockerfile (rendered):\n${rendered.dockerfile}`);
        }
        const secrets = { ...options.buildSecrets };
        // A fixed SOURCE_DATE_EPOCH makes BuildKit clamp file times in the layers it writes: the same
        // weights then give the same layer digest from any builder, cold or warm, and the registry
        // already has the blob. The image's creation time reads 1970 unless build-args sets another.
        const buildArgs = { SOURCE_DATE_EPOCH: '0', ...options.buildArgs };
        if (options.model?.kind === 'huggingface') {
            if (options.hfToken !== undefined && options.hfToken !== '')
                secrets[HF_TOKEN_SECRET] ??= options.hfToken;
            if (options.hfEndpoint !== undefined)
                buildArgs[HF_ENDPOINT_ARG] ??= options.hfEndpoint;
        }
        const { builder, reason: builderReason } = await chooseBuilder(options.builder, options.buildkitHost);
        core/* info */.pq(`builder: ${builder} (${builderReason}); cache: ${describeCache(options.cache)}; tags: ${options.tags.join(', ')}`);
        const registry = (0,image_ref/* parseImageReference */.o_)(options.repository)?.registry ?? 'docker.io';
        const outcome = await runBuild({
            builder,
            ...(options.buildkitHost !== undefined ? { buildkitHost: options.buildkitHost } : {}),
            contextDir,
            dockerfile: dockerfilePath,
            namedContexts,
            tags: options.tags.map((tag) => `${options.repository}:${tag}`),
            platforms: options.platforms,
            buildArgs,
            labels: builderLabels,
            secrets,
            cache: options.cache,
            push: options.push ?? true,
            ...(options.noCache ? { noCache: true } : {}),
            ...(options.registryAuth !== undefined ? { registryAuth: { registry, ...options.registryAuth } } : {}),
            ...(options.log !== undefined ? { log: options.log } : {}),
        });
        const reference = `${options.repository}:${options.tags[0]}@${outcome.digest}`;
        core/* info */.pq(`pushed ${reference} in ${(outcome.durationMs / 1000).toFixed(1)} s`);
        return {
            reference,
            digest: outcome.digest,
            runtime,
            reason,
            ...(modelName !== undefined ? { modelName } : {}),
            ...(modelSha256 !== undefined ? { modelSha256 } : {}),
            dockerfile: dockerfileText,
            builder: outcome.builder,
            durationMs: outcome.durationMs,
        };
    }
    finally {
        await (0,promises_.rm)(scratch, { recursive: true, force: true });
    }
}
function chooseRuntime(options, paths) {
    if (options.runtime !== 'auto')
        return { runtime: options.runtime, reason: 'input runtime' };
    if (options.dockerfile !== undefined)
        return { runtime: 'dockerfile', reason: 'input dockerfile is set' };
    if (options.model === undefined) {
        throw new errors/* InputError */.dz([{ input: 'model', message: 'runtime auto needs a model (or input dockerfile)' }]);
    }
    const source = options.model.kind === 'path' ? { kind: 'path', path: options.model.label } : options.model;
    return detectRuntime(source, paths);
}
/** The model's served name: its own configuration's name where the runtime has one, else the folder's. */
async function servedModelName(options, folder, runtime) {
    if (options.model?.kind === 'huggingface')
        return options.model.repository.split('/')[1];
    if (folder === undefined)
        throw new errors/* InputError */.dz([{ input: 'model', message: `runtime ${runtime} needs a model` }]);
    const has = (path) => folder.files.some((f) => f.path === path);
    if (runtime === 'mlserver' && has('model-settings.json')) {
        const settings = JSON.parse(await (0,promises_.readFile)((0,external_node_path_.join)(folder.root, 'model-settings.json'), 'utf8'));
        if (typeof settings.name === 'string' && settings.name !== '')
            return settings.name;
    }
    if (runtime === 'triton' && has('config.pbtxt')) {
        const config = await (0,promises_.readFile)((0,external_node_path_.join)(folder.root, 'config.pbtxt'), 'utf8');
        const name = /^\s*name\s*:\s*"([^"]+)"/m.exec(config)?.[1];
        if (name !== undefined)
            return name;
    }
    const label = options.model?.kind === 'path' ? options.model.absolutePath : folder.root;
    return (0,external_node_path_.basename)(label)
        .replace(/\.[A-Za-z0-9]+$/, '')
        .replace(/[^A-Za-z0-9_.-]/g, '-');
}
function modelSourceText(model) {
    if (model.kind === 'path')
        return model.label;
    return `hf://${model.repository}${model.revision !== undefined ? `@${model.revision}` : ''}`;
}
function describeCache(cache) {
    switch (cache.mode) {
        case 'none':
            return 'none';
        case 'registry':
            return `registry (${cache.ref})`;
        case 'gha':
            return `GitHub Actions cache (scope ${cache.scope})`;
    }
}

;// CONCATENATED MODULE: ./src/stages/build.ts
/** Stage `build`: the model's serving image, built and pushed (src/image/model-image.ts) from the settings. */



/**
 * Stage `build` (canary and preview modes): builds and pushes the model's image; deploy runs this
 * exact digest, with the probe paths of the runtime auto-detection chose.
 */
async function buildStage({ plan, settings, }) {
    if (plan.image === undefined)
        throw new errors/* InputError */.dz([{ input: 'image', message: 'is required to build' }]);
    const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
    const model = settings.build.model === undefined
        ? undefined
        : settings.build.model.kind === 'path'
            ? {
                kind: 'path',
                absolutePath: (0,external_node_path_.resolve)(workspace, settings.build.model.path),
                label: settings.build.model.path,
            }
            : settings.build.model;
    const serverUrl = process.env['GITHUB_SERVER_URL'] || 'https://github.com';
    const image = await buildModelImage({
        ...(model !== undefined ? { model } : {}),
        runtime: settings.build.runtime,
        ...(settings.build.dockerfile !== undefined
            ? { dockerfile: (0,external_node_path_.resolve)(workspace, settings.build.dockerfile), dockerfileContext: workspace }
            : {}),
        ...(settings.build.baseImage !== undefined ? { baseImage: settings.build.baseImage } : {}),
        repository: plan.image.repository,
        tags: [plan.image.commitTag],
        builder: settings.build.builder,
        ...(settings.build.buildkitHost !== undefined ? { buildkitHost: settings.build.buildkitHost } : {}),
        cache: cacheSettings(settings, plan.image.cacheReference),
        platforms: settings.build.platforms,
        buildArgs: settings.build.buildArgs,
        buildSecrets: settings.build.buildSecrets,
        ...(settings.build.registryAuth !== undefined ? { registryAuth: settings.build.registryAuth } : {}),
        ...(settings.run.repository !== '' ? { sourceUrl: `${serverUrl}/${settings.run.repository}` } : {}),
        ...(settings.run.sha !== '' ? { revision: settings.run.sha } : {}),
        ...(process.env['HF_TOKEN'] ? { hfToken: process.env['HF_TOKEN'] } : {}),
        ...(process.env['HF_ENDPOINT'] ? { hfEndpoint: process.env['HF_ENDPOINT'] } : {}),
    });
    return {
        image: {
            reference: image.reference,
            digest: image.digest,
            runtime: image.runtime,
            ...(image.modelName !== undefined ? { modelName: image.modelName } : {}),
        },
    };
}
/** The cache settings for input `cache`; `gha` takes the runner's cache service from its environment. */
function cacheSettings(settings, cacheReference) {
    switch (settings.build.cache) {
        case 'none':
            return { mode: 'none' };
        case 'registry':
            if (cacheReference === undefined)
                throw new Error('cache registry needs the image repository');
            return { mode: 'registry', ref: cacheReference };
        case 'gha': {
            const env = process.env;
            return {
                mode: 'gha',
                scope: settings.run.repository === '' ? 'model-canary' : `model-canary-${settings.run.repository}`,
                ...(env['ACTIONS_CACHE_URL'] ? { url: env['ACTIONS_CACHE_URL'] } : {}),
                ...(env['ACTIONS_RESULTS_URL'] ? { urlV2: env['ACTIONS_RESULTS_URL'] } : {}),
                ...(env['ACTIONS_RUNTIME_TOKEN'] ? { token: env['ACTIONS_RUNTIME_TOKEN'] } : {}),
            };
        }
    }
}


/***/ })

};
