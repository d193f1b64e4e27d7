#!/usr/bin/env bash
# The local stack every integration test, the demo and the benchmarks run on: a registry on
# localhost:5000, a private one (TLS + login) on localhost:5443, BuildKit, base images, a
# one-node Kubernetes with four fake GPUs, and Prometheus on 127.0.0.1:9090 scraping its pods.
#   hack/cluster.sh up        start whatever is not running (idempotent), wait until usable
#   hack/cluster.sh down      stop everything `up` started (by PID); caches and cluster state stay
#   hack/cluster.sh down --purge   also forget the cluster state (etcd data, certificates)
#   hack/cluster.sh status    one line per component; non-zero exit when any is down
#   hack/cluster.sh restart-apiserver   stop kube-apiserver and start it again (the chaos suite's
#                             API server restart); waits until it is ready
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
# The build half (registry, BuildKit, base images) is optional here so that either half can be
# worked on alone; `up` fails below if a function it needs is missing.
for part in images registry buildkit; do
  [ -f "$HACK_DIR/lib/$part.sh" ] && source "$HACK_DIR/lib/$part.sh"
done
source "$HACK_DIR/lib/kube.sh"
source "$HACK_DIR/lib/pki.sh"
source "$HACK_DIR/lib/node.sh"
source "$HACK_DIR/lib/prometheus.sh"

[ "$(id -u)" = 0 ] || die "the local cluster needs root (containerd, network interfaces, iptables)"

call_builder() {
  declare -F "$1" >/dev/null || die "$1 is not defined (hack/lib/registry.sh, buildkit.sh, images.sh)"
  "$@"
}

cluster_up() {
  local started=$SECONDS
  ensure_debian_packages curl openssl etcd-server containerd runc containernetworking-plugins iptables conntrack iproute2
  # Both Go builds start first: on a cold machine they are the long pole, and they overlap the
  # base images' debootstrap, which mostly waits on the Debian mirror.
  declare -F buildkit_build_tools_in_background >/dev/null && buildkit_build_tools_in_background
  kube_binaries_build_in_background
  log "[1/8] registry, BuildKit and base images"
  call_builder registry_up
  call_builder auth_registry_up
  call_builder buildkit_up
  call_builder base_images_up
  source "$HACK_DIR/lib/runtime-images.sh" && call_builder runtime_images_up
  log "[2/8] Kubernetes binaries ($KUBE_VERSION)"
  kube_binaries_ensure
  log "[3/8] node network and certificates"
  node_network_up
  pki_ensure
  component_kubeconfigs_ensure
  log "[4/8] control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler"
  etcd_up
  apiserver_up
  controller_manager_up
  scheduler_up
  log "[5/8] node: containerd, kubelet, fake GPU device plugin, kube-proxy"
  containerd_up
  kubelet_up
  device_plugin_up
  kube_proxy_up
  log "[6/8] waiting for node $NODE_NAME to be Ready with nvidia.com/gpu: $FAKE_GPU_COUNT"
  node_wait_ready 120
  log "[7/8] Gateway API CRDs and the model-canary GatewayClass"
  gateway_api_crds_apply
  gateway_up
  log "[8/8] Prometheus $(prometheus_release), scraping annotated pods"
  prometheus_up
  log "cluster up in $((SECONDS - started))s"
  cat >&2 <<EOF

  The cluster is ready. Use it with:
    export KUBECONFIG=$ADMIN_KUBECONFIG
    export PATH=$BIN_DIR:\$PATH    # kubectl $KUBE_VERSION
    kubectl get nodes
  Registries: localhost:5000 (plain HTTP), localhost:5443 (TLS + login: .cluster/registry-auth/).
  Prometheus: $PROMETHEUS_URL (metrics-url).  Logs: $LOG_DIR/.  Stop with: npm run cluster:down

EOF
}

cluster_down() {
  local purge="${1:-}"
  KUBE="$(kube_bin_dir)/kube"
  prometheus_down
  # Controllers first, so nothing replaces the pods that node_down deletes.
  stop_daemon model-canary-gateway
  stop_daemon kube-scheduler
  stop_daemon kube-controller-manager
  node_down
  control_plane_down
  declare -F buildkit_down >/dev/null && buildkit_down
  declare -F registry_down >/dev/null && registry_down
  declare -F auth_registry_down >/dev/null && auth_registry_down
  if [ "$purge" = "--purge" ]; then
    log "forgetting cluster state: $STATE_DIR/etcd, $STATE_DIR/pki, kubeconfigs, $KUBELET_ROOT"
    rm -rf "$STATE_DIR/etcd" "$PKI_DIR" "$STATE_DIR"/*.kubeconfig "$ADMIN_KUBECONFIG" "$KUBELET_ROOT" "$PROMETHEUS_DATA"
  fi
  log "cluster down (caches kept in $CACHE_DIR)"
}

# component_status NAME CHECK... — one line: ok / running but unhealthy / not running.
component_status() {
  local name="$1"; shift
  if ! daemon_running "$name"; then
    echo "$name: not running"; return 1
  fi
  if "$@" >/dev/null 2>&1; then
    echo "$name: ok (pid $(cat "$PID_DIR/$name.pid"))"
  else
    echo "$name: running (pid $(cat "$PID_DIR/$name.pid")) but not healthy; log $LOG_DIR/$name.log"; return 1
  fi
}

device_plugin_registered() { node_ready_with_gpus; }

cluster_status() {
  local healthy=0
  declare -F registry_status >/dev/null && { registry_status || healthy=1; }
  declare -F auth_registry_status >/dev/null && { auth_registry_status || healthy=1; }
  declare -F buildkit_status >/dev/null && { buildkit_status || healthy=1; }
  if declare -F base_images_status >/dev/null && declare -F registry_answers >/dev/null && registry_answers; then
    base_images_status || healthy=1
  fi
  component_status etcd etcd_healthy || healthy=1
  component_status kube-apiserver apiserver_healthy || healthy=1
  component_status kube-controller-manager secure_healthz 10257 || healthy=1
  component_status kube-scheduler secure_healthz 10259 || healthy=1
  component_status containerd containerd_healthy || healthy=1
  component_status kubelet kubelet_healthy || healthy=1
  component_status fake-gpu-device-plugin device_plugin_registered || healthy=1
  component_status kube-proxy kube_proxy_healthy || healthy=1
  component_status model-canary-gateway gateway_healthy || healthy=1
  prometheus_status || healthy=1
  if apiserver_healthy >/dev/null 2>&1 && node_ready_with_gpus >/dev/null 2>&1; then
    echo "node $NODE_NAME: Ready, nvidia.com/gpu allocatable $FAKE_GPU_COUNT ($KUBE_VERSION; kubeconfig $ADMIN_KUBECONFIG)"
  else
    echo "node $NODE_NAME: not Ready or without nvidia.com/gpu"; healthy=1
  fi
  return $healthy
}

case "${1:-}" in
  up) cluster_up ;;
  down) cluster_down "${2:-}" ;;
  status) cluster_status ;;
  restart-apiserver)
    daemon_running kube-apiserver || die "kube-apiserver is not running; start the cluster with: npm run cluster:up"
    stop_daemon kube-apiserver
    KUBE="$(kube_bin_dir)/kube"
    apiserver_up
    ;;
  *) echo "usage: $0 up|down [--purge]|status|restart-apiserver" >&2; exit 2 ;;
esac
