export const id = 106;
export const ids = [106];
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

/***/ 37106:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cleanupPreviewStage: () => (/* binding */ cleanupPreviewStage)
/* harmony export */ });
/* harmony import */ var _kube_rollout_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(54389);
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(79786);
/** Stage `cleanup-preview`: deletes everything the pull request's preview created, found by label. */


/** Removes the preview's objects; its Lease goes when main.ts closes the session. */
async function cleanupPreviewStage(run) {
    const { ctx } = (0,_run_js__WEBPACK_IMPORTED_MODULE_1__/* .rolloutOf */ .Z)(run);
    await (0,_kube_rollout_js__WEBPACK_IMPORTED_MODULE_0__/* .removeTarget */ .iS)(ctx);
    ctx.log(`preview ${run.plan.target} removed`);
    return {};
}


/***/ })

};
