export const id = 425;
export const ids = [425];
export const modules = {

/***/ 79786:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Z: () => (/* binding */ rolloutOf)
/* harmony export */ });
/** The rollout session main.ts opened for a stage that changes the cluster. */
function rolloutOf(run) {
    // main.ts opens the session before any stage plan.ts marks as changing the cluster.
    if (run.rollout === undefined)
        throw new Error('a stage that changes the cluster ran without a session');
    return run.rollout;
}


/***/ }),

/***/ 74425:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   revertStage: () => (/* binding */ revertStage)
/* harmony export */ });
/* harmony import */ var _kube_cluster_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(96771);
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79786);
/**
 * Stage `revert` (mode revert): removes a waiting canary (the same undo a failed run gets), or,
 * with none left, returns stable to the image before its last promotion.
 */



/** Undoes the waiting canary, or the last promotion. */
async function revertStage(run) {
    const session = (0,_run_js__WEBPACK_IMPORTED_MODULE_2__/* .rolloutOf */ .Z)(run);
    const { ctx } = session;
    const { plan } = run;
    const canary = await (0,_kube_cluster_js__WEBPACK_IMPORTED_MODULE_0__.unlessNotFound)(ctx.cluster.apps.readNamespacedDeployment({
        name: plan.objects.canaryDeployment,
        namespace: plan.namespace,
    }));
    if (canary !== undefined) {
        await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__/* .undoChanges */ .S6)(ctx, { ...session.pending(), changes: ['canary'] }, 'reverted by mode revert');
        session.settle();
        return { outcome: { decision: 'reverted', reason: 'canary removed by mode revert' } };
    }
    const image = await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__/* .revertPromotion */ .ec)(ctx);
    session.settle();
    return { outcome: { decision: 'reverted', reason: `stable returned to ${image}`, image } };
}


/***/ })

};
