export const id = 148;
export const ids = [148];
export const modules = {

/***/ 63148:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  openRolloutSession: () => (/* binding */ openRolloutSession)
});

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 876 modules
var dist = __webpack_require__(13857);
// EXTERNAL MODULE: ./src/kube/cluster.ts
var kube_cluster = __webpack_require__(96771);
// EXTERNAL MODULE: ./src/kube/labels.ts
var labels = __webpack_require__(88550);
;// CONCATENATED MODULE: ./src/kube/lease.ts
/**
 * A coordination.k8s.io Lease per target, so two workflow runs never change one target at the
 * same time. The holder is the workflow run (`repository/runId/attempt`); the lease is renewed
 * while we work, a second run waits up to a bound and then fails naming the holder, and a lease
 * whose holder stopped renewing (past its duration) is taken over. A later attempt of the same
 * run takes over at once: GitHub never runs two attempts of one run together.
 */




const DEFAULT_DURATION_SECONDS = 30;
const DEFAULT_WAIT_SECONDS = 600;
const RETRY_MS = 1000;
/** Pure: the lease is free for `holder` at time `now` (no holder, ours, expired, or an earlier attempt of our run). */
function leaseAvailable(lease, holder, now) {
    const current = lease.spec?.holderIdentity ?? '';
    if (current === '' || current === holder)
        return true;
    if (sameRunEarlierAttempt(current, holder))
        return true;
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    const duration = lease.spec?.leaseDurationSeconds ?? DEFAULT_DURATION_SECONDS;
    return renewed === undefined || new Date(renewed).getTime() + duration * 1000 < now;
}
/** Pure: `a` is `repo/run/n`, `b` is `repo/run/m` with m > n. */
function sameRunEarlierAttempt(a, b) {
    const split = (id) => {
        const slash = id.lastIndexOf('/');
        return [id.slice(0, slash), Number(id.slice(slash + 1))];
    };
    const [runA, attemptA] = split(a);
    const [runB, attemptB] = split(b);
    return runA === runB && Number.isFinite(attemptA) && Number.isFinite(attemptB) && attemptA < attemptB;
}
/** Takes the target's Lease, waiting for another holder up to the bound; renews it until released. */
async function acquireLease(cluster, options) {
    const duration = options.durationSeconds ?? DEFAULT_DURATION_SECONDS;
    const waitUntil = Date.now() + (options.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
    const log = options.log ?? (() => undefined);
    const { namespace, name, holder } = options;
    const where = `Lease ${namespace}/${name}`;
    let announced = '';
    for (;;) {
        const existing = await (0,kube_cluster.unlessNotFound)(cluster.coordination.readNamespacedLease({ name, namespace }));
        const now = new dist/* V1MicroTime */.Nun();
        try {
            if (existing === undefined) {
                const created = await cluster.coordination.createNamespacedLease({
                    namespace,
                    body: {
                        metadata: {
                            name,
                            namespace,
                            labels: { ...options.labels, [labels/* LABELS */.kg.managedBy]: labels/* MANAGED_BY_VALUE */.Q9 },
                        },
                        spec: {
                            holderIdentity: holder,
                            leaseDurationSeconds: duration,
                            acquireTime: now,
                            renewTime: now,
                        },
                    },
                });
                return renew(cluster, created, duration, log);
            }
            if (leaseAvailable(existing, holder, now.getTime())) {
                const previous = existing.spec?.holderIdentity ?? '';
                const taken = await cluster.coordination.replaceNamespacedLease({
                    name,
                    namespace,
                    body: {
                        ...existing,
                        spec: {
                            ...existing.spec,
                            holderIdentity: holder,
                            leaseDurationSeconds: duration,
                            acquireTime: previous === holder ? (existing.spec?.acquireTime ?? now) : now,
                            renewTime: now,
                            leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + (previous === holder ? 0 : 1),
                        },
                    },
                });
                if (previous !== '' && previous !== holder)
                    log(`${where}: took over from ${previous} (expired or an earlier attempt)`);
                return renew(cluster, taken, duration, log);
            }
        }
        catch (error) {
            // 409: another run created or updated the lease between our read and write; read again.
            if ((0,kube_cluster.statusOf)(error) !== 409)
                throw new errors/* ClusterError */.b$(where, `could not be taken: ${(0,kube_cluster.apiMessage)(error)}`);
        }
        const other = existing?.spec?.holderIdentity ?? 'another run';
        if (Date.now() >= waitUntil) {
            throw new errors/* ClusterError */.b$(where, `is held by ${other}; waited ${options.waitSeconds ?? DEFAULT_WAIT_SECONDS}s for it. Another run is ` +
                'deploying this target; re-run when it has finished.');
        }
        if (announced !== other) {
            log(`${where} is held by ${other}; waiting for it (up to ${options.waitSeconds ?? DEFAULT_WAIT_SECONDS}s)`);
            announced = other;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
}
function renew(cluster, lease, duration, log) {
    let current = lease;
    let lostTo;
    const name = lease.metadata.name;
    const namespace = lease.metadata.namespace;
    const holder = lease.spec.holderIdentity;
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
        renewing = (async () => {
            try {
                current = await cluster.coordination.replaceNamespacedLease({
                    name,
                    namespace,
                    body: { ...current, spec: { ...current.spec, renewTime: new dist/* V1MicroTime */.Nun() } },
                });
            }
            catch (error) {
                const now = await (0,kube_cluster.unlessNotFound)(cluster.coordination.readNamespacedLease({ name, namespace })).catch(() => undefined);
                if (now?.spec?.holderIdentity !== holder) {
                    lostTo = now?.spec?.holderIdentity ?? 'nobody (deleted)';
                    log(`Lease ${namespace}/${name} was lost to ${lostTo}: ${(0,kube_cluster.apiMessage)(error)}`);
                    clearInterval(timer);
                }
                else if (now !== undefined)
                    current = now;
            }
        })();
    }, Math.max(1000, (duration * 1000) / 3));
    timer.unref();
    return {
        holder,
        get lostTo() {
            return lostTo;
        },
        async release() {
            clearInterval(timer);
            await renewing;
            if (lostTo !== undefined)
                return;
            try {
                await cluster.coordination.deleteNamespacedLease({
                    name,
                    namespace,
                    body: { preconditions: { resourceVersion: current.metadata?.resourceVersion } },
                });
            }
            catch (error) {
                if ((0,kube_cluster.statusOf)(error) !== 404 && (0,kube_cluster.statusOf)(error) !== 409)
                    throw error;
            }
        },
    };
}

// EXTERNAL MODULE: ./src/kube/rollout.ts + 4 modules
var rollout = __webpack_require__(54389);
;// CONCATENATED MODULE: ./src/kube/session.ts
/**
 * A rollout session: the target's Lease held, a rollout context on one connection, and the record
 * of pending changes written ahead of each change (to `journal`, which keeps it where the post step
 * finds it). main.ts opens one before the first stage that changes the cluster, and undoes or
 * closes it at the end; the post step opens one on the record a killed run left.
 */



/** How long a run waits for another run's Lease on the same target before failing. */
const LEASE_WAIT_SECONDS = 600;
/** Takes the target's Lease (creating the namespace on a first deploy) and starts the record. */
async function openRolloutSession(options) {
    const { cluster, plan, holder, log } = options;
    const leaseOptions = {
        namespace: plan.namespace,
        name: plan.objects.lease,
        holder,
        labels: plan.labels,
        waitSeconds: options.waitSeconds ?? LEASE_WAIT_SECONDS,
        log,
    };
    const lease = await acquireLease(cluster, leaseOptions).catch(async (error) => {
        // The namespace may not exist yet on a first deploy: the Lease lives in it.
        if (!(error instanceof errors/* ClusterError */.b$) || !/not found/i.test(error.message))
            throw error;
        await cluster.core.createNamespace({ body: { metadata: { name: plan.namespace } } });
        log(`namespace ${plan.namespace} created`);
        return acquireLease(cluster, leaseOptions);
    });
    log(`Lease ${plan.namespace}/${plan.objects.lease} held by ${holder}`);
    const serving = options.pending?.serving ?? options.serving;
    const empty = {
        namespace: plan.namespace,
        target: plan.target,
        changes: [],
        holder,
        serving,
    };
    let record = options.pending ?? empty;
    const ctx = {
        cluster,
        plan,
        settings: options.settings,
        serving,
        log,
        warn: options.warn,
        onChange: (change) => {
            const next = (0,rollout/* recordChange */.eG)(record, change);
            if (next !== record)
                options.journal(next);
            record = next;
        },
    };
    const settle = () => {
        record = empty;
        options.journal(undefined);
    };
    return {
        ctx,
        lease,
        pending: () => record,
        settle,
        async undo(cause) {
            if (record.changes.length === 0)
                return false;
            await (0,rollout/* undoChanges */.S6)(ctx, record, cause);
            settle();
            return true;
        },
        async close() {
            await lease.release();
            log(`${cluster.requests} Kubernetes API requests in this run`);
        },
    };
}


/***/ })

};
