#!/usr/bin/env bash
# Builds `act` (nektos/act) at the version hack/act/go.mod pins, from the Go module proxy, into
# ~/.cache/model-canary/bin/act-<version>/act; does nothing when that binary exists. Prints its path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(awk '$1 == "github.com/nektos/act" { print $2 }' "$here/go.mod")"
[ -n "$version" ] || { echo "hack/act/go.mod does not pin github.com/nektos/act" >&2; exit 1; }
out="${HOME}/.cache/model-canary/bin/act-${version}"
if [ ! -x "$out/act" ]; then
  go_bin="$(command -v go || echo /usr/local/go/bin/go)"
  [ -x "$go_bin" ] || { echo "act needs Go to build (looked for go on PATH and /usr/local/go/bin/go)" >&2; exit 1; }
  mkdir -p "$out.tmp"
  (
    cd "$here"
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go_bin" build -trimpath \
      -ldflags "-s -w -X main.version=${version#v}" -o "$out.tmp/act" github.com/nektos/act
  ) >&2
  rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/act"
