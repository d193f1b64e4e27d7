#!/usr/bin/env bash
# Kubernetes for the local cluster: the binaries (built from the Go module proxy in hack/kube and
# cached by version), the control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) and the Gateway API CRDs. The node side (containerd, CNI, kubelet, the fake GPU
# device plugin, kube-proxy) lives in node.sh. Expects common.sh to be sourced.

KUBE_VERSION="v1.34.4"            # keep in step with hack/kube/go.mod
# Standard-channel CRDs, taken from the Go module's zip. v1.7.0's go.mod asks for Go 1.27, which
# `go mod download` refuses with the machine's Go 1.26; v1.6.3 is the newest that it accepts.
GATEWAY_API_VERSION="v1.6.3"

NODE_NAME="model-canary-gpu-0"
# Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544), never from the private
# ranges: pods get 198.18.0.0/16 (this node's podCIDR 198.18.0.0/24), Services 198.19.0.0/16, and
# the node itself 198.18.255.254 on an interface of its own (mc0), because the kubelet refuses a loopback node
# IP and the machine's own interface must not carry cluster traffic.
NODE_INTERFACE="mc0"
NODE_IP="198.18.255.254"
CLUSTER_CIDR="198.18.0.0/16"
NODE_POD_CIDR="198.18.0.0/24"
SERVICE_CIDR="198.19.0.0/16"
SERVICE_CIDR_FIRST_IP="198.19.0.1"
BENCHMARK_RANGE="198.18.0.0/15"

APISERVER_PORT=6443
APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"
ETCD_CLIENT_URL="http://127.0.0.1:2379"
ETCD_PEER_URL="http://127.0.0.1:2380"
ADMIN_KUBECONFIG="$STATE_DIR/kubeconfig"
KUBE_SOURCE_DIR="$REPO_ROOT/hack/kube"

go_binary() {
  command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || die "Go is required to build Kubernetes (expected on PATH or /usr/local/go/bin/go)"
}

# The cache key covers everything that changes the binary: the release and our module's sources.
kube_source_hash() {
  (cd "$KUBE_SOURCE_DIR" && cat go.mod go.sum $(find "$@" -name '*.go' ! -name '*_test.go' | sort)) | sha256sum | cut -c1-12
}

kube_bin_dir() { echo "$BIN_DIR/kube-$KUBE_VERSION-$(kube_source_hash cmd/kube)"; }
device_plugin_bin_dir() { echo "$BIN_DIR/fake-gpu-device-plugin-$(kube_source_hash cmd/fake-gpu-device-plugin)"; }
gateway_bin_dir() { echo "$BIN_DIR/model-canary-gateway-$(kube_source_hash cmd/model-canary-gateway)"; }

# go_build_with_progress LABEL OUTPUT PACKAGE LDFLAGS [MODULE_DIR [TAGS]] — builds in the background
# and prints how many of the package's dependencies have been compiled, so a cold build (many
# minutes) shows progress. MODULE_DIR defaults to hack/kube.
go_build_with_progress() {
  local label="$1" output="$2" package="$3" ldflags="$4" dir="${5:-$KUBE_SOURCE_DIR}" tags="${6:-}" go log total started pid built
  go="$(go_binary)"
  log="$LOG_DIR/build-$(basename "$output").log"
  started=$SECONDS
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
  log "building $label (log .cluster/logs/$(basename "$log"))"
  (cd "$dir" && "$go" mod download) >"$log" 2>&1 || die "downloading Go modules for $label failed; see $log"
  total="$(cd "$dir" && "$go" list -tags "$tags" -deps "$package" 2>>"$log" | wc -l)"
  (cd "$dir" && exec "$go" build -v -trimpath -tags "$tags" -ldflags "$ldflags" -o "$output.partial" "$package") >>"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    built="$(grep -c -v -e '^#' -e ' ' "$log" || true)"
    log "  $label: ~$built/$total packages compiled, $((SECONDS - started))s"
  done
  wait "$pid" || die "building $label failed; see $log"
  mv "$output.partial" "$output"
  log "built $label in $((SECONDS - started))s"
}

kube_binaries_built() {
  [ -x "$(kube_bin_dir)/kube" ] && [ -x "$(device_plugin_bin_dir)/fake-gpu-device-plugin" ] \
    && [ -x "$(gateway_bin_dir)/model-canary-gateway" ]
}

# kube_binaries_build_in_background — starts a cold build early so that it overlaps the work
# that waits on the network (Debian packages, debootstrap); kube_binaries_ensure waits for it.
kube_binaries_build_in_background() {
  kube_binaries_built && return 0
  ( kube_binaries_ensure ) </dev/null &
  KUBE_BUILD_PID=$!
}

