#!/usr/bin/env bash
# Proves the local cluster does what issue 3 promises, with kubectl only (builds nothing):
#  - a Deployment whose pod asks for nvidia.com/gpu: 1 and tolerates the GPU taint runs the
#    Python base image from localhost:5000, gets a pod IP from the CNI range and one fake GPU;
#  - its HTTP answer comes back through the API server's service proxy;
#  - the ClusterIP works from inside the pod (kube-proxy) and `kubectl exec/logs` work (kubelet
#    authn/authz through the API server);
#  - a pod asking for more GPUs than the node has stays Pending with a FailedScheduling event;
#  - Gateway API: a Gateway of class model-canary and an HTTPRoute splitting 90/10 between two
#    Services answer through the API server's service proxy, split traffic by the weights, and
#    follow a weight change.
# Exits non-zero at the first failed assertion. Needs `hack/cluster.sh up` first.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HACK_DIR/lib/common.sh"
source "$HACK_DIR/lib/images.sh"
source "$HACK_DIR/lib/kube.sh"

NAMESPACE="model-canary-smoke"
IMAGE="${SMOKE_IMAGE:-$PYTHON_BASE_IMAGE}"
export KUBECONFIG="$ADMIN_KUBECONFIG"
KUBECTL=("$BIN_DIR/kubectl" --request-timeout=30s)

pass() { log "PASS: $*"; }
fail() { log "FAIL: $*"; "${KUBECTL[@]}" -n "$NAMESPACE" get pods,events -o wide >&2 2>/dev/null || true; exit 1; }

[ -s "$KUBECONFIG" ] || fail "no kubeconfig at $KUBECONFIG; run hack/cluster.sh up"
"${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1 || fail "the API server does not answer; run hack/cluster.sh up"

cleanup() { "${KUBECTL[@]}" delete namespace "$NAMESPACE" --ignore-not-found --wait=true --timeout=90s >/dev/null 2>&1 || true; }
cleanup
trap cleanup EXIT
"${KUBECTL[@]}" create namespace "$NAMESPACE" >/dev/null

"${KUBECTL[@]}" -n "$NAMESPACE" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gpu-echo
spec:
  replicas: 1
  selector:
    matchLabels: {app: gpu-echo}
  template:
    metadata:
      labels: {app: gpu-echo}
    spec:
      nodeSelector:
        nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
      tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      terminationGracePeriodSeconds: 2
      containers:
      - name: server
        image: $IMAGE
        command: [sh, -c, 'mkdir -p /srv && echo "visible-gpus=\$NVIDIA_VISIBLE_DEVICES" >/srv/index.html && echo serving && exec python3 -m http.server 8080 --directory /srv']
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
        resources:
          limits: {nvidia.com/gpu: 1}
---
apiVersion: v1
kind: Service
metadata:
  name: gpu-echo
spec:
  selector: {app: gpu-echo}
  ports: [{port: 80, targetPort: 8080}]
EOF

"${KUBECTL[@]}" -n "$NAMESPACE" rollout status deployment/gpu-echo --timeout=180s >/dev/null \
  || fail "Deployment gpu-echo did not become available"
pass "Deployment with nvidia.com/gpu: 1 and the GPU toleration is available"

pod="$("${KUBECTL[@]}" -n "$NAMESPACE" get pods -l app=gpu-echo -o jsonpath='{.items[0].metadata.name}')"
pod_ip="$("${KUBECTL[@]}" -n "$NAMESPACE" get pod "$pod" -o jsonpath='{.status.podIP}')"
case "$pod_ip" in 198.18.0.*) pass "pod $pod has IP $pod_ip from the node's pod CIDR" ;; *) fail "pod IP '$pod_ip' is not in $NODE_POD_CIDR" ;; esac

answer="$("${KUBECTL[@]}" get --raw "/api/v1/namespaces/$NAMESPACE/services/gpu-echo:80/proxy/")" \
  || fail "no answer through the API server's service proxy"
[[ "$answer" == visible-gpus=GPU-* ]] || fail "unexpected answer through the service proxy: $answer"
pass "HTTP answer through the service proxy: $answer (the device plugin's allocation reached the container)"

allocated="$("${KUBECTL[@]}" get node "$NODE_NAME" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}')"
[ "$allocated" = 4 ] || fail "node allocatable nvidia.com/gpu is '$allocated', expected 4"
pass "node $NODE_NAME has nvidia.com/gpu allocatable 4"

cluster_ip="$("${KUBECTL[@]}" -n "$NAMESPACE" get service gpu-echo -o jsonpath='{.spec.clusterIP}')"
# kube-proxy programs a new Service's rules asynchronously (a second or so), hence the retries.
deadline=$((SECONDS + 20))
until in_cluster="$("${KUBECTL[@]}" -n "$NAMESPACE" exec "$pod" -- python3 -c \
    "import urllib.request; print(urllib.request.urlopen('http://$cluster_ip:80/', timeout=5).read().decode().strip())" 2>"$LOG_DIR/smoke-exec.err")"; do
  [ $SECONDS -lt $deadline ] || fail "the ClusterIP $cluster_ip did not answer from inside the pod (kube-proxy), or exec failed: $(tail -n 3 "$LOG_DIR/smoke-exec.err")"
  sleep 1
done
[ "$in_cluster" = "$answer" ] || fail "ClusterIP answered '$in_cluster'"
pass "ClusterIP $cluster_ip answers from inside the pod (kubectl exec and kube-proxy work)"

