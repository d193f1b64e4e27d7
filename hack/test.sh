#!/usr/bin/env bash
# npm test: everything CI runs, fastest checks first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
section() { printf '\n=== %s ===\n' "$*"; }

node -e 'if (!process.version.startsWith("v24.")) { console.error(`npm test needs Node 24 (GitHub runs node24); this is ${process.version}. Run: eval "$(bash hack/toolchain.sh)"`); process.exit(1); }'
section "lint (eslint, prettier)"; npm run -s lint
section "typecheck"; npm run -s typecheck
section "README matches action.yml"; npm run -s check:docs
section "dist/ matches src/"; npm run -s check:dist
section "unit tests"; npm run -s test:unit
section "integration tests (real local cluster, BuildKit, registry)"; npm run -s test:integration
section "end-to-end: examples/workflows through act"; npm run -s test:e2e
section "chaos tests (the main step killed mid-canary)"; npm run -s test:chaos
