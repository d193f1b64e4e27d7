#!/usr/bin/env bash
# What `npm run demo` and `npm test` need before they start, installed on first use so that they
# are the only two set-up lines a newcomer runs: the pinned Node 24 on PATH (hack/toolchain.sh)
# and node_modules as package-lock.json pins it. A re-run with both in place changes nothing.
# Sourced after hack/lib/common.sh.

# The stamp says which lock file (and which Node) node_modules was installed from: a newer lock
# after a pull, or a bare checkout, makes the next run install again.
NODE_MODULES_STAMP="$REPO_ROOT/node_modules/.model-canary-installed"

node_modules_wanted() { printf '%s node %s\n' "$(sha256sum "$REPO_ROOT/package-lock.json" | cut -d' ' -f1)" "$(node --version)"; }

ensure_node_and_modules() {
  eval "$(bash "$REPO_ROOT/hack/toolchain.sh")"
  if [ "$(cat "$NODE_MODULES_STAMP" 2>/dev/null)" != "$(node_modules_wanted)" ]; then
    log "installing npm packages: npm ci (node_modules is missing or was installed from another package-lock.json)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
    node_modules_wanted >"$NODE_MODULES_STAMP"
  fi
}