"${KUBECTL[@]}" -n "$NAMESPACE" logs "$pod" | grep -q serving || fail "kubectl logs did not show the container's output"
pass "kubectl logs works"

"${KUBECTL[@]}" -n "$NAMESPACE" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: too-many-gpus
spec:
  tolerations:
  - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
  containers:
  - name: server
    image: $IMAGE
    command: [sleep, infinity]
    resources:
      limits: {nvidia.com/gpu: 5}
EOF
deadline=$((SECONDS + 60))
until "${KUBECTL[@]}" -n "$NAMESPACE" get events --field-selector involvedObject.name=too-many-gpus,reason=FailedScheduling \
    -o jsonpath='{.items[*].message}' | grep -q 'nvidia.com/gpu'; do
  [ $SECONDS -lt $deadline ] || fail "no FailedScheduling event naming nvidia.com/gpu for too-many-gpus within 60s"
  sleep 1
done
phase="$("${KUBECTL[@]}" -n "$NAMESPACE" get pod too-many-gpus -o jsonpath='{.status.phase}')"
[ "$phase" = Pending ] || fail "too-many-gpus is $phase, expected Pending"
message="$("${KUBECTL[@]}" -n "$NAMESPACE" get events --field-selector involvedObject.name=too-many-gpus,reason=FailedScheduling -o jsonpath='{.items[0].message}')"
pass "pod asking for 5 GPUs is Pending: FailedScheduling: $message"

for track in stable canary; do
  "${KUBECTL[@]}" -n "$NAMESPACE" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $track
spec:
  selector:
    matchLabels: {app: $track}
  template:
    metadata:
      labels: {app: $track}
    spec:
      tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      terminationGracePeriodSeconds: 2
      containers:
      - name: server
        image: $IMAGE
        command: [sh, -c, 'mkdir -p /srv && echo $track >/srv/index.html && exec python3 -m http.server 8080 --directory /srv']
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: $track
spec:
  selector: {app: $track}
  ports: [{port: 80, targetPort: 8080}]
EOF
done
apply_route() {
  "${KUBECTL[@]}" -n "$NAMESPACE" apply -f - >/dev/null <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: model-canary
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: split
spec:
  parentRefs: [{name: web}]
  rules:
  - backendRefs:
    - {name: stable, port: 80, weight: $1}
    - {name: canary, port: 80, weight: $2}
EOF
}
apply_route 90 10
for track in stable canary; do
  "${KUBECTL[@]}" -n "$NAMESPACE" rollout status "deployment/$track" --timeout=120s >/dev/null || fail "Deployment $track did not become available"
done
"${KUBECTL[@]}" -n "$NAMESPACE" wait --for=condition=Programmed gateway/web --timeout=60s >/dev/null || fail "Gateway web not Programmed"
"${KUBECTL[@]}" -n "$NAMESPACE" wait --for=jsonpath='{.status.parents[0].conditions[?(@.type=="Accepted")].status}'=True httproute/split --timeout=30s >/dev/null \
  || fail "HTTPRoute split not Accepted"
pass "Gateway web is Programmed and HTTPRoute split is Accepted"

deadline=$((SECONDS + 30))
until through_proxy="$("${KUBECTL[@]}" get --raw "/api/v1/namespaces/$NAMESPACE/services/web-gateway:80/proxy/" 2>/dev/null)"; do
  [ $SECONDS -lt $deadline ] || fail "the Gateway's Service web-gateway does not answer through the API server's service proxy"
  sleep 1
done
[[ "$through_proxy" == stable || "$through_proxy" == canary ]] || fail "unexpected answer from the Gateway: $through_proxy"
pass "the Gateway answers through the API server's service proxy ($through_proxy)"

# count_tracks — 1000 requests to the Gateway's cluster IP from inside the cluster; prints
# "<stable> <canary>".
count_tracks() {
  local gateway_ip
  gateway_ip="$("${KUBECTL[@]}" -n "$NAMESPACE" get service web-gateway -o jsonpath='{.spec.clusterIP}')"
  "${KUBECTL[@]}" -n "$NAMESPACE" exec "$pod" -- python3 -c "
import urllib.request
answers = [urllib.request.urlopen('http://$gateway_ip/', timeout=5).read().decode().strip() for _ in range(1000)]
print(answers.count('stable'), answers.count('canary'))"
}
read -r stable_count canary_count <<<"$(count_tracks)" || fail "requests to the Gateway failed"
# 1000 draws at p = 0.1: the canary count is 100 +- 9.5 (one sd); 60..140 is a > 4 sd band.
[ $((stable_count + canary_count)) -eq 1000 ] && [ "$canary_count" -ge 60 ] && [ "$canary_count" -le 140 ] \
  || fail "weights 90/10 gave stable=$stable_count canary=$canary_count of 1000"
pass "weights 90/10 split 1000 requests into stable=$stable_count canary=$canary_count"

apply_route 0 100
deadline=$((SECONDS + 30))
while :; do
  read -r stable_count canary_count <<<"$(count_tracks)" || fail "requests to the Gateway failed"
  [ "$canary_count" -eq 1000 ] && break
  [ $SECONDS -lt $deadline ] || fail "weights 0/100 still gave stable=$stable_count canary=$canary_count after 30s"
  sleep 1
done
pass "weights 0/100 send all 1000 requests to canary"

log "smoke test passed"
