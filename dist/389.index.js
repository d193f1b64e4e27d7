export const id = 389;
export const ids = [389,771,483];
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

/***/ 96771:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Cluster: () => (/* binding */ Cluster),
/* harmony export */   apiMessage: () => (/* binding */ apiMessage),
/* harmony export */   clusterOf: () => (/* binding */ clusterOf),
/* harmony export */   statusOf: () => (/* binding */ statusOf),
/* harmony export */   unlessNotFound: () => (/* binding */ unlessNotFound)
/* harmony export */ });
/* harmony import */ var _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(13857);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(83916);
/**
 * The connection to one cluster: a KubeConfig and the typed API clients made from it. Every HTTP
 * request any of them sends (watches and discovery included) passes the KubeConfig's
 * authentication hook, which is where requests are counted.
 */


const WATCH_IDLE_TIMEOUT_MS = 330_000;
class Cluster {
    config;
    core;
    apps;
    coordination;
    authorization;
    custom;
    objects;
    watcher;
    /** HTTP requests sent to the API server so far, watches and discovery included. */
    requests = 0;
    constructor(options) {
        const config = options.config ?? loadConfig(options);
        // A copy, so counting requests on it never changes a caller's config.
        this.config = new _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .KubeConfig */ .ypW();
        this.config.loadFromOptions({
            clusters: config.clusters,
            users: config.users,
            contexts: config.contexts,
            currentContext: options.config !== undefined && options.context !== undefined
                ? options.context
                : config.currentContext,
        });
        const authenticate = this.config.applySecurityAuthentication.bind(this.config);
        this.config.applySecurityAuthentication = async (context) => {
            this.requests += 1;
            return authenticate(context);
        };
        this.core = this.config.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .CoreV1Api */ .f5Y);
        this.apps = this.config.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .AppsV1Api */ .eY6);
        this.coordination = this.config.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .CoordinationV1Api */ .hSW);
        this.authorization = this.config.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .AuthorizationV1Api */ .NwU);
        this.custom = this.config.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .CustomObjectsApi */ .aVm);
        this.objects = _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .KubernetesObjectApi */ .e1Y.makeApiClient(this.config);
        this.watcher = new _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .Watch */ .ox1(this.config);
        // client-node drops a watch after 30 s without data and we would reconnect, so quiet waits
        // (a model loading) would cost a request every 30 s. The server ends each watch at its
        // timeoutSeconds (300, see rollout-watch.ts) anyway; allow a little more than that.
        this.watcher.requestTimeoutMs = WATCH_IDLE_TIMEOUT_MS;
    }
    /** The API server's address, for messages. */
    get server() {
        return this.config.getCurrentCluster()?.server ?? 'the cluster';
    }
}
function loadConfig(options) {
    const config = new _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .KubeConfig */ .ypW();
    try {
        if (options.kubeconfig !== undefined && options.kubeconfig.trim() !== '')
            config.loadFromString(options.kubeconfig);
        else
            config.loadFromDefault();
        if (options.context !== undefined)
            config.setCurrentContext(options.context);
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ClusterError */ .b$('kubeconfig', `could not be loaded: ${error.message}`);
    }
    if (config.getCurrentCluster() === null) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ClusterError */ .b$('kubeconfig', 'names no current cluster (set input context or the current-context)');
    }
    return config;
}
/** The HTTP status of an API error, or undefined for anything else. */
function statusOf(error) {
    return error instanceof _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .ApiException */ .UJ4 ? error.code : undefined;
}
/** The Status message the API server sent with an error, or the error's own message. */
function apiMessage(error) {
    if (error instanceof _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .ApiException */ .UJ4) {
        const body = typeof error.body === 'string' ? safeJson(error.body) : error.body;
        if (body !== null && typeof body === 'object' && 'message' in body)
            return String(body.message);
        return `HTTP ${error.code}`;
    }
    return error instanceof Error ? error.message : String(error);
}
function safeJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return { message: text };
    }
}
/** Runs an API call, returning undefined on 404. */
async function unlessNotFound(call) {
    try {
        return await call;
    }
    catch (error) {
        if (statusOf(error) === 404)
            return undefined;
        throw error;
    }
}
/** The cluster the action's inputs name: `kubeconfig` and `context`, else the default kubeconfig. */
function clusterOf(settings) {
    return new Cluster({
        ...(settings.cluster.kubeconfig !== undefined ? { kubeconfig: settings.cluster.kubeconfig } : {}),
        ...(settings.cluster.context !== undefined ? { context: settings.cluster.context } : {}),
    });
}


/***/ }),

/***/ 4483:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   achievedShare: () => (/* binding */ achievedShare),
/* harmony export */   canaryReplicasFor: () => (/* binding */ canaryReplicasFor),
/* harmony export */   containerResources: () => (/* binding */ containerResources),
/* harmony export */   modelDescription: () => (/* binding */ modelDescription),
/* harmony export */   podTolerations: () => (/* binding */ podTolerations),
/* harmony export */   renderDeployment: () => (/* binding */ renderDeployment),
/* harmony export */   renderService: () => (/* binding */ renderService),
/* harmony export */   rollingUpdateFor: () => (/* binding */ rollingUpdateFor),
/* harmony export */   routeReferencesService: () => (/* binding */ routeReferencesService),
/* harmony export */   runIdentity: () => (/* binding */ runIdentity),
/* harmony export */   servingFor: () => (/* binding */ servingFor),
/* harmony export */   v2Serving: () => (/* binding */ v2Serving),
/* harmony export */   weightedRouteRules: () => (/* binding */ weightedRouteRules)
/* harmony export */ });
/* harmony import */ var _image_runtimes_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(37332);
/* harmony import */ var _labels_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(88550);


/** Open Inference Protocol (V2) defaults, as Triton, MLServer and KServe serve them. */
function v2Serving(modelName, startupBudgetSeconds = 600) {
    return {
        modelName,
        port: 8080,
        healthPath: '/v2/health/live',
        readyPath: `/v2/models/${modelName}/ready`,
        startupBudgetSeconds,
    };
}
/**
 * Port and probe paths of the model's runtime (its preset, for the model name the build found), or
 * the V2 defaults for a runtime without one (a user's Dockerfile).
 */