# kube_binaries_ensure — builds the multi-call `kube` binary and the device plugin unless the
# cache already holds them for this version and source, then links the stable names on PATH.
kube_binaries_ensure() {
  local kube_dir plugin_dir gateway_dir ldflags package
  if [ -n "${KUBE_BUILD_PID:-}" ]; then
    wait "$KUBE_BUILD_PID" || die "building Kubernetes failed; see $LOG_DIR/build-kube.log"
    KUBE_BUILD_PID=""
  fi
  kube_dir="$(kube_bin_dir)"
  plugin_dir="$(device_plugin_bin_dir)"
  gateway_dir="$(gateway_bin_dir)"
  if [ ! -x "$kube_dir/kube" ]; then
    mkdir -p "$kube_dir"
    ldflags="-s -w"
    # Components report and negotiate their version from these variables (what hack/lib/version.sh
    # in kubernetes sets); without them they would call themselves v0.0.0-master.
    for package in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      ldflags="$ldflags -X $package.gitVersion=$KUBE_VERSION -X $package.gitMajor=$(echo "$KUBE_VERSION" | cut -d. -f1 | tr -d v)"
      ldflags="$ldflags -X $package.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) -X $package.gitTreeState=clean"
    done
    go_build_with_progress "Kubernetes $KUBE_VERSION" "$kube_dir/kube" ./cmd/kube "$ldflags"
  fi
  for name in kubectl kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    ln -sfn kube "$kube_dir/$name"
  done
  if [ ! -x "$plugin_dir/fake-gpu-device-plugin" ]; then
    mkdir -p "$plugin_dir"
    go_build_with_progress "fake GPU device plugin" "$plugin_dir/fake-gpu-device-plugin" ./cmd/fake-gpu-device-plugin "-s -w"
  fi
  if [ ! -x "$gateway_dir/model-canary-gateway" ]; then
    mkdir -p "$gateway_dir"
    go_build_with_progress "Gateway API implementation" "$gateway_dir/model-canary-gateway" ./cmd/model-canary-gateway "-s -w"
  fi
  # Stable names for scripts and tests: $BIN_DIR is on PATH (common.sh).
  ln -sfn "$kube_dir/kube" "$BIN_DIR/kubectl"
  KUBE="$kube_dir/kube"
  DEVICE_PLUGIN="$plugin_dir/fake-gpu-device-plugin"
  GATEWAY="$gateway_dir/model-canary-gateway"
}

# start_component NAME BINARY ARGS... — start_daemon, but first stops a running NAME whose
# executable is not BINARY (a rebuilt or upgraded binary), so `up` converges after a change.
start_component() {
  local name="$1" binary="$2" running
  if daemon_running "$name"; then
    running="$(readlink -f "/proc/$(cat "$PID_DIR/$name.pid")/exe" 2>/dev/null || true)"
    if [ -n "$running" ] && [ "$running" != "$(readlink -f "$binary")" ]; then
      log "$name runs an outdated binary; restarting it"
      stop_daemon "$name"
    fi
  fi
  shift
  start_daemon "$name" "$@"
}

