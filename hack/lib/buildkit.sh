#!/usr/bin/env bash
# BuildKit for the local stack: buildkitd + buildctl built from the Go module proxy (versions
# pinned in hack/buildkit/go.mod), the docker buildx CLI plugin, and a buildx builder named
# model-canary that drives the same daemon through buildx's `remote` driver.
# Sourced after hack/lib/common.sh.

# The private registry's name and CA go into this configuration too.
source "$(dirname "${BASH_SOURCE[0]}")/registry-auth.sh"
source "$(dirname "${BASH_SOURCE[0]}")/images.sh"

# hack/buildkit/go.mod is the one place these versions are pinned.
BUILDKIT_VERSION="$(awk '$1 == "github.com/moby/buildkit" { print $2 }' "$REPO_ROOT/hack/buildkit/go.mod")"
BUILDX_VERSION="$(awk '$1 == "github.com/docker/buildx" { print $2 }' "$REPO_ROOT/hack/buildkit/go.mod")"
BUILDKIT_BIN_DIR="$BIN_DIR/buildkit-$BUILDKIT_VERSION-buildx-$BUILDX_VERSION"
BUILDKIT_ROOT="$CACHE_DIR/buildkit"
BUILDKIT_RUN_DIR=/run/model-canary
BUILDKIT_SOCKET="$BUILDKIT_RUN_DIR/buildkitd.sock"
BUILDKIT_TCP_ADDR=127.0.0.1:1234
# What clients (buildctl, the action's buildkit-host input, tests) should use.
BUILDKIT_HOST="unix://$BUILDKIT_SOCKET"
BUILDX_BUILDER_NAME=model-canary
BUILDX_PLUGIN="$HOME/.docker/cli-plugins/docker-buildx"
export BUILDKIT_HOST

buildkit_tools_built() {
  [ -x "$BUILDKIT_BIN_DIR/buildkitd" ] && [ -x "$BUILDKIT_BIN_DIR/buildctl" ] && [ -x "$BUILDKIT_BIN_DIR/docker-buildx" ]
}

# buildkit_build_tools_in_background — starts the (minutes-long) cold build early, e.g. while
# Kubernetes compiles; buildkit_build_tools (and so buildkit_up) waits for it.
buildkit_build_tools_in_background() {
  buildkit_tools_built && return 0
  daemon_running buildkit-build && return 0
  ( buildkit_compile_tools ) >>"$LOG_DIR/buildkit-build.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/buildkit-build.pid"
  log "building BuildKit in the background (pid $!, log .cluster/logs/buildkit-build.log)"
}

# buildkit_build_tools — compiles buildkitd, buildctl and docker-buildx once per pinned version.
buildkit_build_tools() {
  if daemon_running buildkit-build; then
    log "waiting for the background BuildKit build (pid $(cat "$PID_DIR/buildkit-build.pid"))"
    while daemon_running buildkit-build; do sleep 2; done
  fi
  rm -f "$PID_DIR/buildkit-build.pid"
  buildkit_tools_built || buildkit_compile_tools
}

buildkit_compile_tools() {
  command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || die "go is needed to build BuildKit (expected /usr/local/go/bin/go)"
  local module_dir="$REPO_ROOT/hack/buildkit" staging="$BUILDKIT_BIN_DIR.partial" started=$SECONDS
  mkdir -p "$staging"
  log "building BuildKit $BUILDKIT_VERSION and buildx $BUILDX_VERSION (several minutes when cold; log .cluster/logs/buildkit-build.log)"
  local bk_ldflags="-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit"
  local bx_ldflags="-s -w -X github.com/docker/buildx/version.Version=$BUILDX_VERSION -X github.com/docker/buildx/version.Package=github.com/docker/buildx"
  # Same tags as upstream's static buildkitd: pure-Go user/DNS lookups; runc applies seccomp.
  (
    cd "$module_dir" &&
      export CGO_ENABLED=0 GOFLAGS=-buildvcs=false &&
      go build -trimpath -tags 'osusergo netgo static_build seccomp' -ldflags "$bk_ldflags" \
        -o "$staging/buildkitd" github.com/moby/buildkit/cmd/buildkitd &&
      go build -trimpath -tags 'osusergo netgo static_build' -ldflags "$bk_ldflags" \
        -o "$staging/buildctl" github.com/moby/buildkit/cmd/buildctl &&
      go build -trimpath -tags 'osusergo netgo static_build' -ldflags "$bx_ldflags" \
        -o "$staging/docker-buildx" github.com/docker/buildx/cmd/buildx
  ) >>"$LOG_DIR/buildkit-build.log" 2>&1 || die "building BuildKit failed (see .cluster/logs/buildkit-build.log)"
  rm -rf "$BUILDKIT_BIN_DIR" && mv "$staging" "$BUILDKIT_BIN_DIR"
  log "built BuildKit tools in $((SECONDS - started))s"
}

BUILDKIT_CONFIG="$STATE_DIR/buildkitd.toml"

