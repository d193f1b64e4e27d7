#!/usr/bin/env bash
# npm run demo: the main job end to end against the local cluster, run as the runner runs the
# action (node dist/index.js with INPUT_* variables). Says plainly which stages are not built yet.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
cd "$REPO_ROOT"

bash hack/cluster.sh up
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

run_step() { # run_step ENTRY NAME=VALUE...
  local entry="$1"; shift
  : >"$workdir/output"; : >"$workdir/summary"
  env GITHUB_WORKSPACE="$REPO_ROOT" GITHUB_SHA="$(git rev-parse HEAD)" GITHUB_REF=refs/heads/main \
    GITHUB_EVENT_NAME=push GITHUB_REPOSITORY=model-canary/demo \
    GITHUB_OUTPUT="$workdir/output" GITHUB_STATE="$workdir/state" GITHUB_STEP_SUMMARY="$workdir/summary" \
    "INPUT_KUBECONFIG=$(cat "$STATE_DIR/kubeconfig")" "$@" node "$entry"
}

inputs=(INPUT_MODEL=examples INPUT_IMAGE=localhost:5000/model-canary/demo INPUT_NAME=demo INPUT_NAMESPACE=demo
  INPUT_GPUS=1 INPUT_CANARY-STEPS=10,50 "INPUT_MAX-P95-MS=250")

log "1. the plan (dry run)"
: >"$workdir/state"
run_step dist/index.js "${inputs[@]}" INPUT_DRY-RUN=true
cat "$workdir/summary"

log "2. the canary, for real"
status=0
run_step dist/index.js "${inputs[@]}" || status=$?
log "3. the post step, from the state the main step saved"
run_step dist/post/index.js || true
if [ "$status" -ne 0 ]; then
  log "the main step exited $status: the stages above marked 'not implemented' are not built yet"
fi
exit "$status"
