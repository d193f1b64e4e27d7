export const id = 827;
export const ids = [827];
export const modules = {

/***/ 94827:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   tagReleaseStage: () => (/* binding */ tagReleaseStage),
/* harmony export */   tagVerifiedImage: () => (/* binding */ tagVerifiedImage)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57264);
/* harmony import */ var _registry_client_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(32440);
/**
 * `release` mode's first stage: give the image that was built and verified for this commit its
 * release tags (v1.2.3, v1.2, v1) by copying its manifest under each tag through the registry API.
 * Nothing is built: the manifest's bytes are put back unchanged, so every tag has the same digest.
 */


/** Puts the commit's image under every release tag and checks each tag resolves to its digest. */
async function tagVerifiedImage(request) {
    const registry = new _registry_client_js__WEBPACK_IMPORTED_MODULE_1__/* .RegistrySession */ .GH(request.repository, request.credentials);
    const source = `${request.repository}:${request.commitTag}`;
    const digest = await registry.resolve(request.commitTag);
    if (digest === undefined) {
        throw new _registry_client_js__WEBPACK_IMPORTED_MODULE_1__/* .RegistryError */ .gl(source, 'was not found: release tags only an image a canary run built and verified for this commit (run the canary workflow on it first)');
    }
    const manifest = await registry.manifest(digest);
    for (const tag of request.releaseTags) {
        const stored = await registry.putManifest(tag, manifest);
        if (stored !== digest)
            throw new _registry_client_js__WEBPACK_IMPORTED_MODULE_1__/* .RegistryError */ .gl(`${request.repository}:${tag}`, `was stored as ${stored}, not ${digest}`);
    }
    for (const tag of request.releaseTags) {
        const resolved = await registry.resolve(tag);
        if (resolved !== digest) {
            throw new _registry_client_js__WEBPACK_IMPORTED_MODULE_1__/* .RegistryError */ .gl(`${request.repository}:${tag}`, `resolves to ${resolved ?? 'nothing'}, not ${digest}`);
        }
    }
    return {
        image: `${request.repository}@${digest}`,
        digest,
        mediaType: manifest.mediaType,
        tags: [...request.releaseTags],
    };
}
/**
 * Stage `tag-release`: tags the commit's verified image (registry credentials from the inputs) and
 * hands `repository@digest` on for deploy-canary to run.
 */
async function tagReleaseStage({ plan, settings }) {
    if (plan.image === undefined || plan.image.releaseTags.length === 0) {
        throw new _registry_client_js__WEBPACK_IMPORTED_MODULE_1__/* .RegistryError */ .gl(plan.image?.repository ?? 'image', 'release mode needs an image and a version tag (v1.2.3)', 'image');
    }
    const release = await tagVerifiedImage({
        repository: plan.image.repository,
        commitTag: plan.image.commitTag,
        releaseTags: plan.image.releaseTags,
        ...(settings.build.registryAuth !== undefined ? { credentials: settings.build.registryAuth } : {}),
    });
    _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`Tagged ${release.image} as ${release.tags.join(', ')} (no rebuild: same manifest, same digest)`);
    return { image: { reference: release.image, digest: release.digest } };
}


/***/ })

};