# buildctl_local ARGS... — buildctl against the local daemon.
buildctl_local() { "$BUILDKIT_BIN_DIR/buildctl" --addr "$BUILDKIT_HOST" "$@"; }

buildkit_answers() {
  [ -x "$BUILDKIT_BIN_DIR/buildctl" ] && buildctl_local debug workers >/dev/null 2>&1
}

# buildkit_write_config — (re)writes buildkitd.toml; true when its content changed.
buildkit_write_config() {
  local runc_path
  runc_path="$(command -v runc || echo /usr/sbin/runc)"
  cat >"$BUILDKIT_CONFIG.new" <<TOML
# Written by hack/lib/buildkit.sh on every buildkit_up; edit that file, not this one.
root = "$BUILDKIT_ROOT"

[grpc]
  address = ["$BUILDKIT_HOST", "tcp://$BUILDKIT_TCP_ADDR"]

[worker.oci]
  enabled = true
  binary = "$runc_path"
  snapshotter = "overlayfs"
  # RUN steps share the host's network: no CNI or bridge to set up, and they reach the package
  # registries (apt, PyPI) this machine can reach. Traffic stays on this machine's own routes.
  networkMode = "host"
  gc = true

[worker.containerd]
  enabled = false

# The local registry speaks plain HTTP on loopback.
[registry."$LOCAL_REGISTRY"]
  http = true
  insecure = true

# The private registry's CA is trusted; its login comes with each build (a Docker config).
# http = false: BuildKit would otherwise speak plain HTTP to any localhost registry.
[registry."$AUTH_REGISTRY"]
  http = false
  ca = ["$AUTH_REGISTRY_CA"]
TOML
  if cmp -s "$BUILDKIT_CONFIG.new" "$BUILDKIT_CONFIG"; then
    rm -f "$BUILDKIT_CONFIG.new"
    return 1
  fi
  mv "$BUILDKIT_CONFIG.new" "$BUILDKIT_CONFIG"
}

buildkit_up() {
  ensure_debian_packages runc
  buildkit_build_tools
  mkdir -p "$BUILDKIT_ROOT" "$BUILDKIT_RUN_DIR" "$(dirname "$BUILDX_PLUGIN")"
  if buildkit_write_config && daemon_running buildkitd; then
    log "buildkitd.toml changed: restarting buildkitd"
    stop_daemon buildkitd
  fi
  if ! daemon_running buildkitd; then
    # A socket left by a daemon that died would make the new one fail to listen.
    rm -f "$BUILDKIT_SOCKET"
    start_daemon buildkitd "$BUILDKIT_BIN_DIR/buildkitd" --config "$BUILDKIT_CONFIG"
  fi
  wait_for "buildkitd on $BUILDKIT_HOST" 60 buildkit_answers
  ln -sfn "$BUILDKIT_BIN_DIR/docker-buildx" "$BUILDX_PLUGIN"
  buildx_builder_up
}

# buildx_builder_up — (re)creates the buildx builder unless it already points at our socket.
buildx_builder_up() {
  local docker_cli
  # Debian has no CLI-only package; docker.io brings /usr/bin/docker (its engine stays stopped).
  command -v docker >/dev/null || ensure_debian_packages docker.io
  docker_cli="$(command -v docker)" || die "no docker CLI for the buildx plugin"
  if "$docker_cli" buildx inspect "$BUILDX_BUILDER_NAME" 2>/dev/null | grep -q "Endpoint: *$BUILDKIT_HOST\$"; then
    return 0
  fi
  "$docker_cli" buildx rm "$BUILDX_BUILDER_NAME" >/dev/null 2>&1 || true
  "$docker_cli" buildx create --name "$BUILDX_BUILDER_NAME" --driver remote "$BUILDKIT_HOST" >/dev/null ||
    die "docker buildx create failed"
  log "created buildx builder $BUILDX_BUILDER_NAME -> $BUILDKIT_HOST"
}

# buildkit_down stops the daemon; its cache under $BUILDKIT_ROOT and the buildx builder entry
# (which just points at the socket) stay for the next buildkit_up.
buildkit_down() {
  stop_daemon buildkitd
  rm -f "$BUILDKIT_SOCKET"
}

buildkit_status() {
  if ! daemon_running buildkitd; then
    echo "buildkit: not running"; return 1
  fi
  if ! buildkit_answers; then
    echo "buildkit: running (pid $(cat "$PID_DIR/buildkitd.pid")) but $BUILDKIT_HOST does not answer"; return 1
  fi
  local builder="buildx builder $BUILDX_BUILDER_NAME missing"
  docker buildx inspect "$BUILDX_BUILDER_NAME" >/dev/null 2>&1 && builder="buildx builder $BUILDX_BUILDER_NAME"
  echo "buildkit: ok ($BUILDKIT_VERSION, pid $(cat "$PID_DIR/buildkitd.pid"), $BUILDKIT_HOST, tcp://$BUILDKIT_TCP_ADDR, $builder)"
  [[ "$builder" != *missing ]]
}