function servingFor(runtime, modelName) {
    if (!(runtime in _image_runtimes_js__WEBPACK_IMPORTED_MODULE_0__/* .RUNTIME_PRESETS */ .W))
        return v2Serving(modelName);
    const endpoints = (0,_image_runtimes_js__WEBPACK_IMPORTED_MODULE_0__/* .servingEndpoints */ .$)(runtime, modelName);
    return {
        modelName,
        port: endpoints.port,
        healthPath: endpoints.livenessPath,
        readyPath: endpoints.readinessPath,
        startupBudgetSeconds: 600,
    };
}
const PROBE_PERIOD_SECONDS = 2;
const STARTUP_PROBE_PERIOD_SECONDS = 5;
/** Workflow run identity, also the Lease holder: `owner/repo/runId/attempt`. */
function runIdentity(run) {
    return `${run.repository || 'local'}/${run.runId}/${run.runAttempt}`;
}
/** Human-readable model source for annotations (never a token: hf:// URLs carry none). */
function modelDescription(settings) {
    const model = settings.build.model;
    if (model === undefined)
        return '';
    if (model.kind === 'path')
        return model.path;
    return `hf://${model.repository}${model.revision !== undefined ? `@${model.revision}` : ''}`;
}
function deploymentName(plan, track) {
    return track === 'stable' ? plan.objects.stableDeployment : plan.objects.canaryDeployment;
}
/** Resource requests/limits: the `resources` input plus `gpus` × `gpu-resource` in limits. */
function containerResources(settings) {
    const limits = { ...settings.workload.resources.limits };
    if (settings.workload.gpus > 0)
        limits[settings.workload.gpuResource] = String(settings.workload.gpus);
    const requests = { ...settings.workload.resources.requests };
    // Extended resources cannot be overcommitted: a request, when given, must equal the limit.
    if (settings.workload.gpus > 0 && settings.workload.gpuResource in requests)
        requests[settings.workload.gpuResource] = String(settings.workload.gpus);
    return {
        ...(Object.keys(requests).length > 0 ? { requests } : {}),
        ...(Object.keys(limits).length > 0 ? { limits } : {}),
    };
}
/** The GPU taint toleration (any value, any effect) followed by the user's own tolerations. */
function podTolerations(settings) {
    const gpu = settings.workload.gpus > 0 &&
        !settings.workload.tolerations.some((t) => t.key === _labels_js__WEBPACK_IMPORTED_MODULE_1__/* .GPU_TAINT_KEY */ ._R && t.operator === 'Exists')
        ? [{ key: _labels_js__WEBPACK_IMPORTED_MODULE_1__/* .GPU_TAINT_KEY */ ._R, operator: 'Exists' }]
        : [];
    return [
        ...gpu,
        ...settings.workload.tolerations.map((t) => ({
            key: t.key,
            operator: t.operator,
            ...(t.value !== undefined ? { value: t.value } : {}),
            ...(t.effect !== undefined ? { effect: t.effect } : {}),
        })),
    ];
}
/** One arm's Deployment: GPU limits, tolerations, node pinning, /dev/shm, probes and our labels. */
function renderDeployment(plan, settings, serving, arm) {
    const labels = (0,_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .trackLabels */ .Hy)(plan.target, arm.track, plan.preview);
    const annotations = {
        [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.model]: modelDescription(settings),
        [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.commit]: settings.run.sha,
        [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.run]: runIdentity(settings.run),
        ...(arm.imageDigest !== undefined ? { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.imageDigest]: arm.imageDigest } : {}),
        ...(arm.previousImage !== undefined ? { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.previousImage]: arm.previousImage } : {}),
    };
    const nodeSelector = {
        ...settings.workload.nodeSelector,
        ...(arm.gpuProduct !== undefined && settings.workload.gpus > 0
            ? { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .GPU_PRODUCT_LABEL */ .mW]: arm.gpuProduct }
            : {}),
    };
    const tolerations = podTolerations(settings);
    const startupFailures = Math.max(1, Math.ceil(serving.startupBudgetSeconds / STARTUP_PROBE_PERIOD_SECONDS));
    return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: deploymentName(plan, arm.track), namespace: plan.namespace, labels, annotations },
        spec: {
            replicas: arm.replicas,
            selector: { matchLabels: labels },
            // Kubernetes' own verdict arrives after the startup budget plus a margin; ours comes sooner.
            progressDeadlineSeconds: serving.startupBudgetSeconds + 60,
            revisionHistoryLimit: 3,
            strategy: { type: 'RollingUpdate', rollingUpdate: rollingUpdateFor(settings, arm.replicas) },
            template: {
                metadata: { labels, annotations },
                spec: {
                    containers: [
                        {
                            name: 'model',
                            image: arm.image,
                            ports: [{ name: 'http', containerPort: serving.port, protocol: 'TCP' }],
                            resources: containerResources(settings),
                            startupProbe: {
                                httpGet: { path: serving.healthPath, port: 'http' },
                                periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
                                failureThreshold: startupFailures,
                                timeoutSeconds: 2,
                            },
                            readinessProbe: {
                                httpGet: { path: serving.readyPath, port: 'http' },
                                periodSeconds: PROBE_PERIOD_SECONDS,
                                failureThreshold: 2,
                                timeoutSeconds: 2,
                            },
                            volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }],
                        },
                    ],
                    // Frameworks use /dev/shm for inter-process tensors; the runtime's 64 MiB default is too small.
                    volumes: [
                        {
                            name: 'dshm',
                            emptyDir: {
                                medium: 'Memory',
                                ...(settings.workload.shmSize !== undefined ? { sizeLimit: settings.workload.shmSize } : {}),
                            },
                        },
                    ],
                    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
                    ...(tolerations.length > 0 ? { tolerations } : {}),
                    terminationGracePeriodSeconds: 30,
                },
            },
        },
    };
}
/**
 * GPU clusters rarely have a spare GPU for a surge pod, so with several GPU replicas one old pod
 * goes before its replacement starts (the canary keeps serving beside them during a promotion). A
 * single replica, or CPU pods, surge instead: a new pod is ready before the old one goes.
 */
function rollingUpdateFor(settings, replicas) {
    return settings.workload.gpus > 0 && replicas > 1
        ? { maxSurge: 0, maxUnavailable: 1 }
        : { maxSurge: 1, maxUnavailable: 0 };
}
/**
 * A Service. `user` is the user-facing one: with the `replicas` router it selects both arms, so
 * traffic splits by pod count; with `gateway-api` it selects stable only and the route splits.
 * The arm Services select one track each, so the analysis can measure each arm on its own.
 */
function renderService(plan, serving, role, router) {
    const name = role === 'user'
        ? plan.objects.service
        : role === 'stable'
            ? plan.objects.stableService
            : plan.objects.canaryService;
    const owner = (0,_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .ownerLabels */ .H0)(plan.target, plan.preview);
    const selector = role === 'user'
        ? router === 'replicas'
            ? { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.target]: plan.target }
            : { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.target]: plan.target, [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.track]: 'stable' }
        : { [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.target]: plan.target, [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.track]: role };
    if (plan.preview !== undefined)
        selector[_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.preview] = plan.preview;
    return {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
            name,
            namespace: plan.namespace,
            labels: role === 'user' ? owner : { ...owner, [_labels_js__WEBPACK_IMPORTED_MODULE_1__/* .LABELS */ .kg.track]: role },
        },
        spec: {
            type: 'ClusterIP',
            selector,
            ports: [{ name: 'http', port: serving.port, targetPort: 'http', protocol: 'TCP' }],
        },
    };
}
/** Canary replicas for a traffic share, as Azure/k8s-deploy's pod method: round(replicas × w), at least 1. */
function canaryReplicasFor(stableReplicas, weightPercent) {
    return Math.max(1, Math.round((stableReplicas * weightPercent) / 100));
}
/** The share of requests the canary really gets when the Service spreads evenly over pods. */
function achievedShare(stableReplicas, canaryReplicas) {
    return canaryReplicas / (stableReplicas + canaryReplicas);
}
function refersToService(ref, name) {
    return (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '' && ref.name === name;
}
/** True when any rule of the route sends traffic to the Service `name`. */
function routeReferencesService(rules, name) {
    return rules.some((rule) => (rule.backendRefs ?? []).some((ref) => refersToService(ref, name)));
}
/**
 * The route's rules with each reference to the user-facing Service (or to an arm Service from an
 * earlier step) replaced by the two arm Services weighted `100 − w : w`. Other backends stay.
 */
function weightedRouteRules(rules, plan, port, canaryWeightPercent) {
    const ours = [plan.objects.service, plan.objects.stableService, plan.objects.canaryService];
    return rules.map((rule) => {
        const refs = rule.backendRefs ?? [];
        if (!refs.some((ref) => ours.some((name) => refersToService(ref, name))))
            return rule;
        const others = refs.filter((ref) => !ours.some((name) => refersToService(ref, name)));
        const first = refs.find((ref) => ours.some((name) => refersToService(ref, name)));
        const portOf = first.port ?? port;
        return {
            ...rule,
            backendRefs: [
                ...others,
                { name: plan.objects.stableService, port: portOf, weight: 100 - canaryWeightPercent },
                { name: plan.objects.canaryService, port: portOf, weight: canaryWeightPercent },
            ],
        };
    });
}


/***/ }),

