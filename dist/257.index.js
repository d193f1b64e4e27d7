export const id = 257;
export const ids = [257];
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

/***/ 88257:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   deployCanaryStage: () => (/* binding */ deployCanaryStage)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(83916);
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79786);
/** Stage `deploy-canary`: the canary at the first weight (or the first version) beside stable, serving. */



/** Pre-flight, then the canary (or a first version into an empty target); waits until it serves. */
async function deployCanaryStage(run) {
    if (run.image === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ClusterError */ .b$('image', 'no image to deploy: the build stage produced none');
    return { canary: await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__/* .deployCanary */ .SB)((0,_run_js__WEBPACK_IMPORTED_MODULE_2__/* .rolloutOf */ .Z)(run).ctx, run.image.reference) };
}


/***/ })

};
