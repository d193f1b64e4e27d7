#!/usr/bin/env bash
# Local stand-ins for the runtime base images that the action's presets pin (nothing can be pulled
# from the internet here). Only MLServer runs on a CPU-only machine, so only it has a stand-in;
# tests pass it as the action's `base-image`. Needs common.sh, registry.sh and buildkit.sh sourced.

MLSERVER_VERSION=1.7.1
# The tag says which official image it stands in for: seldonio/mlserver:$MLSERVER_VERSION.
MLSERVER_BASE_IMAGE="$LOCAL_REGISTRY/model-canary/mlserver:$MLSERVER_VERSION"

# runtime_image_recipe_hash — 16 hex digits over hack/images/mlserver/* and the python base's
# recipe, so a change to either rebuilds the stand-in.
runtime_image_recipe_hash() {
  {
    (cd "$REPO_ROOT/hack/images/mlserver" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    image_recipe_hash python
  } | sha256sum | cut -c1-16
}

# runtime_images_up — builds and pushes the MLServer stand-in unless the registry already has
# this recipe (one HEAD request when nothing changed). pip downloads are kept in a BuildKit cache
# mount, so a rebuild after a recipe change reuses the wheels.
runtime_images_up() {
  local hash repository path
  hash="$(runtime_image_recipe_hash)"
  repository="${MLSERVER_BASE_IMAGE%:*}"
  path="${repository#"$LOCAL_REGISTRY"/}"
  if registry_has_tag "$path" "recipe-$hash" && registry_has_tag "$path" "$MLSERVER_VERSION"; then
    return 0
  fi
  log "building and pushing $MLSERVER_BASE_IMAGE (recipe $hash; pip install from PyPI, log .cluster/logs/runtime-images.log)"
  buildctl_local build --progress=plain --frontend dockerfile.v0 \
    --local context="$REPO_ROOT/hack/images/mlserver" --local dockerfile="$REPO_ROOT/hack/images/mlserver" \
    --opt build-arg:PYTHON_BASE_IMAGE="$PYTHON_BASE_IMAGE" \
    --opt build-arg:MLSERVER_VERSION="$MLSERVER_VERSION" \
    --output "type=image,\"name=$MLSERVER_BASE_IMAGE,$repository:recipe-$hash\",push=true" \
    >>"$LOG_DIR/runtime-images.log" 2>&1 ||
    die "building $MLSERVER_BASE_IMAGE failed (see .cluster/logs/runtime-images.log)"
}
