#!/usr/bin/env bash
# Bundles the main and post entry points with ncc into OUT (default dist/), as GitHub runs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-dist}"
rm -rf "$out"
ncc build src/index.ts -o "$out" --license licenses.txt --quiet
ncc build src/post-index.ts -o "$out/post" --quiet
