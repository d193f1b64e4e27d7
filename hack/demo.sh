#!/usr/bin/env bash
# npm run demo: the main job end to end on the local cluster, run as the runner runs the action
# (node dist/index.js with INPUT_* variables and the GITHUB_* files), four pushes in a row:
#   1. the tiny ONNX model into an empty namespace: it becomes stable after its checks (its answers
#      held to the example's expected outputs);
#   2. a version 40 ms slower (examples/models/tiny-mlp-slow): canaried, measured, reverted;
#   3. a version as fast but wrong (examples/models/tiny-mlp-wrong, shuffled output weights):
#      its answers disagree with stable's, reverted;
#   4. the first version again under a new commit: canaried beside stable and promoted.
# Each run prints its decision and reason; the last job summary is printed at the end.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
source "$HACK_DIR/lib/bootstrap.sh"
cd "$REPO_ROOT"
ensure_node_and_modules

NAMESPACE=model-canary-demo
bash hack/cluster.sh up
export KUBECONFIG="$STATE_DIR/kubeconfig"
# A clean start, so the first run really is a first deployment.
"$BIN_DIR/kubectl" delete namespace "$NAMESPACE" --ignore-not-found --wait=true >/dev/null
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# run_push MODEL SHA — one `canary` run of the action for a push of commit SHA.
run_push() {
  local model="$1" sha="$2"
  : >"$workdir/output"; : >"$workdir/state"; : >"$workdir/summary"
  local status=0
  env GITHUB_WORKSPACE="$REPO_ROOT" GITHUB_SHA="$sha" GITHUB_REF=refs/heads/main GITHUB_EVENT_NAME=push \
    GITHUB_REPOSITORY=model-canary/demo GITHUB_RUN_ID="$RANDOM" GITHUB_RUN_ATTEMPT=1 \
    GITHUB_OUTPUT="$workdir/output" GITHUB_STATE="$workdir/state" GITHUB_STEP_SUMMARY="$workdir/summary" \
    PATH="$(dirname "$(ls -d "$BIN_DIR"/buildkit-*/buildctl | head -1)"):$PATH" \
    INPUT_MODEL="$model" INPUT_NAME=tiny-mlp INPUT_NAMESPACE="$NAMESPACE" \
    INPUT_IMAGE=localhost:5000/model-canary/demo/tiny-mlp \
    INPUT_BUILDER=buildctl INPUT_BUILDKIT-HOST=unix:///run/model-canary/buildkitd.sock \
    INPUT_BASE-IMAGE=localhost:5000/model-canary/mlserver:1.7.1 \
    INPUT_GPUS=1 INPUT_CANARY-WEIGHT=10 \
    INPUT_PROBE-PAYLOAD=examples/models/payloads/tiny-mlp-v2.json INPUT_PROBE-RATE=20 \
    INPUT_EXPECTED-OUTPUTS=examples/models/payloads/tiny-mlp-v2.expected.json \
    INPUT_PROBE-DURATION=30s INPUT_WARMUP=5s INPUT_MAX-P95-MS=500 \
    "INPUT_KUBECONFIG=$(cat "$KUBECONFIG")" \
    node dist/index.js >"$workdir/log" 2>&1 || status=$?
  grep -E '^::(error|warning)' "$workdir/log" || true
  local decision reason
  decision="$(sed -n '/^decision<</{n;p}' "$workdir/output" | tail -1)"
  reason="$(sed -n '/^reason<</{n;p}' "$workdir/output" | tail -1)"
  log "$model @ ${sha:0:7}: exit $status, decision '${decision:-none}': $reason"
  # As the runner does after every job: the post step, the same bundle given the saved state (isPost
  # among it) as STATE_* variables.
  node -e '
    const fs = require("node:fs");
    const env = { ...process.env };
    for (const [, name, , value] of fs.readFileSync(process.argv[1], "utf8").matchAll(/^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm))
      env[`STATE_${name}`] = value;
    const post = require("node:child_process").spawnSync(process.execPath, ["dist/index.js"], { env, stdio: "inherit" });
    process.exit(post.status ?? 1);
  ' "$workdir/state" | grep -v '^::debug' || true
}

# Three distinct commit SHAs, derived from HEAD so each demo run tags its own images.
demo_sha() { printf '%s-%s' "$(git rev-parse HEAD)" "$1" | sha1sum | cut -c1-40; }
log "push 1: first version into an empty namespace"
run_push examples/models/tiny-mlp "$(demo_sha 1)"
log "push 2: a 40 ms slower version"
run_push examples/models/tiny-mlp-slow "$(demo_sha 2)"
log "push 3: a version as fast but wrong"
run_push examples/models/tiny-mlp-wrong "$(demo_sha 3)"
log "push 4: the first version again, new commit"
run_push examples/models/tiny-mlp "$(demo_sha 4)"
printf '\n----- job summary of push 4 -----\n'
cat "$workdir/summary"
"$BIN_DIR/kubectl" -n "$NAMESPACE" get deployments,services -o wide
