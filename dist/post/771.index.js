export const id = 771;
export const ids = [771];
export const modules = {

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


/***/ })

};
