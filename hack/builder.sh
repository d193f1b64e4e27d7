#!/usr/bin/env bash
# The build half of the local stack on its own: registry, BuildKit (buildkitd, buildctl, buildx
# builder) and the base images. hack/cluster.sh calls the same functions as part of cluster:up.
#   hack/builder.sh up|down|status|env
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
source "$HACK_DIR/lib/images.sh"
source "$HACK_DIR/lib/registry.sh"
source "$HACK_DIR/lib/buildkit.sh"

[ "$(id -u)" = 0 ] || die "buildkitd with the OCI worker and debootstrap need root"

case "${1:-}" in
  up)
    started=$SECONDS
    registry_up
    buildkit_up
    base_images_up
    log "builder up in $((SECONDS - started))s"
    registry_status && buildkit_status && base_images_status
    ;;
  down)
    # Daemons stop; the registry's storage, BuildKit's cache and the image tarballs stay.
    buildkit_down
    registry_down
    ;;
  status)
    healthy=0
    registry_status || healthy=1
    buildkit_status || healthy=1
    if registry_answers; then base_images_status || healthy=1; else echo "base images: unknown (no registry)"; healthy=1; fi
    exit $healthy
    ;;
  env)
    # For eval in a shell or a test runner: how to reach this builder.
    echo "export BUILDKIT_HOST=$BUILDKIT_HOST"
    echo "export BUILDX_BUILDER=$BUILDX_BUILDER_NAME"
    echo "export LOCAL_REGISTRY=$LOCAL_REGISTRY"
    echo "export PAUSE_IMAGE=$PAUSE_IMAGE"
    echo "export DEBIAN_BASE_IMAGE=$DEBIAN_BASE_IMAGE"
    echo "export PYTHON_BASE_IMAGE=$PYTHON_BASE_IMAGE"
    echo "export PATH=$BUILDKIT_BIN_DIR:\$PATH"
    ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
