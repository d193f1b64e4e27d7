#!/usr/bin/env bash
# Prometheus for the metric checks (docs/metrics.md): Debian 12's package, pinned, unpacked into the
# cache (never installed system-wide), listening on 127.0.0.1:9090. It finds pods through the API
# server (kubernetes_sd_configs, role pod) with a client certificate of its own, and scrapes those
# annotated prometheus.io/scrape=true every 2 s at their prometheus.io/port and path, copying the
# pod's labels onto every series (so model-canary.dev/track becomes model_canary_dev_track) with
# namespace and pod: what a metric check's {{ selector }} and {{ pods }} select by.
# Sourced after common.sh, kube.sh and pki.sh.

PROMETHEUS_VERSION="2.42.0+ds-5+deb12u1"
PROMETHEUS_LISTEN=127.0.0.1:9090
PROMETHEUS_URL="http://$PROMETHEUS_LISTEN"
PROMETHEUS_HOME="$CACHE_DIR/prometheus/$PROMETHEUS_VERSION"
PROMETHEUS_BIN="$PROMETHEUS_HOME/usr/bin/prometheus"
PROMETHEUS_CONFIG="$STATE_DIR/prometheus.yml"
PROMETHEUS_DATA="$STATE_DIR/prometheus"
# Short, so a canary step's window of a few seconds already holds samples.
PROMETHEUS_SCRAPE_INTERVAL=2s

prometheus_ready() { curl -fsS --max-time 2 "$PROMETHEUS_URL/-/ready" >/dev/null 2>&1; }

# The pinned package, downloaded with apt-get and unpacked with dpkg -x into the cache, once.
prometheus_ensure() {
  [ -x "$PROMETHEUS_BIN" ] && return 0
  ensure_debian_packages apt dpkg
  local tmp
  tmp="$(mktemp -d)"
  log "downloading Debian's prometheus $PROMETHEUS_VERSION into $PROMETHEUS_HOME"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  fi
  (cd "$tmp" && apt-get download -qq "prometheus=$PROMETHEUS_VERSION" >/dev/null 2>&1) \
    || { rm -rf "$tmp"; die "apt-get download prometheus=$PROMETHEUS_VERSION failed (is Debian 12's main archive in the apt sources?)"; }
  rm -rf "$PROMETHEUS_HOME.partial"
  mkdir -p "$PROMETHEUS_HOME.partial"
  dpkg -x "$tmp"/prometheus_*.deb "$PROMETHEUS_HOME.partial"
  rm -rf "$tmp" "$PROMETHEUS_HOME"
  mv "$PROMETHEUS_HOME.partial" "$PROMETHEUS_HOME"
  "$PROMETHEUS_BIN" --version 2>&1 | head -1 >&2
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
  pki_client_cert prometheus "/CN=system:model-canary-prometheus"
  kubectl_admin apply --server-side --force-conflicts --field-manager model-canary-hack \
    -f "$KUBE_SOURCE_DIR/manifests/prometheus.yaml" >>"$LOG_DIR/prometheus.log" 2>&1 \
    || die "applying Prometheus' RBAC failed; see $LOG_DIR/prometheus.log"
  prometheus_config >"$PROMETHEUS_CONFIG.new"
  "$PROMETHEUS_HOME/usr/bin/promtool" check config "$PROMETHEUS_CONFIG.new" >>"$LOG_DIR/prometheus.log" 2>&1 \
    || die "the Prometheus configuration does not check; see $LOG_DIR/prometheus.log"
  if ! cmp -s "$PROMETHEUS_CONFIG.new" "$PROMETHEUS_CONFIG"; then
    mv "$PROMETHEUS_CONFIG.new" "$PROMETHEUS_CONFIG"
    daemon_running prometheus && { log "Prometheus config changed: restarting it"; stop_daemon prometheus; }
  fi
  rm -f "$PROMETHEUS_CONFIG.new"
  daemon_running prometheus && prometheus_ready && return 0
  if ! daemon_running prometheus && prometheus_ready; then
    die "something not started by hack/ already answers on $PROMETHEUS_LISTEN"
  fi
  mkdir -p "$PROMETHEUS_DATA"
  start_daemon prometheus "$PROMETHEUS_BIN" --config.file="$PROMETHEUS_CONFIG" \
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
    echo "prometheus: ok ($PROMETHEUS_URL, Debian $PROMETHEUS_VERSION, pid $(cat "$PID_DIR/prometheus.pid"), scrape every $PROMETHEUS_SCRAPE_INTERVAL, $(prometheus_targets))"
  elif daemon_running prometheus; then
    echo "prometheus: running (pid $(cat "$PID_DIR/prometheus.pid")) but $PROMETHEUS_URL/-/ready does not answer; log $LOG_DIR/prometheus.log"; return 1
  else
    echo "prometheus: not running"; return 1
  fi
}
