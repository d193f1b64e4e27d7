#!/usr/bin/env bash
# npm run demo: every decision the action takes, end to end on the local cluster, from one command.
# Starts the local cluster, empties the demo's namespace, then runs hack/demo.ts: seven pushes, each
# as the runner runs the action (node dist/index.js, then its post step), one function per kind —
#   1. the first version into an empty namespace (promoted); 2. a 40 ms slower canary (reverted);
#   3. a canary as fast but wrong (reverted); 4. a canary promoted; 5. a pull request's preview and
#   its comment (preview); 6. the pull request closed (cleanup: skipped); 7. tag v1.0.0: the
#   promoted image retagged without a rebuild, canaried and promoted.
# Each push prints one line (decision, reason, seconds); the end prints the table of all of them
# and where each job summary is, drawn as GitHub shows it (.demo/*/summary.html, .demo/index.html).
# On the way out, whatever happened, the namespace is deleted and waited for, so the demo's pods
# give back the node's four GPUs before the next user of the cluster (npm test) needs them.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
source "$HACK_DIR/lib/bootstrap.sh"
cd "$REPO_ROOT"
ensure_node_and_modules

NAMESPACE=model-canary-demo
# The job summaries' Mermaid charts are drawn in the browser by mermaid's own bundle, from its npm
# package (pinned by version and by npm's integrity of the package). Only that one file is needed,
# so it is fetched into the cache rather than installed with the ~200 MB of packages mermaid
# depends on for its other builds.
MERMAID_VERSION=12.3.0
MERMAID_INTEGRITY=sha512-4113TdXeLAsMruJ79OpFL5O8+LTFXhQqZ260rF3tgUmiNAtRm4Uume04I+65PRN6yZ69J4f8rVYWW8zRk65UYw==

# mermaid_bundle — prints the path of mermaid.min.js, fetching it on first use.
mermaid_bundle() {
  local dir="$CACHE_DIR/mermaid-$MERMAID_VERSION" work actual
  if [ ! -f "$dir/mermaid.min.js" ]; then
    log "fetching mermaid $MERMAID_VERSION's browser bundle from the npm registry into $dir"
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null)
    actual="sha512-$(openssl dgst -sha512 -binary "$work/mermaid-$MERMAID_VERSION.tgz" | base64 -w0)"
    if [ "$actual" != "$MERMAID_INTEGRITY" ]; then
      rm -rf "$work"
      die "mermaid-$MERMAID_VERSION.tgz from the npm registry has integrity $actual, not the pinned $MERMAID_INTEGRITY"
    fi
    tar -xzf "$work/mermaid-$MERMAID_VERSION.tgz" -C "$work" package/dist/mermaid.min.js
    mkdir -p "$dir"
    mv "$work/package/dist/mermaid.min.js" "$dir/mermaid.min.js"
    rm -rf "$work"
  fi
  echo "$dir/mermaid.min.js"
}

# delete_namespace — deletes the demo's namespace and waits until its pods are gone.
delete_namespace() {
  "$BIN_DIR/kubectl" delete namespace "$NAMESPACE" --ignore-not-found --wait=true >/dev/null
}

mermaid="$(mermaid_bundle)"
bash hack/cluster.sh up
export KUBECONFIG="$STATE_DIR/kubeconfig"
# A clean start, so the first push really is a first deployment.
delete_namespace
trap 'log "deleting namespace $NAMESPACE, so its pods give back their GPUs"; delete_namespace' EXIT

status=0
node hack/demo.ts "$NAMESPACE" "$mermaid" || status=$?
printf '\nWhat the demo left serving, before its namespace is deleted:\n'
"$BIN_DIR/kubectl" -n "$NAMESPACE" get deployments,services -o wide || true
exit "$status"
