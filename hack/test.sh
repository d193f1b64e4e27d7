#!/usr/bin/env bash
# npm test: everything CI runs, fastest checks first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
section() { printf '\n=== %s ===\n' "$*"; }

source hack/lib/common.sh
source hack/lib/bootstrap.sh

# First use on a fresh machine installs what the tests need: Node 24 and node_modules here, the
# cluster before the tests that use it (each step skips what is already there).
ensure_node_and_modules
section "lint (eslint, prettier)"; npm run -s lint
section "typecheck"; npm run -s typecheck
section "generated docs are fresh (README from action.yml, docs/benchmarks.md from bench/results)"; npm run -s check:docs
section "dist/ matches src/"; npm run -s check:dist
section "unit tests"; npm run -s test:unit
section "local cluster (registry, BuildKit, Kubernetes: a cold machine builds it, ~20 min)"; bash hack/cluster.sh up
section "integration tests (real local cluster, BuildKit, registry)"; npm run -s test:integration
section "end-to-end: examples/workflows through act"; npm run -s test:e2e
section "chaos tests (the main step killed mid-canary)"; npm run -s test:chaos