/***/ 54389:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  p3: () => (/* binding */ canaryStep),
  SB: () => (/* binding */ deployCanary),
  "in": () => (/* binding */ deployPreview),
  zG: () => (/* binding */ promoteCanary),
  eG: () => (/* binding */ recordChange),
  iS: () => (/* binding */ removeTarget),
  ec: () => (/* binding */ revertPromotion),
  $4: () => (/* binding */ setCanaryWeight),
  S6: () => (/* binding */ undoChanges)
});

// UNUSED EXPORTS: imageOf, pinnedFromImageId, preflight, removeCanary

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/registry/image-ref.ts
var image_ref = __webpack_require__(18230);
// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 876 modules
var dist = __webpack_require__(13857);
// EXTERNAL MODULE: ./src/kube/cluster.ts
var kube_cluster = __webpack_require__(96771);
// EXTERNAL MODULE: ./src/kube/labels.ts
var labels = __webpack_require__(88550);
;// CONCATENATED MODULE: ./src/kube/apply.ts
/**
 * Server-side apply and delete, with our field manager. A conflict on an object we created (our
 * managed-by label) means someone edited our fields by hand: we take them back. A conflict on an
 * object someone else created is theirs to resolve, so it stops the run with both names.
 */




/** `Kind namespace/name`, the way errors and the log name an object. */
function describeObject(object) {
    const namespace = object.metadata?.namespace;
    return `${object.kind ?? 'object'} ${namespace !== undefined ? `${namespace}/` : ''}${object.metadata?.name ?? '?'}`;
}
/** Field managers named in a server-side apply conflict message. */
function conflictingManagers(message) {
    return [...new Set([...message.matchAll(/conflicts? with "([^"]+)"/g)].map((match) => match[1]))];
}
/** Applies one object with server-side apply as `model-canary`; returns what the server stored. */
async function applyObject(cluster, object) {
    const apply = (force) => cluster.objects.patch(object, undefined, undefined, labels/* FIELD_MANAGER */.vy, force, dist/* PatchStrategy */.Qve.ServerSideApply);
    try {
        return await apply(false);
    }
    catch (error) {
        if ((0,kube_cluster.statusOf)(error) !== 409)
            throw asClusterError(object, 'apply', error);
        const existing = await (0,kube_cluster.unlessNotFound)(cluster.objects.read(headerOf(object)));
        const managers = conflictingManagers((0,kube_cluster.apiMessage)(error));
        if (existing?.metadata?.labels?.[labels/* LABELS */.kg.managedBy] !== labels/* MANAGED_BY_VALUE */.Q9) {
            throw new errors/* ClusterError */.b$(describeObject(object), `exists and is managed by ${managers.map((m) => `"${m}"`).join(', ') || 'another field manager'}, ` +
                `not by model-canary (${(0,kube_cluster.apiMessage)(error)}). Rename the target (input name) or remove that object.`);
        }
        try {
            return await apply(true);
        }
        catch (forced) {
            throw asClusterError(object, 'apply', forced);
        }
    }
}
/** Deletes one object; an object already gone counts as deleted. */
async function deleteObject(cluster, object) {
    try {
        await cluster.objects.delete(headerOf(object), undefined, undefined, undefined, undefined, 'Background');
        return true;
    }
    catch (error) {
        if ((0,kube_cluster.statusOf)(error) === 404)
            return false;
        throw asClusterError(object, 'delete', error);
    }
}
function headerOf(object) {
    return {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: {
            name: object.metadata?.name ?? '',
            ...(object.metadata?.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
        },
    };
}
function asClusterError(object, verb, error) {
    if (error instanceof errors/* ClusterError */.b$)
        return error;
    const status = (0,kube_cluster.statusOf)(error);
    const hint = status === 403 ? ' (RBAC: the kubeconfig user may not do this)' : '';
    return new errors/* ClusterError */.b$(describeObject(object), `${verb} failed: ${(0,kube_cluster.apiMessage)(error)}${hint}`);
}

// EXTERNAL MODULE: ./src/kube/manifests.ts
var manifests = __webpack_require__(4483);
// EXTERNAL MODULE: ./src/kube/quantities.ts
var quantities = __webpack_require__(54824);
;// CONCATENATED MODULE: ./src/kube/preflight.ts




/** Every verb a rollout uses in the target namespace. */
function rolloutAccessNeeds(router) {
    return [
        { group: 'apps', resource: 'deployments', verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
        { group: '', resource: 'services', verbs: ['get', 'list', 'create', 'patch', 'delete'] },
        { group: '', resource: 'pods', verbs: ['list', 'watch'] },
        { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update', 'delete'] },
        ...(router === 'gateway-api'
            ? [{ group: 'gateway.networking.k8s.io', resource: 'httproutes', verbs: ['get', 'list', 'patch'] }]
            : []),
    ];
}
/** The namespace exists, or is created; a ClusterError says which when neither works. */
async function ensureNamespace(cluster, namespace) {
    try {
        if (await (0,kube_cluster.unlessNotFound)(cluster.core.readNamespace({ name: namespace })))
            return 'existed';
    }
    catch (error) {
        // Reading namespaces is often forbidden to namespace-scoped users; access checks decide then.
        if ((0,kube_cluster.statusOf)(error) === 403)
            return 'existed';
        throw new errors/* ClusterError */.b$(`namespace/${namespace}`, `could not be read: ${(0,kube_cluster.apiMessage)(error)}`);
    }
    try {
        await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
        return 'created';
    }
    catch (error) {
        if ((0,kube_cluster.statusOf)(error) === 409)
            return 'existed';
        throw new errors/* ClusterError */.b$(`namespace/${namespace}`, `does not exist and could not be created: ${(0,kube_cluster.apiMessage)(error)}. Create it, or grant create on namespaces.`);
    }
}
/** Asks the API server (SelfSubjectAccessReview) for each verb; fails listing every denied one. */
async function checkAccess(cluster, namespace, needs) {
    const checks = needs.flatMap((need) => need.verbs.map((verb) => ({ ...need, verb })));
    const answers = await Promise.all(checks.map(async (check) => {
        const review = await cluster.authorization.createSelfSubjectAccessReview({
            body: {
                spec: {
                    resourceAttributes: { namespace, group: check.group, resource: check.resource, verb: check.verb },
                },
            },
        });
        return { check, allowed: review.status?.allowed === true };
    }));
    const denied = answers.filter((answer) => !answer.allowed).map(({ check }) => check);
    if (denied.length > 0) {
        const list = denied
            .map((d) => `${d.verb} ${d.group === '' ? '' : `${d.group}/`}${d.resource}`)
            .join(', ');
        throw new errors/* ClusterError */.b$(`namespace/${namespace}`, `the kubeconfig's user may not: ${list}. Grant these in a Role bound to it (examples/ has one).`);
    }
}
/** Units of a resource as the API server writes them (`4`, `2k`); none when absent or unreadable. */
function quantity(value) {
    return (value === undefined ? undefined : (0,quantities/* parseQuantity */.Lf)(value)) ?? 0;
}
/** Pure: free units of an extended resource on the nodes matching a selector. */
function gpuCapacity(nodes, pods, resource, nodeSelector) {
    const matching = nodes.filter((node) => quantity(node.status?.allocatable?.[resource]) > 0 &&
        node.spec?.unschedulable !== true &&
        Object.entries(nodeSelector).every(([key, value]) => node.metadata?.labels?.[key] === value));
    const names = new Set(matching.map((node) => node.metadata?.name ?? ''));
    const allocatable = matching.reduce((sum, node) => sum + quantity(node.status?.allocatable?.[resource]), 0);
    const requested = pods
        .filter((pod) => names.has(pod.spec?.nodeName ?? '') && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''))
        .flatMap((pod) => pod.spec?.containers ?? [])
        .reduce((sum, c) => sum + quantity(c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource]), 0);
    return { resource, allocatable, requested, free: allocatable - requested, nodes: [...names] };
}
/**
 * Enough free units of `resource` for `needed`, on nodes matching the selector (and stable's GPU
 * product when pinned). Listing nodes needs cluster-wide read access: without it the check is
 * skipped with a warning rather than failing a user whose Role is namespace-scoped.
 */
async function checkGpuCapacity(cluster, resource, needed, nodeSelector, warn) {
    if (needed <= 0)
        return undefined;
    let nodes;
    let pods;
    try {
        nodes = (await cluster.core.listNode()).items;
        pods = (await cluster.core.listPodForAllNamespaces({
            fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
        })).items;
    }
    catch (error) {
        if ((0,kube_cluster.statusOf)(error) === 403) {
            warn(`Cannot list nodes and pods cluster-wide, so free ${resource} was not checked before deploying.`);
            return undefined;
        }
        throw new errors/* ClusterError */.b$('nodes', `could not be listed: ${(0,kube_cluster.apiMessage)(error)}`);
    }
    const capacity = gpuCapacity(nodes, pods, resource, nodeSelector);
    if (capacity.free < needed) {
        const selector = Object.entries(nodeSelector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
        throw new errors/* ClusterError */.b$(resource, `${needed} needed but only ${Math.max(0, capacity.free)} free (${capacity.allocatable} allocatable, ` +
            `${capacity.requested} requested) on ${capacity.nodes.length} node(s)` +
            `${selector ? ` matching ${selector}` : ''}${capacity.nodes.length === 0 ? ` (no node offers ${resource})` : ''}`);
    }
    return capacity;
}
/** The `nvidia.com/gpu.product` label of the nodes stable's pods run on, when they share one. */
async function stableGpuProduct(cluster, namespace, podSelector) {
    const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: podSelector })).items;
    const nodeNames = [...new Set(pods.map((pod) => pod.spec?.nodeName).filter((n) => !!n))];
    const products = new Set();
    for (const nodeName of nodeNames) {
        const node = await (0,kube_cluster.unlessNotFound)(cluster.core.readNode({ name: nodeName })).catch(() => undefined);
        const product = node?.metadata?.labels?.[labels/* GPU_PRODUCT_LABEL */.mW];
        if (product !== undefined)
            products.add(product);
    }
    return products.size === 1 ? [...products][0] : undefined;
}

;// CONCATENATED MODULE: ./src/kube/rollout-watch.ts

/** Failure causes we stop on, as CanaryFailed.kind. */
const FAILURE_KINDS = (/* unused pure expression or super */ null && ([
    'CrashLoopBackOff',
    'ImagePullFailed',
    'FailedScheduling',
    'OOMKilled',
    'NeverReady',
    'ProgressDeadlineExceeded',
    'Timeout',
]));
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Pure: the certain failure a pod shows, if any (pods of an older revision are ignored by the caller). */
function podFailure(pod) {
    const name = pod.metadata?.name ?? '?';
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
        return new errors/* CanaryFailed */.ii('FailedScheduling', `pod ${name} cannot be scheduled: ${scheduled.message ?? ''}`.trim());
    }
    for (const status of [
        ...(pod.status?.initContainerStatuses ?? []),
        ...(pod.status?.containerStatuses ?? []),
    ]) {
        const terminated = status.state?.terminated ?? status.lastState?.terminated;
        if (terminated?.reason === 'OOMKilled') {
            return new errors/* CanaryFailed */.ii('OOMKilled', `container ${status.name} of pod ${name} was killed for exceeding its memory limit (OOMKilled)`);
        }
        const waiting = status.state?.waiting;
        if (waiting?.reason !== undefined && PULL_FAILURES.has(waiting.reason)) {
            return new errors/* CanaryFailed */.ii('ImagePullFailed', `pod ${name} cannot pull image ${status.image}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
        }
        if (waiting?.reason === 'CrashLoopBackOff') {
            const last = status.lastState?.terminated;
            const exit = last ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : '';
            return new errors/* CanaryFailed */.ii('CrashLoopBackOff', `container ${status.name} of pod ${name} keeps crashing${exit}, restarted ${status.restartCount} time(s)`);
        }
    }
    return undefined;
}
/** Pure: the rollout of this Deployment revision is complete and every replica is available. */
function rolloutComplete(deployment) {
    const spec = deployment.spec;
    const status = deployment.status;
    if (spec === undefined || status === undefined)
        return false;
    const wanted = spec.replicas ?? 1;
    return ((status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
        (status.updatedReplicas ?? 0) === wanted &&
        (status.availableReplicas ?? 0) === wanted &&
        (status.replicas ?? 0) === wanted &&
        (status.unavailableReplicas ?? 0) === 0);
}
/** Pure: Kubernetes' own verdict that the rollout stalled. */
function progressDeadlineExceeded(deployment) {
    return (deployment.status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded') ?? false);
}
/** Watches until the Deployment is fully available; throws CanaryFailed with the cause otherwise. */
async function waitForRollout(cluster, target) {
    const log = target.log ?? (() => undefined);
    const grace = target.readinessGraceSeconds ?? 4;
    const timeoutMs = (target.timeoutSeconds ?? target.startupBudgetSeconds + 120) * 1000;
    const pods = new Map();
    /** First time each pod's container was seen running (ms), for the never-ready deadline. */
    const firstStart = new Map();
    /** When each pod was first seen unschedulable (ms). */
    const unschedulableSince = new Map();
    const unschedulableGraceMs = (target.unschedulableGraceSeconds ?? 5) * 1000;
    let deployment;
    const aborts = [];
    let stopped = false;
    return new Promise((resolve, reject) => {
        const finish = (outcome) => {
            if (stopped)
                return;
            stopped = true;
            clearInterval(ticker);
            clearTimeout(deadline);
            for (const abort of aborts)
                abort.abort();
            if (outcome.error !== undefined)
                reject(outcome.error);
            else
                resolve(outcome.result);
        };
        const newRevisionPods = () => [...pods.values()].filter((pod) => pod.metadata?.deletionTimestamp === undefined && pod.spec?.containers[0]?.image === target.image);
        const evaluate = () => {
            if (stopped)
                return;
            const releasing = [...pods.values()].some((pod) => pod.metadata?.deletionTimestamp !== undefined);
            for (const pod of newRevisionPods()) {
                const failure = podFailure(pod);
                const name = pod.metadata?.name ?? '';
                if (failure?.kind !== 'FailedScheduling')
                    unschedulableSince.delete(name);
                if (failure === undefined)
                    continue;
                if (failure.kind === 'FailedScheduling') {
                    const since = unschedulableSince.get(name) ?? Date.now();
                    unschedulableSince.set(name, since);
                    if (releasing || Date.now() - since < unschedulableGraceMs)
                        continue;
                }
                return finish({ error: failure });
            }
            if (deployment !== undefined && progressDeadlineExceeded(deployment)) {
                return finish({
                    error: new errors/* CanaryFailed */.ii('ProgressDeadlineExceeded', `Deployment ${target.namespace}/${target.deployment} made no progress within its deadline`),
                });
            }
            if (deployment !== undefined && rolloutComplete(deployment)) {
                const available = deployment.status?.conditions?.find((c) => c.type === 'Available');
                const conditionAt = available?.lastTransitionTime
                    ? new Date(available.lastTransitionTime).getTime()
                    : undefined;
                const imageIds = [
                    ...new Set(newRevisionPods()
                        .flatMap((pod) => pod.status?.containerStatuses ?? [])
                        .map((status) => status.imageID)
                        .filter((id) => id !== undefined && id !== '')),
                ];
                return finish({
                    result: {
                        availableAt: Date.now(),
                        ...(conditionAt !== undefined ? { conditionAt } : {}),
                        imageIds,
                    },
                });
            }
        };
        const checkReadinessDeadlines = () => {
            const now = Date.now();
            for (const pod of newRevisionPods()) {
                const name = pod.metadata?.name ?? '?';
                for (const status of pod.status?.containerStatuses ?? []) {
                    const running = status.state?.running?.startedAt;
                    if (running !== undefined && !firstStart.has(name))
                        firstStart.set(name, new Date(running).getTime());
                    const started = firstStart.get(name);
                    if (started === undefined || status.ready)
                        continue;
                    const limit = started + (target.startupBudgetSeconds + grace) * 1000;
                    if (now >= limit) {
                        return finish({
                            error: new errors/* CanaryFailed */.ii('NeverReady', `container ${status.name} of pod ${name} did not become ready within its startup budget of ` +
                                `${target.startupBudgetSeconds}s (+${grace}s grace)`),
                        });
                    }
                }
            }
        };
        // A local clock, not an API request: readiness deadlines need time to pass, not new events.
        const ticker = setInterval(() => {
            checkReadinessDeadlines();
            evaluate();
        }, 500);
        const deadline = setTimeout(() => finish({
            error: new errors/* CanaryFailed */.ii('Timeout', `Deployment ${target.namespace}/${target.deployment} was not available after ${timeoutMs / 1000}s`),
        }), timeoutMs);
        const basePath = `/apis/apps/v1/namespaces/${target.namespace}/deployments`;
        watchForever(cluster, basePath, { fieldSelector: `metadata.name=${target.deployment}` }, aborts, () => stopped, {
            onEvent: (type, object) => {
                deployment = type === 'DELETED' ? undefined : object;
                evaluate();
            },
            onError: (error) => finish({ error }),
        });
        watchForever(cluster, `/api/v1/namespaces/${target.namespace}/pods`, { labelSelector: target.podSelector }, aborts, () => stopped, {
            onEvent: (type, object) => {
                const name = object.metadata?.name ?? '';
                if (type === 'DELETED')
                    pods.delete(name);
                else
                    pods.set(name, object);
                checkReadinessDeadlines();
                evaluate();
            },
            onError: (error) => finish({ error }),
        });
        log(`watching Deployment ${target.namespace}/${target.deployment} and its pods`);
    });
}
/**
 * One watch that reconnects where it left off when the server or the client's idle timer closes
 * it; starts over (synthetic ADDED events) when the resource version has expired.
 */
function watchForever(cluster, path, query, aborts, isStopped, handlers) {
    // "0": start from the API server's watch cache, which needs no etcd progress notifications.
    let resourceVersion = '0';
    let failures = 0;
    let lastError = '';
    const retry = () => {
        failures += 1;
        if (failures > 5) {
            handlers.onError(new Error(`watching ${path} failed ${failures} times in a row: ${lastError}`));
            return;
        }
        setTimeout(connect, 250 * 2 ** failures);
    };
    const connect = () => {
        if (isStopped())
            return;
        let failed = false;
        void cluster.watcher
            .watch(path, { ...query, timeoutSeconds: 300, resourceVersion }, (type, object) => {
            if (type === 'ERROR') {
                // 410 Gone: our resource version left the window; start over from the cache.
                if (object.code === 410)
                    resourceVersion = '0';
                else
                    failed = true;
                lastError = object.message ?? `status ${object.code}`;
                return;
            }
            if (object.metadata?.resourceVersion)
                resourceVersion = object.metadata.resourceVersion;
            failures = 0;
            if (type !== 'BOOKMARK')
                handlers.onEvent(type, object);
        }, (error) => {
            if (isStopped())
                return;
            if (error !== null && error !== undefined && !isTimeout(error)) {
                lastError = error.message ?? String(error);
                if (error.statusCode === 403) {
                    handlers.onError(new Error(`watching ${path} is forbidden: ${lastError}`));
                    return;
                }
                failed = true;
            }
            if (failed)
                retry();
            else
                connect();
        })
            .then((abort) => {
            if (isStopped())
                abort.abort();
            else
                aborts.push(abort);
        })
            .catch((error) => handlers.onError(error));
    };
    connect();
}
function isTimeout(error) {
    return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

;// CONCATENATED MODULE: ./src/kube/traffic.ts
/**
 * Traffic routers. `replicas`: canary pods sit behind the user-facing Service beside stable's, so
 * the share is the replica ratio. `gateway-api`: the user's HTTPRoute that sends traffic to the
 * Service gets weighted backendRefs to the two arm Services; its original backends are kept in our
 * annotation on the route and put back afterwards. `auto` picks Gateway API when such a route exists.
 */





const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_VERSION = 'v1';
async function listRoutes(ctx) {
    try {
        const list = (await ctx.cluster.custom.listNamespacedCustomObject({
            group: GATEWAY_GROUP,
            version: GATEWAY_VERSION,
            namespace: ctx.plan.namespace,
            plural: 'httproutes',
        }));
        return list.items;
    }
    catch (error) {
        // 404: the Gateway API is not installed in this cluster.
        if ((0,kube_cluster.statusOf)(error) === 404)
            return undefined;
        throw new errors/* ClusterError */.b$(`httproutes in ${ctx.plan.namespace}`, `could not be listed: ${(0,kube_cluster.apiMessage)(error)}`);
    }
}
/** Picks the router: the input, or for `auto` Gateway API when an HTTPRoute sends traffic to our Service. */
async function resolveRouter(ctx) {
    const asked = ctx.plan.traffic.router;
    if (asked === 'replicas')
        return { kind: 'replicas' };
    const service = ctx.plan.objects.service;
    const ours = [service, ctx.plan.objects.stableService, ctx.plan.objects.canaryService];
    const routes = await listRoutes(ctx);
    const route = routes?.find((r) => ours.some((name) => (0,manifests.routeReferencesService)(r.spec?.rules ?? [], name)));
    if (route !== undefined)
        return { kind: 'gateway-api', route: route.metadata.name };
    if (asked === 'gateway-api') {
        throw new errors/* ClusterError */.b$(`namespace/${ctx.plan.namespace}`, routes === undefined
            ? 'traffic gateway-api needs the Gateway API (HTTPRoute) installed in the cluster'
            : `traffic gateway-api needs an HTTPRoute whose backendRefs name Service ${service}; none does`);
    }
    return { kind: 'replicas' };
}
async function readRoute(ctx, name) {
    const route = (await (0,kube_cluster.unlessNotFound)(ctx.cluster.custom.getNamespacedCustomObject({
        group: GATEWAY_GROUP,
        version: GATEWAY_VERSION,
        namespace: ctx.plan.namespace,
        plural: 'httproutes',
        name,
    })));
    if (route === undefined)
        throw new errors/* ClusterError */.b$(`HTTPRoute ${ctx.plan.namespace}/${name}`, 'disappeared during the rollout');
    return route;
}
async function patchRoute(ctx, route, patch) {
    try {
        await ctx.cluster.objects.patch({
            apiVersion: `${GATEWAY_GROUP}/${GATEWAY_VERSION}`,
            kind: 'HTTPRoute',
            ...patch,
            metadata: {
                name: route.metadata.name,
                namespace: ctx.plan.namespace,
                // Optimistic concurrency: fail rather than overwrite someone's concurrent edit.
                resourceVersion: route.metadata.resourceVersion,
                ...(patch['metadata'] ?? {}),
            },
        }, undefined, undefined, labels/* FIELD_MANAGER */.vy, undefined, dist/* PatchStrategy */.Qve.MergePatch);
    }
    catch (error) {
        throw new errors/* ClusterError */.b$(`HTTPRoute ${ctx.plan.namespace}/${route.metadata?.name}`, `could not be updated: ${(0,kube_cluster.apiMessage)(error)}`);
    }
}
/** Sets the route's weights to `100 − w : w` (stable : canary), remembering its original backends once. */
async function routeCanaryWeight(ctx, name, weight) {
    const route = await readRoute(ctx, name);
    const rules = route.spec?.rules ?? [];
    const saved = route.metadata?.annotations?.[labels/* ANNOTATIONS */.BC.originalBackends];
    await patchRoute(ctx, route, {
        metadata: saved === undefined ? { annotations: { [labels/* ANNOTATIONS */.BC.originalBackends]: JSON.stringify(rules) } } : {},
        spec: { rules: (0,manifests.weightedRouteRules)(rules, ctx.plan, ctx.serving.port, weight) },
    });
}
/** Puts the route's original backends back (all traffic to the user-facing Service) and drops our annotation. */
async function restoreRoute(ctx, name) {
    const route = await readRoute(ctx, name);
    const saved = route.metadata?.annotations?.[labels/* ANNOTATIONS */.BC.originalBackends];
    if (saved === undefined)
        return;
    await patchRoute(ctx, route, {
        metadata: { annotations: { [labels/* ANNOTATIONS */.BC.originalBackends]: null } },
        spec: { rules: JSON.parse(saved) },
    });
}

;// CONCATENATED MODULE: ./src/kube/rollout.ts









/** The record after one more change (pure; the record of a change marked `none` is unchanged). */
function recordChange(record, change) {
    if (change.pending === 'none')
        return record;
    return {
        ...record,
        changes: record.changes.includes(change.pending) ? record.changes : [...record.changes, change.pending],
        ...(change.router !== undefined ? { router: routerText(change.router) } : {}),
        ...(change.restore !== undefined ? { stableImage: change.restore } : {}),
    };
}
function routerText(router) {
    return router.kind === 'gateway-api' ? `gateway-api:${router.route}` : 'replicas';
}
function routerFrom(text) {
    if (text === undefined)
        return undefined;
    if (text.startsWith('gateway-api:'))
        return { kind: 'gateway-api', route: text.slice('gateway-api:'.length) };
    return { kind: 'replicas' };
}
function note(ctx, action, pending, extra = {}) {
    ctx.onChange?.({ action, pending, ...extra, at: Date.now() });
}
async function readDeployment(cluster, namespace, name) {
    try {
        return await (0,kube_cluster.unlessNotFound)(cluster.apps.readNamespacedDeployment({ name, namespace }));
    }
    catch (error) {
        throw new errors/* ClusterError */.b$(`Deployment ${namespace}/${name}`, `could not be read: ${(0,kube_cluster.apiMessage)(error)}`);
    }
}
/** The image of a Deployment's (first) container. */
function imageOf(deployment) {
    return deployment?.spec?.template.spec?.containers[0]?.image;
}
/** `repository@sha256:…` from a pod's imageID (containerd reports `repository@sha256:…`, some runtimes a bare digest). */
function pinnedFromImageId(image, imageIds) {
    const digest = imageIds
        .map((id) => (0,image_ref/* digestOf */.ol)(id) ?? ((0,image_ref/* isDigest */.Bc)(id) ? id : undefined))
        .find((d) => d !== undefined);
    return digest === undefined ? image : (0,image_ref/* pinnedReference */.ct)((0,image_ref/* repositoryOfReference */.XL)(image), digest);
}
/** Pre-flight: namespace, RBAC, and free GPUs for `extraReplicas` more pods. */
async function preflight(ctx, router, extraReplicas, gpuProduct) {
    const { cluster, plan, settings } = ctx;
    const namespace = await ensureNamespace(cluster, plan.namespace);
    if (namespace === 'created')
        ctx.log(`namespace ${plan.namespace} created`);
    await checkAccess(cluster, plan.namespace, rolloutAccessNeeds(router));
    const selector = {
        ...settings.workload.nodeSelector,
        ...(gpuProduct !== undefined ? { [labels/* GPU_PRODUCT_LABEL */.mW]: gpuProduct } : {}),
    };
    const capacity = await checkGpuCapacity(cluster, settings.workload.gpuResource, extraReplicas * settings.workload.gpus, selector, ctx.warn);
    if (capacity !== undefined) {
        ctx.log(`${capacity.free} ${capacity.resource} free of ${capacity.allocatable}; ${extraReplicas * settings.workload.gpus} needed`);
    }
}
/** Deploys the canary at the first weight (or, into an empty target, the first version as stable) and waits until it serves. */
/** Deploys the canary at the first weight (or, into an empty target, the first version as stable) and waits until it serves. */
async function deployCanary(ctx, image) {
    const { cluster, plan, settings, serving } = ctx;
    // Only a 404 means a first deploy; any other error stops the run before a change.
    const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    const router = await resolveRouter(ctx);
    if (stable === undefined)
        return deployFirstVersion(ctx, image, router);
    const stableImage = imageOf(stable);
    const gpuProduct = settings.workload.gpus > 0
        ? await stableGpuProduct(cluster, plan.namespace, (0,labels/* trackSelector */.h2)(plan.target, 'stable', plan.preview))
        : undefined;
    const weight = plan.traffic.steps[0] ?? 10;
    const canaryReplicas = (0,manifests.canaryReplicasFor)(settings.workload.replicas, weight);
    if (ctx.preflight !== false)
        await preflight(ctx, router.kind, canaryReplicas, gpuProduct);
    if (gpuProduct !== undefined)
        ctx.log(`canary pinned to ${gpuProduct}, the GPU stable runs on`);
    note(ctx, `apply Service ${plan.namespace}/${plan.objects.canaryService}`, 'canary', { router });
    for (const role of ['user', 'stable', 'canary']) {
        await applyObject(cluster, (0,manifests.renderService)(plan, serving, role, router.kind));
    }
    const deployment = (0,manifests.renderDeployment)(plan, settings, serving, {
        track: 'canary',
        image,
        replicas: canaryReplicas,
        ...(gpuProduct !== undefined ? { gpuProduct } : {}),
        ...(stableImage !== undefined ? { previousImage: stableImage } : {}),
    });
    note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`, 'canary');
    await applyObject(cluster, deployment);
    ctx.log(`canary ${plan.objects.canaryDeployment}: ${canaryReplicas} replica(s) of ${image}`);
    const available = await waitForTrack(ctx, 'canary', image);
    const pinnedImage = pinnedFromImageId(image, available.imageIds);
    ctx.log(`canary available, running ${pinnedImage}`);
    const state = {
        firstDeploy: false,
        router,
        ...(stableImage !== undefined ? { stableImage } : {}),
        image,
        pinnedImage,
        weightPercent: weight,
        achievedPercent: 0,
        canaryReplicas,
        ...(gpuProduct !== undefined ? { gpuProduct } : {}),
        available,
    };
    return setCanaryWeight(ctx, state, weight);
}
/**
 * The target's own Deployment (track stable) and Services, applied and waited for: the first
 * version into an empty target, or a preview (updated in place on each push). `previous` is the
 * image the Deployment ran before, which an undo returns to; without one an undo removes the target.
 */
async function deployFirstVersion(ctx, image, router, previous) {
    const { cluster, plan, settings, serving } = ctx;
    ctx.log(plan.preview !== undefined
        ? `preview ${plan.namespace}/${plan.objects.stableDeployment} runs ${image}`
        : `no stable Deployment ${plan.namespace}/${plan.objects.stableDeployment}: first deploy, the new version becomes stable after its checks`);
    if (ctx.preflight !== false)
        await preflight(ctx, router.kind, settings.workload.replicas);
    const pending = previous === undefined ? 'first' : 'promotion';
    const restore = previous === undefined ? {} : { restore: previous };
    note(ctx, `apply Service ${plan.namespace}/${plan.objects.service}`, pending, { router, ...restore });
    for (const role of ['user', 'stable']) {
        await applyObject(cluster, (0,manifests.renderService)(plan, serving, role, router.kind));
    }
    const available = await applyStable(ctx, image, { pending, ...restore });
    const pinnedImage = pinnedFromImageId(image, available.imageIds);
    ctx.log(`${plan.preview !== undefined ? 'preview' : 'first version'} available, running ${pinnedImage}`);
    return {
        firstDeploy: true,
        router,
        image,
        pinnedImage,
        weightPercent: 100,
        achievedPercent: 100,
        canaryReplicas: 0,
        available,
    };
}
/** A preview: the target's own Deployment (track stable) and Services, applied in place, waited for. */
async function deployPreview(ctx, image) {
    const { cluster, plan } = ctx;
    const existing = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    const state = await deployFirstVersion(ctx, image, { kind: 'replicas' }, imageOf(existing));
    return { ...state, firstDeploy: false, weightPercent: 0, achievedPercent: 0 };
}
/** Waits for the track's Deployment to run `image` and be available (rollout-watch.ts fails fast). */
function waitForTrack(ctx, track, image) {
    const { plan } = ctx;
    return waitForRollout(ctx.cluster, {
        namespace: plan.namespace,
        deployment: track === 'canary' ? plan.objects.canaryDeployment : plan.objects.stableDeployment,
        podSelector: (0,labels/* trackSelector */.h2)(plan.target, track, plan.preview),
        image,
        startupBudgetSeconds: ctx.serving.startupBudgetSeconds,
        log: ctx.log,
    });
}
/** Moves the canary to a traffic weight: replica count (replicas router) or route weights (Gateway API). */
async function setCanaryWeight(ctx, state, weight) {
    const { cluster, plan, settings, serving } = ctx;
    if (state.firstDeploy)
        return state;
    const canaryReplicas = (0,manifests.canaryReplicasFor)(settings.workload.replicas, weight);
    if (canaryReplicas !== state.canaryReplicas) {
        note(ctx, `scale Deployment ${plan.namespace}/${plan.objects.canaryDeployment} to ${canaryReplicas}`, 'canary');
        await applyObject(cluster, (0,manifests.renderDeployment)(plan, settings, serving, {
            track: 'canary',
            image: state.image,
            replicas: canaryReplicas,
            ...(state.stableImage !== undefined ? { previousImage: state.stableImage } : {}),
            ...(state.gpuProduct !== undefined ? { gpuProduct: state.gpuProduct } : {}),
        }));
        await waitForTrack(ctx, 'canary', state.image);
    }
    let achievedPercent;
    if (state.router.kind === 'gateway-api') {
        note(ctx, `route HTTPRoute ${plan.namespace}/${state.router.route} ${weight}% to canary`, 'canary', {
            router: state.router,
        });
        await routeCanaryWeight(ctx, state.router.route, weight);
        achievedPercent = weight;
        ctx.log(`HTTPRoute ${state.router.route}: ${100 - weight}% stable, ${weight}% canary`);
    }
    else {
        achievedPercent = Math.round((0,manifests.achievedShare)(settings.workload.replicas, canaryReplicas) * 1000) / 10;
        ctx.log(`traffic by replicas: ${settings.workload.replicas} stable + ${canaryReplicas} canary pod(s) behind Service ` +
            `${plan.objects.service}, so the canary gets about ${achievedPercent}% of requests` +
            (Math.abs(achievedPercent - weight) >= 1
                ? ` (asked ${weight}%: replica counts allow no finer split)`
                : ''));
    }
    return { ...state, weightPercent: weight, achievedPercent, canaryReplicas };
}
/** The arm Services and weight the analysis of step `index` measures. */
function canaryStep(ctx, state, index) {
    const { plan } = ctx;
    return {
        namespace: plan.namespace,
        stableService: plan.objects.stableService,
        canaryService: state.firstDeploy ? plan.objects.stableService : plan.objects.canaryService,
        firstDeploy: state.firstDeploy,
        weightPercent: state.weightPercent,
        achievedPercent: state.achievedPercent,
        index,
        total: state.firstDeploy ? 1 : plan.traffic.steps.length,
    };
}
/**
 * Promotes: stable takes the canary's exact image digest, traffic returns to stable, canary objects
 * go. If stable does not become available on it, the error is thrown with the promotion recorded,
 * so the undo returns stable to its previous image.
 */
async function promoteCanary(ctx, state) {
    const { cluster, plan } = ctx;
    if (state?.firstDeploy === true) {
        ctx.log(`first version ${state.pinnedImage} is now stable`);
        return state.pinnedImage;
    }
    const canary = await readDeployment(cluster, plan.namespace, plan.objects.canaryDeployment);
    const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    if (canary === undefined)
        throw new errors/* ClusterError */.b$(`Deployment ${plan.namespace}/${plan.objects.canaryDeployment}`, 'there is no canary to promote');
    const canaryImage = imageOf(canary);
    const pinned = state?.pinnedImage ?? (await pinnedImageOfPods(ctx, canaryImage));
    const previousImage = imageOf(stable);
    const digest = (0,image_ref/* digestOf */.ol)(pinned);
    await applyStable(ctx, pinned, { pending: 'promotion', ...(previousImage !== undefined ? { restore: previousImage } : {}) }, {
        ...(previousImage !== undefined ? { previousImage } : {}),
        ...(digest !== undefined ? { imageDigest: digest } : {}),
    });
    const router = state?.router ?? (await resolveRouter(ctx));
    await removeCanary(ctx, router);
    ctx.log(`promoted: stable ${plan.objects.stableDeployment} runs ${pinned}`);
    return pinned;
}
async function pinnedImageOfPods(ctx, image) {
    const pods = await ctx.cluster.core.listNamespacedPod({
        namespace: ctx.plan.namespace,
        labelSelector: (0,labels/* trackSelector */.h2)(ctx.plan.target, 'canary', ctx.plan.preview),
    });
    const ids = pods.items.flatMap((pod) => pod.status?.containerStatuses ?? []).map((s) => s.imageID ?? '');
    return pinnedFromImageId(image, ids);
}
/** Puts stable back on `image` and waits until it serves it (an undo's step unless `change` says otherwise). */
async function restoreStable(ctx, image, change = { pending: 'none' }) {
    const { plan, cluster } = ctx;
    const current = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    const previous = current?.metadata?.annotations?.[labels/* ANNOTATIONS */.BC.previousImage];
    await applyStable(ctx, image, change, previous !== undefined && previous !== image ? { previousImage: imageOf(current) } : {});
}
/**
 * Applies stable's Deployment on `image` (announced first as `change`) and waits until it serves it.
 * Every change of stable's image — first version, preview, promotion, restore — goes through here.
 */
async function applyStable(ctx, image, change, arm = {}) {
    const { cluster, plan, settings, serving } = ctx;
    note(ctx, `apply Deployment ${plan.namespace}/${plan.objects.stableDeployment} image ${image}`, change.pending, change.restore !== undefined ? { restore: change.restore } : {});
    await applyObject(cluster, (0,manifests.renderDeployment)(plan, settings, serving, {
        track: 'stable',
        image,
        replicas: settings.workload.replicas,
        ...arm,
    }));
    return waitForTrack(ctx, 'stable', image);
}
/** Restores traffic to stable and deletes every canary object of the target (found by label). */
async function removeCanary(ctx, router) {
    const { plan } = ctx;
    if (router?.kind === 'gateway-api') {
        note(ctx, `restore HTTPRoute ${plan.namespace}/${router.route}`, 'none');
        await restoreRoute(ctx, router.route);
    }
    await deleteLabelled(ctx, (0,labels/* trackSelector */.h2)(plan.target, 'canary', plan.preview));
}
/** Deletes every object of the target (a first version or a preview), found by its labels. */
async function removeTarget(ctx) {
    const { plan } = ctx;
    await deleteLabelled(ctx, `${labels/* LABELS */.kg.target}=${plan.target}${plan.preview !== undefined ? `,${labels/* LABELS */.kg.preview}=${plan.preview}` : ''}`);
}
async function deleteLabelled(ctx, selector) {
    const { cluster, plan } = ctx;
    const deployments = (await cluster.apps.listNamespacedDeployment({ namespace: plan.namespace, labelSelector: selector })).items;
    const services = (await cluster.core.listNamespacedService({ namespace: plan.namespace, labelSelector: selector })).items;
    for (const object of [
        ...deployments.map((d) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata })),
        ...services.map((s) => ({ apiVersion: 'v1', kind: 'Service', metadata: s.metadata })),
    ]) {
        note(ctx, `delete ${object.kind} ${plan.namespace}/${object.metadata.name}`, 'none');
        await deleteObject(cluster, object);
    }
}
/**
 * The one undo: puts the target back as it was before the recorded changes — a first version (or a
 * new preview) removed; stable returned to its previous image if a promotion was under way; traffic
 * back on stable and every canary object deleted. Idempotent, so a retry or a later run converges.
 */
