#!/usr/bin/env bash
# The local cluster's one node: its network (a dummy interface for the node IP, a CNI bridge for
# pods), containerd + runc, the kubelet, the fake GPU device plugin and kube-proxy.
# Expects common.sh, kube.sh and pki.sh to be sourced.

# The private registry's name and CA go into this configuration too.
source "$(dirname "${BASH_SOURCE[0]}")/registry-auth.sh"

# Runtime state lives under /run (gone on reboot, like the kernel objects it describes); pulled
# images and snapshots live in the cache, so they survive `cluster:down` and a fresh clone.
RUNTIME_STATE_DIR="/run/model-canary"
CONTAINERD_SOCKET="$RUNTIME_STATE_DIR/containerd/containerd.sock"
CONTAINERD_ROOT="$CACHE_DIR/containerd"
CNI_CONF_DIR="$STATE_DIR/cni/net.d"
CNI_BIN_DIR="/usr/lib/cni"
CNI_IPAM_DIR="$RUNTIME_STATE_DIR/cni/networks"
CNI_BRIDGE="mc-br0"
POD_GATEWAY_IP="198.18.0.1"
KUBELET_ROOT="/var/lib/kubelet"   # the device-plugin API fixes its socket directory under here
SANDBOX_IMAGE="localhost:5000/pause:3.10"
FAKE_GPU_COUNT=4
FAKE_GPU_PRODUCT="NVIDIA-H100-80GB-HBM3"
FAKE_GPU_MEMORY_MIB=81559
EGRESS_GUARD_RULE=(FORWARD -s "$CLUSTER_CIDR" ! -d "$BENCHMARK_RANGE" -m comment --comment "model-canary: pods may only reach the benchmarking range" -j DROP)

# write_if_changed FILE — writes stdin to FILE only when the content differs, and says whether it
# did (exit 0 = changed), so callers know when a running daemon is on a stale configuration.
write_if_changed() {
  local file="$1" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 1; fi
  mkdir -p "$(dirname "$file")"
  mv "$tmp" "$file"
  chmod 644 "$file"
  return 0
}

