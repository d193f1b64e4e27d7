#!/usr/bin/env bash
# Bundles src/index.ts, the entry of both the main and the post step, with ncc into OUT (default
# dist/), minified, as GitHub runs it: the entry file, one chunk file per dynamic import() beside
# it, and licenses.txt (docs/bundle.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-dist}"
rm -rf "$out"
ncc build src/index.ts -o "$out" --minify --license '[id].licenses.txt' --quiet
node hack/finish-bundle.ts "$out"
