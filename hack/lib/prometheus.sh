#!/usr/bin/env bash
# Prometheus for the metric checks (docs/metrics.md), listening on 127.0.0.1:9090. It finds pods
# through the API server (kubernetes_sd_configs, role pod) with a client certificate of its own,
# and scrapes those annotated prometheus.io/scrape=true every 2 s at their prometheus.io/port and
# path, copying the pod's labels onto every series (model-canary.dev/track becomes
# model_canary_dev_track) with namespace and pod: what a metric check's {{ selector }} and
# {{ pods }} select by.
#
# Debian 12's prometheus package is built without Kubernetes discovery (its configuration refuses
# kubernetes_sd_configs), so Prometheus is built from the Go module proxy instead: the module in
# hack/prometheus pins the release (go.mod, go.sum), and only Kubernetes discovery is compiled in
# (Prometheus' remove_all_sd and enable_kubernetes_sd build tags). The binary is cached by version
# and module hash, like the Kubernetes binaries. Sourced after common.sh, kube.sh and pki.sh.

PROMETHEUS_SOURCE_DIR="$REPO_ROOT/hack/prometheus"
PROMETHEUS_MODULE_VERSION="$(sed -n 's/^\tgithub.com\/prometheus\/prometheus \(v[^ ]*\).*/\1/p' "$PROMETHEUS_SOURCE_DIR/go.mod")"
PROMETHEUS_LISTEN=127.0.0.1:9090
PROMETHEUS_URL="http://$PROMETHEUS_LISTEN"
PROMETHEUS_CONFIG="$STATE_DIR/prometheus.yml"
PROMETHEUS_DATA="$STATE_DIR/prometheus"
PROMETHEUS_BUILD_TAGS="remove_all_sd,enable_kubernetes_sd"
# Short, so a canary step's window of a few seconds already holds samples.
PROMETHEUS_SCRAPE_INTERVAL=2s

prometheus_bin() {
  echo "$BIN_DIR/prometheus-$PROMETHEUS_MODULE_VERSION-$( (cd "$PROMETHEUS_SOURCE_DIR" && cat go.mod go.sum) | sha256sum | cut -c1-12)/prometheus"
}

prometheus_ready() { curl -fsS --max-time 2 "$PROMETHEUS_URL/-/ready" >/dev/null 2>&1; }

# The release a module version stands for: Prometheus 3.5.0 is published as Go module v0.305.0.
prometheus_release() {
  local minor="${PROMETHEUS_MODULE_VERSION#v0.}"
  minor="${minor%%.*}"
  echo "$((minor / 100)).$((minor % 100)).${PROMETHEUS_MODULE_VERSION##*.}"
}

# The pinned release, built once from the Go module proxy (measured: 25 minutes on two busy cores;
# cached after).
prometheus_ensure() {
  local bin ldflags
  bin="$(prometheus_bin)"
  [ -x "$bin" ] && return 0
  mkdir -p "$(dirname "$bin")"
  # What Prometheus' own build sets, so --version and /api/v1/status/buildinfo name the release.
  ldflags="-s -w -X github.com/prometheus/common/version.Version=$(prometheus_release)"
  ldflags="$ldflags -X github.com/prometheus/common/version.Branch=go-module-proxy"
  ldflags="$ldflags -X github.com/prometheus/common/version.Revision=$PROMETHEUS_MODULE_VERSION"
  go_build_with_progress "Prometheus $(prometheus_release) (Kubernetes discovery only)" "$bin" \
    github.com/prometheus/prometheus/cmd/prometheus "$ldflags" "$PROMETHEUS_SOURCE_DIR" "$PROMETHEUS_BUILD_TAGS"
}

prometheus_config() {
  cat <<YAML
global:
  scrape_interval: $PROMETHEUS_SCRAPE_INTERVAL
  scrape_timeout: $PROMETHEUS_SCRAPE_INTERVAL
  evaluation_interval: $PROMETHEUS_SCRAPE_INTERVAL
scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
        api_server: $APISERVER_URL
        tls_config:
          ca_file: $PKI_DIR/ca.crt
          cert_file: $PKI_DIR/prometheus.crt
          key_file: $PKI_DIR/prometheus.key
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: 'true'
      # Running pods only: a terminated one's address may already be another pod's.
      - source_labels: [__meta_kubernetes_pod_phase]
        action: keep
        regex: Running
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: (.+);(\d+)
        replacement: \$1:\$2
        target_label: __address__
      - action: labelmap
        regex: __meta_kubernetes_pod_label_(.+)
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
YAML
}

prometheus_up() {
  ensure_debian_packages curl
  prometheus_ensure
  local bin
  bin="$(prometheus_bin)"
  pki_client_cert prometheus "/CN=system:model-canary-prometheus"
  kubectl_admin apply --server-side --force-conflicts --field-manager model-canary-hack \
    -f "$KUBE_SOURCE_DIR/manifests/prometheus.yaml" >>"$LOG_DIR/prometheus.log" 2>&1 \
    || die "applying Prometheus' RBAC failed; see $LOG_DIR/prometheus.log"
  prometheus_config >"$PROMETHEUS_CONFIG.new"
  if ! cmp -s "$PROMETHEUS_CONFIG.new" "$PROMETHEUS_CONFIG"; then
    mv "$PROMETHEUS_CONFIG.new" "$PROMETHEUS_CONFIG"
    daemon_running prometheus && { log "Prometheus config changed: restarting it"; stop_daemon prometheus; }
  fi
  rm -f "$PROMETHEUS_CONFIG.new"
  if ! daemon_running prometheus && prometheus_ready; then
    die "something not started by hack/ already answers on $PROMETHEUS_LISTEN"
  fi
  mkdir -p "$PROMETHEUS_DATA"
  # start_component restarts a running Prometheus whose binary is not this build (kube.sh).
  start_component prometheus "$bin" --config.file="$PROMETHEUS_CONFIG" \
    --storage.tsdb.path="$PROMETHEUS_DATA" --storage.tsdb.retention.time=2d \
    --web.listen-address="$PROMETHEUS_LISTEN"
  wait_for "Prometheus on $PROMETHEUS_LISTEN" 60 prometheus_ready
}

prometheus_down() { stop_daemon prometheus; }

# How many pods Prometheus scrapes, and how many of them answer.
prometheus_targets() {
  curl -fsS --max-time 3 "$PROMETHEUS_URL/api/v1/targets?state=active" 2>/dev/null \
    | python3 -c 'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"]; print(f"{sum(x["health"]=="up" for x in t)}/{len(t)} pod targets up")' 2>/dev/null \
    || echo "targets unknown"
}

prometheus_status() {
  if daemon_running prometheus && prometheus_ready; then
    echo "prometheus: ok ($PROMETHEUS_URL, $(prometheus_release), pid $(cat "$PID_DIR/prometheus.pid"), scrape every $PROMETHEUS_SCRAPE_INTERVAL, $(prometheus_targets))"
  elif daemon_running prometheus; then
    echo "prometheus: running (pid $(cat "$PID_DIR/prometheus.pid")) but $PROMETHEUS_URL/-/ready does not answer; log $LOG_DIR/prometheus.log"; return 1
  else
    echo "prometheus: not running"; return 1
  fi
}
