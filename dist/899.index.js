export const id = 899;
export const ids = [899];
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

/***/ 32899:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   promoteStage: () => (/* binding */ promoteStage)
/* harmony export */ });
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79786);
/** Stage `promote` (mode promote): finishes a canary an earlier run left running. */


/** Stable takes the waiting canary's image; the canary goes. */
async function promoteStage(run) {
    const session = (0,_run_js__WEBPACK_IMPORTED_MODULE_1__/* .rolloutOf */ .Z)(run);
    const pinned = await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_0__/* .promoteCanary */ .zG)(session.ctx);
    session.settle();
    return { outcome: { decision: 'promoted', reason: 'promoted by mode promote', image: pinned } };
}


/***/ })

};