async function undoChanges(ctx, record, cause) {
    const { cluster, plan } = ctx;
    ctx.log(`reverting: ${cause}`);
    if (record.changes.includes('first')) {
        await removeTarget(ctx);
        ctx.log('reverted: nothing of this target remains');
        return;
    }
    if (record.changes.includes('promotion') && record.stableImage !== undefined) {
        ctx.log(`the promotion was cut short; stable returns to ${record.stableImage}`);
        await restoreStable(ctx, record.stableImage);
    }
    const router = routerFrom(record.router) ?? (await resolveRouter(ctx).catch(() => undefined));
    await removeCanary(ctx, router);
    const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    ctx.log(stable
        ? `reverted: stable ${plan.objects.stableDeployment} keeps ${imageOf(stable)}`
        : 'reverted: nothing of this target remains');
}
/** `revert` mode with no canary left: stable returns to the image recorded before the last promotion. */
async function revertPromotion(ctx) {
    const { cluster, plan } = ctx;
    const stable = await readDeployment(cluster, plan.namespace, plan.objects.stableDeployment);
    const previous = stable?.metadata?.annotations?.[labels/* ANNOTATIONS */.BC.previousImage];
    if (stable === undefined || previous === undefined) {
        throw new errors/* ClusterError */.b$(`Deployment ${plan.namespace}/${plan.objects.stableDeployment}`, stable === undefined
            ? 'does not exist: nothing to revert'
            : `has no ${labels/* ANNOTATIONS */.BC.previousImage} annotation: no earlier version to return to`);
    }
    // Recorded as a promotion of its own: cut short, the undo returns stable to the image it had.
    await restoreStable(ctx, previous, { pending: 'promotion', restore: imageOf(stable) });
    ctx.log(`reverted the last promotion: stable runs ${previous} again`);
    return previous;
}


/***/ })

};
