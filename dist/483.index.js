export const id = 483;
export const ids = [483];
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


/***/ })

};