kubectl_admin() { "$BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# wait_for_component NAME SECONDS CHECK... — like wait_for, but fails at once, with the end of the
# component's log, when its process has died instead of waiting out the timeout.
wait_for_component() {
  local name="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! daemon_running "$name"; then
      tail -n 25 "$LOG_DIR/$name.log" >&2 2>/dev/null
      die "$name exited during start-up; full log: $LOG_DIR/$name.log"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 25 "$LOG_DIR/$name.log" >&2 2>/dev/null
      die "$name not healthy after ${seconds}s; full log: $LOG_DIR/$name.log"
    fi
    sleep 0.5
  done
}

etcd_healthy() { curl -fsS --max-time 2 "$ETCD_CLIENT_URL/health" | grep -q '"health":"true"'; }

etcd_up() {
  ensure_debian_packages etcd-server
  mkdir -p "$STATE_DIR/etcd"
  chmod 700 "$STATE_DIR/etcd"
  start_daemon etcd /usr/bin/etcd --name model-canary --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "$ETCD_CLIENT_URL" --advertise-client-urls "$ETCD_CLIENT_URL" \
    --listen-peer-urls "$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" \
    --initial-cluster "model-canary=$ETCD_PEER_URL" --initial-cluster-state new \
    --quota-backend-bytes 2147483648 --snapshot-count 10000 --logger zap --log-level warn
  wait_for_component etcd 60 etcd_healthy
}

apiserver_healthy() {
  curl -fsS --max-time 3 --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" \
    "$APISERVER_URL/readyz" | grep -q '^ok$'
}

apiserver_up() {
  # Binds all addresses because pods reach it at the node IP (through the `kubernetes` Service)
  # and local clients at 127.0.0.1; everything it serves needs a client certificate or a token.
  start_component kube-apiserver "$KUBE" kube-apiserver \
    --etcd-servers "$ETCD_CLIENT_URL" \
    --bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
    --client-ca-file "$PKI_DIR/ca.crt" \
    --kubelet-client-certificate "$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI_DIR/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI_DIR/sa.pub" \
    --service-account-signing-key-file "$PKI_DIR/sa.key" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --profiling=false \
    --event-ttl 2h
  wait_for_component kube-apiserver 120 apiserver_healthy
}

component_kubeconfigs_ensure() {
  write_kubeconfig "$ADMIN_KUBECONFIG" model-canary-admin admin "$APISERVER_URL"
  write_kubeconfig "$STATE_DIR/controller-manager.kubeconfig" system:kube-controller-manager controller-manager "$APISERVER_URL"
  write_kubeconfig "$STATE_DIR/scheduler.kubeconfig" system:kube-scheduler scheduler "$APISERVER_URL"
  write_kubeconfig "$STATE_DIR/kube-proxy.kubeconfig" system:kube-proxy kube-proxy "$APISERVER_URL"
  write_kubeconfig "$STATE_DIR/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet "$APISERVER_URL"
  write_kubeconfig "$STATE_DIR/gateway.kubeconfig" system:model-canary-gateway gateway "$APISERVER_URL"
}

secure_healthz() { curl -fsSk --max-time 2 "https://127.0.0.1:$1/healthz" | grep -q '^ok$'; }

# A single node with a single instance of each: leader election would only add lease waits on
# restart.
controller_manager_up() {
  local kubeconfig="$STATE_DIR/controller-manager.kubeconfig"
  start_component kube-controller-manager "$KUBE" kube-controller-manager \
    --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
    --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
    --root-ca-file "$PKI_DIR/ca.crt" --service-account-private-key-file "$PKI_DIR/sa.key" \
    --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 \
    --service-cluster-ip-range "$SERVICE_CIDR"
  wait_for_component kube-controller-manager 60 secure_healthz 10257
}

scheduler_up() {
  local kubeconfig="$STATE_DIR/scheduler.kubeconfig"
  start_component kube-scheduler "$KUBE" kube-scheduler \
    --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false
  wait_for_component kube-scheduler 60 secure_healthz 10259
}

# gateway_api_crds_apply — the standard-channel CRDs shipped inside the sigs.k8s.io/gateway-api
# module zip (there is no internet, but the Go module proxy is reachable).
gateway_api_crds_apply() {
  local go dir
  if kubectl_admin get crd httproutes.gateway.networking.k8s.io -o jsonpath='{.metadata.annotations.gateway\.networking\.k8s\.io/bundle-version}' 2>/dev/null | grep -qx "$GATEWAY_API_VERSION"; then
    return 0
  fi
  go="$(go_binary)"
  dir="$(cd "$STATE_DIR" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" 2>>"$LOG_DIR/gateway-api.log" \
    | tee -a "$LOG_DIR/gateway-api.log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" \
    || die "downloading sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION failed; see $LOG_DIR/gateway-api.log"
  [ -d "$dir/config/crd/standard" ] || die "Gateway API $GATEWAY_API_VERSION module has no config/crd/standard"
  log "applying Gateway API $GATEWAY_API_VERSION CRDs (standard channel)"
  kubectl_admin apply --server-side --force-conflicts -f "$dir/config/crd/standard/" >>"$LOG_DIR/gateway-api.log" 2>&1 \
    || die "applying Gateway API CRDs failed; see $LOG_DIR/gateway-api.log"
  kubectl_admin wait --for condition=Established --timeout 60s crd --all >/dev/null \
    || die "Gateway API CRDs not established after 60s"
}

gateway_healthy() {
  kubectl_admin get gatewayclass model-canary -o jsonpath='{.status.conditions[?(@.type=="Accepted")].status}' | grep -qx True
}

# gateway_up — our Gateway API implementation (see hack/kube/cmd/model-canary-gateway): its
# GatewayClass and RBAC, then the daemon, which serves Gateway listeners on the node IP.
gateway_up() {
  kubectl_admin apply --server-side --force-conflicts --field-manager model-canary-hack \
    -f "$KUBE_SOURCE_DIR/manifests/model-canary-gateway.yaml" >>"$LOG_DIR/gateway-api.log" 2>&1 \
    || die "applying the model-canary GatewayClass failed; see $LOG_DIR/gateway-api.log"
  start_component model-canary-gateway "$GATEWAY" --kubeconfig "$STATE_DIR/gateway.kubeconfig" --bind-address "$NODE_IP"
  wait_for_component model-canary-gateway 60 gateway_healthy
}

control_plane_down() {
  stop_daemon kube-scheduler
  stop_daemon kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
}
