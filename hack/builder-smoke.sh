#!/usr/bin/env bash
# Proves the builder end to end against the running stack (hack/builder.sh up first):
#   1. buildctl builds image A FROM the python base, pushes it and exports registry cache;
#   2. docker buildx (builder model-canary) builds image B likewise, with its own cache;
#   3. every pushed digest read from BuildKit's --metadata-file equals the digest the registry
#      serves for the tag;
#   4. a throwaway buildkitd with an empty root (so no local cache can answer) rebuilds A with
#      docker buildx and B with buildctl, each importing the other tool's registry cache: their
#      RUN steps must be CACHED;
#   5. pip inside a RUN step reaches PyPI (set SMOKE_SKIP_PYPI=1 where PyPI is not reachable).
# Exits non-zero on the first failed check.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
source "$HACK_DIR/lib/images.sh"
source "$HACK_DIR/lib/registry.sh"
source "$HACK_DIR/lib/buildkit.sh"

registry_status >/dev/null || die "registry is not up: run hack/builder.sh up"
buildkit_status >/dev/null || die "BuildKit is not up: run hack/builder.sh up"
ensure_debian_packages jq curl

work="$(mktemp -d "${TMPDIR:-/tmp}/builder-smoke.XXXXXX")"
scratch_pid=""
scratch_builder="$BUILDX_BUILDER_NAME-smoke-$$"
cleanup() {
  local status=$?
  docker buildx rm "$scratch_builder" >/dev/null 2>&1 || true
  if [ -n "$scratch_pid" ]; then
    kill -TERM "$scratch_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$scratch_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  # Logs stay on failure so the reason can be read.
  if [ $status -eq 0 ]; then rm -rf "$work"; else log "logs kept in $work"; fi
}
trap cleanup EXIT

fail() { log "FAIL: $*"; exit 1; }
pass() { log "ok: $*"; }

repository=model-canary/smoke
image="$LOCAL_REGISTRY/$repository"
run_id="$(date +%s)-$RANDOM"

# write_context DIR NONCE — a tiny app FROM the python base whose RUN step is unique to NONCE, so
# no earlier run's cache can answer it.
write_context() {
  mkdir -p "$1"
  cat >"$1/Dockerfile" <<DOCKERFILE
FROM $PYTHON_BASE_IMAGE
RUN echo "$2" > /nonce && python3 -c "import sys, ssl; print('python', sys.version.split()[0], ssl.OPENSSL_VERSION)"
COPY app.py /app/app.py
CMD ["python3", "/app/app.py"]
DOCKERFILE
  echo "print('hello from model-canary smoke $2')" >"$1/app.py"
}
write_context "$work/a" "smoke-a-$run_id"
write_context "$work/b" "smoke-b-$run_id"

# registry_digest TAG — the digest the registry serves for $repository:TAG.
registry_digest() {
  curl -fsS --max-time 10 -I \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$REGISTRY_URL/v2/$repository/manifests/$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}

# check_pushed_digest METADATA_FILE TAG — BuildKit's reported digest is what the registry serves.
check_pushed_digest() {
  local reported served
  reported="$(jq -r '."containerimage.digest" // empty' "$1")"
  [ -n "$reported" ] || fail "no containerimage.digest in $1: $(cat "$1")"
  served="$(registry_digest "$2")"
  [ "$reported" = "$served" ] || fail "$image:$2: BuildKit reported $reported, registry serves ${served:-nothing}"
  pass "$image:$2 digest $reported matches the registry"
}

# run_step_status LOG — the plain-progress status of the Dockerfile's RUN step ("CACHED", "DONE").
run_step_status() {
  local step
  step="$(grep -m1 -E '^#[0-9]+ \[[0-9]+/[0-9]+\] RUN ' "$1" | cut -d' ' -f1)"
  [ -n "$step" ] || fail "no RUN step in $1"
  grep -E "^$step (CACHED|DONE|ERROR)" "$1" | tail -1 | cut -d' ' -f2
}

# build_with_buildctl ADDR CONTEXT TAG CACHE_ARGS... — build and push with buildctl.
build_with_buildctl() {
  local addr="$1" context="$2" tag="$3"; shift 3
  "$BUILDKIT_BIN_DIR/buildctl" --addr "$addr" build --progress=plain --frontend dockerfile.v0 \
    --local context="$context" --local dockerfile="$context" \
    --output "type=image,name=$image:$tag,push=true" \
    --metadata-file "$work/$tag.json" "$@" >"$work/$tag.log" 2>&1 ||
    { tail -30 "$work/$tag.log" >&2; fail "buildctl build of $image:$tag"; }
}

