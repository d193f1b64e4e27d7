#!/usr/bin/env bash
# Fails when dist/ is not exactly what a fresh bundle of src/ gives (GitHub runs dist/, not src/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
bash hack/bundle.sh "$fresh/dist"
if ! diff -r -q dist "$fresh/dist" >&2; then
  echo "dist/ differs from a fresh bundle of src/: run 'npm run bundle' and commit dist/ with the source." >&2
  exit 1
fi
echo "dist/ matches a fresh bundle of src/"
