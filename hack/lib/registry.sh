#!/usr/bin/env bash
# The local OCI registry: Debian's docker-registry (distribution 2.8) on 127.0.0.1:5000, plain
# HTTP, loopback only. Clients name it localhost:5000 (see hack/lib/images.sh); both BuildKit and
# containerd are told it speaks HTTP. Storage lives in the cache so images survive down/up.
# Sourced after hack/lib/common.sh.

source "$(dirname "${BASH_SOURCE[0]}")/images.sh"

REGISTRY_LISTEN=127.0.0.1:5000
REGISTRY_STORAGE="$CACHE_DIR/registry"
REGISTRY_CONFIG="$STATE_DIR/registry.yml"
REGISTRY_URL="http://$LOCAL_REGISTRY"

registry_answers() { curl -fsS --max-time 2 -o /dev/null "$REGISTRY_URL/v2/" 2>/dev/null; }

registry_up() {
  ensure_debian_packages docker-registry curl
  mkdir -p "$REGISTRY_STORAGE"
  # Delete is enabled so that tests can remove what they pushed.
  cat >"$REGISTRY_CONFIG.new" <<YAML
version: 0.1
# The access log (.cluster/logs/registry.log) shows which blobs a push uploaded.
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REGISTRY_STORAGE
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_LISTEN
  headers:
    X-Content-Type-Options: [nosniff]
YAML
  if ! cmp -s "$REGISTRY_CONFIG.new" "$REGISTRY_CONFIG"; then
    mv "$REGISTRY_CONFIG.new" "$REGISTRY_CONFIG"
    # A running registry keeps its old settings until restarted.
    daemon_running registry && { log "registry config changed: restarting it"; stop_daemon registry; }
  fi
  rm -f "$REGISTRY_CONFIG.new"
  if daemon_running registry && registry_answers; then
    return 0
  fi
  if ! daemon_running registry && registry_answers; then
    die "something not started by hack/ already answers on $REGISTRY_LISTEN"
  fi
  start_daemon registry /usr/bin/docker-registry serve "$REGISTRY_CONFIG"
  wait_for "the registry on $REGISTRY_LISTEN" 30 registry_answers
}

registry_down() { stop_daemon registry; }

registry_status() {
  if daemon_running registry && registry_answers; then
    echo "registry: ok ($LOCAL_REGISTRY, pid $(cat "$PID_DIR/registry.pid"), storage $REGISTRY_STORAGE)"
  elif daemon_running registry; then
    echo "registry: running (pid $(cat "$PID_DIR/registry.pid")) but $REGISTRY_URL/v2/ does not answer"; return 1
  else
    echo "registry: not running"; return 1
  fi
}

# registry_has_tag REPOSITORY TAG — true when the registry serves a manifest for REPOSITORY:TAG.
registry_has_tag() {
  curl -fsS --max-time 5 -o /dev/null -I \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$REGISTRY_URL/v2/$1/manifests/$2" 2>/dev/null
}