# build_with_buildx BUILDER CONTEXT TAG CACHE_ARGS... — build and push with docker buildx.
build_with_buildx() {
  local builder="$1" context="$2" tag="$3"; shift 3
  docker buildx build --builder "$builder" --progress=plain --push -t "$image:$tag" \
    --metadata-file "$work/$tag.json" "$@" "$context" >"$work/$tag.log" 2>&1 ||
    { tail -30 "$work/$tag.log" >&2; fail "docker buildx build of $image:$tag"; }
}

log "1. buildctl builds and pushes $image:a-buildctl, exporting cache to :buildcache-buildctl"
build_with_buildctl "$BUILDKIT_HOST" "$work/a" a-buildctl \
  --export-cache "type=registry,ref=$image:buildcache-buildctl,mode=max"
[ "$(run_step_status "$work/a-buildctl.log")" = DONE ] || fail "RUN step of a fresh build did not run"
grep -q "python 3\.11" "$work/a-buildctl.log" || fail "RUN step output (python version) missing from the log"
check_pushed_digest "$work/a-buildctl.json" a-buildctl
registry_has_tag "$repository" buildcache-buildctl || fail "cache manifest :buildcache-buildctl not in the registry"

log "2. docker buildx builds and pushes $image:b-buildx, exporting cache to :buildcache-buildx"
build_with_buildx "$BUILDX_BUILDER_NAME" "$work/b" b-buildx \
  --cache-to "type=registry,ref=$image:buildcache-buildx,mode=max"
[ "$(run_step_status "$work/b-buildx.log")" = DONE ] || fail "RUN step of a fresh build did not run"
check_pushed_digest "$work/b-buildx.json" b-buildx
registry_has_tag "$repository" buildcache-buildx || fail "cache manifest :buildcache-buildx not in the registry"

log "3. a throwaway buildkitd with an empty cache imports each tool's registry cache"
scratch_root="$work/buildkit-root"
scratch_socket="unix://$work/buildkitd.sock"
mkdir -p "$scratch_root"
sed -e "s|^root = .*|root = \"$scratch_root\"|" \
    -e "s|^  address = .*|  address = [\"$scratch_socket\"]|" "$BUILDKIT_CONFIG" >"$work/buildkitd.toml"
setsid "$BUILDKIT_BIN_DIR/buildkitd" --config "$work/buildkitd.toml" >"$work/buildkitd.log" 2>&1 </dev/null &
scratch_pid=$!
wait_for "the throwaway buildkitd" 60 "$BUILDKIT_BIN_DIR/buildctl" --addr "$scratch_socket" debug workers
docker buildx create --name "$scratch_builder" --driver remote "$scratch_socket" >/dev/null

build_with_buildx "$scratch_builder" "$work/a" a-buildx-imported \
  --cache-from "type=registry,ref=$image:buildcache-buildctl"
[ "$(run_step_status "$work/a-buildx-imported.log")" = CACHED ] ||
  fail "buildx did not take the RUN step from buildctl's registry cache (log: $work/a-buildx-imported.log)"
pass "docker buildx imported the registry cache that buildctl exported"
check_pushed_digest "$work/a-buildx-imported.json" a-buildx-imported

build_with_buildctl "$scratch_socket" "$work/b" b-buildctl-imported \
  --import-cache "type=registry,ref=$image:buildcache-buildx"
[ "$(run_step_status "$work/b-buildctl-imported.log")" = CACHED ] ||
  fail "buildctl did not take the RUN step from buildx's registry cache (log: $work/b-buildctl-imported.log)"
pass "buildctl imported the registry cache that docker buildx exported"
check_pushed_digest "$work/b-buildctl-imported.json" b-buildctl-imported

if [ "${SMOKE_SKIP_PYPI:-0}" != 1 ]; then
  log "4. pip inside a RUN step reaches PyPI"
  mkdir -p "$work/pypi"
  cat >"$work/pypi/Dockerfile" <<DOCKERFILE
FROM $PYTHON_BASE_IMAGE
RUN echo "pypi-$run_id" && pip download --no-deps --dest /wheels six && ls /wheels
DOCKERFILE
  buildctl_local build --progress=plain --frontend dockerfile.v0 \
    --local context="$work/pypi" --local dockerfile="$work/pypi" >"$work/pypi.log" 2>&1 ||
    { tail -20 "$work/pypi.log" >&2; fail "pip download inside RUN could not reach PyPI (SMOKE_SKIP_PYPI=1 skips this)"; }
  grep -q 'six-.*\.whl' "$work/pypi.log" || fail "pip ran but no six wheel was listed"
  pass "pip inside a RUN step downloaded six from PyPI"
fi

log "builder smoke test passed"