node_network_up() {
  ensure_debian_packages iproute2 iptables containernetworking-plugins conntrack
  # A port-less bridge rather than a dummy interface: this kernel has no dummy driver, and an
  # address on an up bridge is just as local.
  ip link show "$NODE_INTERFACE" >/dev/null 2>&1 || ip link add "$NODE_INTERFACE" type bridge
  ip -4 addr show dev "$NODE_INTERFACE" | grep -q "inet $NODE_IP/32" || ip addr add "$NODE_IP/32" dev "$NODE_INTERFACE"
  ip link set "$NODE_INTERFACE" up
  # Bridged pod-to-Service traffic must pass through kube-proxy's iptables rules.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
  # Pods have no default route (see the CNI config); this drop is the second fence, in case a
  # workload adds one, so no pod traffic ever leaves for the machine's real network.
  iptables -C "${EGRESS_GUARD_RULE[@]}" 2>/dev/null || iptables -I "${EGRESS_GUARD_RULE[@]}"
  write_if_changed "$CNI_CONF_DIR/10-model-canary.conflist" <<EOF || true
{
  "cniVersion": "1.0.0",
  "name": "model-canary",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$POD_GATEWAY_IP" }]],
        "routes": [{ "dst": "$BENCHMARK_RANGE" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# containerd answers `ctr version` before its CRI plugin has restored its state; a kubelet started
# then exits at once ("server is not initialized yet"). The CRI plugin logs "Start streaming
# server" just before it marks itself initialized: wait for that line after the last start.
containerd_cri_ready() {
  awk '/msg="starting containerd"/ { ready = 0 } /msg="Start streaming server"/ { ready = 1 } END { exit !ready }' \
    "$LOG_DIR/containerd.log"
}
containerd_healthy() { ctr --address "$CONTAINERD_SOCKET" version && containerd_cri_ready; }

containerd_up() {
  ensure_debian_packages containerd runc
  mkdir -p "$CONTAINERD_ROOT" "$RUNTIME_STATE_DIR/containerd" "$STATE_DIR/containerd/certs.d/localhost:5000"
  write_if_changed "$STATE_DIR/containerd/certs.d/localhost:5000/hosts.toml" <<'EOF' || true
# The local registry speaks plain HTTP.
server = "http://localhost:5000"

[host."http://localhost:5000"]
  capabilities = ["pull", "resolve", "push"]
EOF
  # The private registry: its CA is trusted, but the node holds no login, so a pod pulls from it
  # only with an image pull Secret. The [host] entry is what makes containerd speak TLS to it: a
  # bare `server` on localhost is spoken to in plain HTTP (answered 400).
  mkdir -p "$STATE_DIR/containerd/certs.d/$AUTH_REGISTRY"
  write_if_changed "$STATE_DIR/containerd/certs.d/$AUTH_REGISTRY/hosts.toml" <<EOF || true
server = "https://$AUTH_REGISTRY"

[host."https://$AUTH_REGISTRY"]
  capabilities = ["pull", "resolve"]
  ca = "$AUTH_REGISTRY_CA"
EOF
  if write_if_changed "$STATE_DIR/containerd/config.toml" <<EOF && daemon_running containerd; then
version = 2
root = "$CONTAINERD_ROOT"
state = "$RUNTIME_STATE_DIR/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$CONTAINERD_SOCKET"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_IMAGE"
  # This machine withholds CAP_SYS_RESOURCE even from root, so runc may not lower a container's
  # oom_score_adj below ours (the kubelet asks -998 for sandboxes); clamp instead of failing.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$RUNTIME_STATE_DIR/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE_DIR/containerd/certs.d"
EOF
    log "containerd configuration changed; restarting containerd"
    stop_daemon containerd
  fi
  start_daemon containerd /usr/bin/containerd --config "$STATE_DIR/containerd/config.toml"
  wait_for_component containerd 60 containerd_healthy
}

kubelet_healthy() { curl -fsS --max-time 2 http://127.0.0.1:10248/healthz | grep -q '^ok$'; }

kubelet_up() {
  mkdir -p "$KUBELET_ROOT"
  # Written by the kubelet's config loader as-is; relaxed evictions because this machine's disk
  # and memory are shared with builds, and a node that evicts its own test pods proves nothing.
  write_if_changed "$STATE_DIR/kubelet/config.yaml" <<EOF && daemon_running kubelet && { log "kubelet configuration changed; restarting the kubelet"; stop_daemon kubelet; }
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI_DIR/kubelet-serving.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI_DIR/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$CONTAINERD_SOCKET
cgroupDriver: cgroupfs
# The machine has cgroup v1; Kubernetes 1.35 refuses it unless told otherwise, 1.34 only warns.
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
# No cluster DNS, and the host's resolver is on a private address pods must not reach.
resolvConf: ""
registerWithTaints:
- key: nvidia.com/gpu
  value: present
  effect: NoSchedule
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: false
maxPods: 110
podPidsLimit: -1
EOF
  start_component kubelet "$KUBE" kubelet \
    --config "$STATE_DIR/kubelet/config.yaml" \
    --kubeconfig "$STATE_DIR/kubelet.kubeconfig" \
    --root-dir "$KUBELET_ROOT" \
    --hostname-override "$NODE_NAME" \
    --node-ip "$NODE_IP" \
    --node-labels "nvidia.com/gpu.present=true,nvidia.com/gpu.product=$FAKE_GPU_PRODUCT,nvidia.com/gpu.memory=$FAKE_GPU_MEMORY_MIB,nvidia.com/gpu.count=$FAKE_GPU_COUNT"
  wait_for_component kubelet 90 kubelet_healthy
}

# The plugin socket only appears once the kubelet's device manager is listening.
device_plugin_up() {
  start_component fake-gpu-device-plugin "$DEVICE_PLUGIN" --devices "$FAKE_GPU_COUNT" \
    --plugin-dir "$KUBELET_ROOT/device-plugins"
}

kube_proxy_healthy() { curl -fsS --max-time 2 http://127.0.0.1:10256/healthz >/dev/null; }

kube_proxy_up() {
  write_if_changed "$STATE_DIR/kube-proxy.yaml" <<EOF && daemon_running kube-proxy && { log "kube-proxy configuration changed; restarting it"; stop_daemon kube-proxy; }
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE_DIR/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $CLUSTER_CIDR
# NodePorts only on the node IP, never on the machine's real interface.
nodePortAddresses: ["$NODE_IP/32"]
iptables:
  localhostNodePorts: false
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# Leave the machine's conntrack sysctls alone.
conntrack:
  maxPerCore: 0
  min: 0
EOF
  start_component kube-proxy "$KUBE" kube-proxy --config "$STATE_DIR/kube-proxy.yaml"
  wait_for_component kube-proxy 60 kube_proxy_healthy
}

node_ready_with_gpus() {
  local ready gpus
  ready="$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
  gpus="$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}')"
  [ "$ready" = "True" ] && [ "$gpus" = "$FAKE_GPU_COUNT" ]
}

# node_wait_ready SECONDS — waits for the node to be Ready with all fake GPUs allocatable; on
# failure says which part is missing and where to look.
node_wait_ready() {
  local deadline=$((SECONDS + $1)) name
  until node_ready_with_gpus >/dev/null 2>&1; do
    for name in kubelet fake-gpu-device-plugin; do
      daemon_running "$name" || { tail -n 25 "$LOG_DIR/$name.log" >&2 2>/dev/null; die "$name exited; full log: $LOG_DIR/$name.log"; }
    done
    if [ $SECONDS -ge $deadline ]; then
      kubectl_admin get node "$NODE_NAME" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.message}{"\n"}{end}allocatable nvidia.com/gpu={.status.allocatable.nvidia\.com/gpu}{"\n"}' >&2 2>/dev/null || true
      die "node $NODE_NAME not Ready with nvidia.com/gpu $FAKE_GPU_COUNT after $1s; logs: $LOG_DIR/kubelet.log, $LOG_DIR/fake-gpu-device-plugin.log"
    fi
    sleep 0.5
  done
}

# pods_stop — asks the API server to delete every pod so the kubelet stops them the normal way
# (CNI teardown, volume unmounts, IP release). Controllers must already be stopped, or they would
# replace the pods; their owners stay, so the workloads come back on the next `up`.
pods_stop() {
  apiserver_healthy 2>/dev/null && daemon_running kubelet || return 0
  log "deleting pods so the kubelet stops their containers"
  kubectl_admin delete pods --all --all-namespaces --wait=true --timeout=90s >/dev/null 2>&1 \
    || log "some pods did not stop within 90s; removing their containers directly"
}

# containers_remove — whatever the kubelet left behind (it was not running, or a pod hung):
# kill the tasks so their shims exit, and delete the containers from containerd's k8s.io namespace.
containers_remove() {
  containerd_healthy >/dev/null 2>&1 || return 0
  local ctr_k8s=(ctr --address "$CONTAINERD_SOCKET" --namespace k8s.io) id
  for id in $("${ctr_k8s[@]}" tasks list -q 2>/dev/null); do
    "${ctr_k8s[@]}" tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $("${ctr_k8s[@]}" tasks list -q 2>/dev/null); do
    "${ctr_k8s[@]}" tasks delete --force "$id" >/dev/null 2>&1 || true
  done
  for id in $("${ctr_k8s[@]}" containers list -q 2>/dev/null); do
    "${ctr_k8s[@]}" containers delete "$id" >/dev/null 2>&1 || true
  done
}

# unmount_under DIR — lazily unmounts every mount point below DIR, deepest first.
unmount_under() {
  local dir="$1"
  awk -v prefix="$dir/" 'index($2, prefix) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mountpoint; do
    umount -l "$mountpoint" 2>/dev/null || true
  done
}

node_network_down() {
  local netns
  # Network namespaces the CRI plugin made for pod sandboxes (bind mounts under /run/netns).
  for netns in /run/netns/cni-*; do
    [ -e "$netns" ] || continue
    umount "$netns" 2>/dev/null || true
    rm -f "$netns"
  done
  rm -rf "$CNI_IPAM_DIR"
  ip link show "$CNI_BRIDGE" >/dev/null 2>&1 && ip link delete "$CNI_BRIDGE"
  ip link show "$NODE_INTERFACE" >/dev/null 2>&1 && ip link delete "$NODE_INTERFACE"
  while iptables -C "${EGRESS_GUARD_RULE[@]}" 2>/dev/null; do iptables -D "${EGRESS_GUARD_RULE[@]}"; done
  return 0
}

# kubelet_iptables_remove — the chains the kubelet itself makes (kube-proxy --cleanup leaves
# them): its canaries, the iptables-mode hint and the filter that drops outside traffic to 127/8.
kubelet_iptables_remove() {
  local iptables table chain rule
  for iptables in iptables ip6tables; do
    for table in filter nat mangle; do
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        "$iptables" -t "$table" -S "$chain" >/dev/null 2>&1 || continue
        { "$iptables" -t "$table" -S | grep -e "-j $chain\$" || true; } | while read -r rule; do
          eval "\"\$iptables\" -t \"\$table\" ${rule/#-A /-D }" || true
        done
        "$iptables" -t "$table" -F "$chain" && "$iptables" -t "$table" -X "$chain" || true
      done
    done
  done
}

node_down() {
  pods_stop
  stop_daemon fake-gpu-device-plugin
  stop_daemon kube-proxy
  # kube-proxy's own clean-up mode removes the iptables chains and rules it made.
  if [ -n "${KUBE:-}" ] && [ -x "$KUBE" ]; then
    "$KUBE" kube-proxy --cleanup >>"$LOG_DIR/kube-proxy.log" 2>&1 || true
  fi
  stop_daemon kubelet
  containers_remove
  stop_daemon containerd
  unmount_under "$KUBELET_ROOT"
  # The kubelet bind-mounts its root directory onto itself to make it a shared mount.
  mountpoint -q "$KUBELET_ROOT" && umount -l "$KUBELET_ROOT"
  kubelet_iptables_remove
  unmount_under "$RUNTIME_STATE_DIR"
  unmount_under "$CONTAINERD_ROOT"
  node_network_down
}
