#!/usr/bin/env bash
# The local cluster's certificate authority and the client/serving certificates of each component,
# made with openssl under .cluster/pki. Certificates are only created when missing, so a re-run of
# `cluster:up` keeps the same identities (and the admin kubeconfig stays valid).
# Expects common.sh and kube.sh (for NODE_NAME, NODE_IP, SERVICE_CIDR_FIRST_IP) to be sourced.

PKI_DIR="$STATE_DIR/pki"

# pki_sign NAME SUBJECT EXTENSIONS — an EC P-256 key and a certificate signed by the cluster CA.
pki_sign() {
  local name="$1" subject="$2" extensions="$3"
  [ -s "$PKI_DIR/$name.crt" ] && return 0
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/$name.key" 2>/dev/null
  openssl req -new -key "$PKI_DIR/$name.key" -subj "$subject" -out "$PKI_DIR/$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$PKI_DIR/$name.ext"
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$PKI_DIR/$name.ext" -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr" "$PKI_DIR/$name.ext"
}

pki_client_cert() {
  pki_sign "$1" "$2" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
}

pki_serving_cert() {
  pki_sign "$1" "$2" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$3"
}

# pki_ensure — the CA, every certificate the components use, and the service-account key pair.
pki_ensure() {
  mkdir -p "$PKI_DIR"
  chmod 700 "$PKI_DIR"
  if [ ! -s "$PKI_DIR/ca.crt" ]; then
    log "creating the cluster CA and certificates in .cluster/pki"
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=model-canary-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI_DIR/ca.crt" 2>/dev/null
  fi
  pki_serving_cert apiserver "/CN=kube-apiserver" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$SERVICE_CIDR_FIRST_IP"
  pki_serving_cert kubelet-serving "/O=system:nodes/CN=system:node:$NODE_NAME" \
    "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  # The apiserver calls the kubelet (logs, exec, port-forward) with this identity; the kubelet
  # asks the apiserver whether it may (webhook authorization), and system:masters may.
  pki_client_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  pki_client_cert admin "/O=system:masters/CN=model-canary-admin"
  pki_client_cert controller-manager "/CN=system:kube-controller-manager"
  pki_client_cert scheduler "/CN=system:kube-scheduler"
  pki_client_cert kube-proxy "/CN=system:kube-proxy"
  pki_client_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  pki_client_cert gateway "/CN=system:model-canary-gateway"
  if [ ! -s "$PKI_DIR/sa.key" ]; then
    openssl genrsa -out "$PKI_DIR/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
  fi
  chmod 600 "$PKI_DIR"/*.key
}

# write_kubeconfig FILE USER CERT_NAME SERVER — credentials are embedded so the admin kubeconfig
# can be handed around as one file (the action takes kubeconfig content as an input).
write_kubeconfig() {
  local file="$1" user="$2" cert="$3" server="$4"
  [ -s "$file" ] && grep -q "server: $server\$" "$file" && return 0
  local tmp="$file.tmp"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: model-canary
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/$cert.key")
contexts:
- name: model-canary
  context:
    cluster: model-canary
    user: $user
current-context: model-canary
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$file"
}
