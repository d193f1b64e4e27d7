export const id = 357;
export const ids = [357];
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

/***/ 77357:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   deployPreviewStage: () => (/* binding */ deployPreviewStage)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(83916);
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79786);
/**
 * Stage `deploy-preview`: an isolated copy named for the pull request (`<name>-pr-<n>`, its own
 * Deployment and Services, no production traffic), updated in place on each push. The analysis
 * then compares it with production's stable arm.
 */



/** Deploys the preview and waits until it serves; a deployed preview stays until cleanup. */
async function deployPreviewStage(run) {
    if (run.image === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ClusterError */ .b$('image', 'no image to deploy: the build stage produced none');
    const session = (0,_run_js__WEBPACK_IMPORTED_MODULE_2__/* .rolloutOf */ .Z)(run);
    const canary = await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_1__/* .deployPreview */ ["in"])(session.ctx, run.image.reference);
    // Finished work, not a pending change: a later failure (analysis, report) leaves it up.
    session.settle();
    return { canary };
}


/***/ })

};
