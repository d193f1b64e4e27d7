#!/usr/bin/env bash
# The private registry: a second docker-registry on 127.0.0.1:5443 that needs a login (htpasswd,
# bcrypt) and speaks TLS with a certificate from its own CA. The node's containerd and BuildKit
# trust that CA but hold no credentials, so a pod pulls from it only through an image pull Secret
# and a push only with a login — as with a team's private GHCR or ECR repository.
# The login lives in .cluster/registry-auth/ (username, password: 0600); tests read it from there.
# Sourced after hack/lib/common.sh.

AUTH_REGISTRY=localhost:5443
AUTH_REGISTRY_LISTEN=127.0.0.1:5443
AUTH_REGISTRY_DIR="$STATE_DIR/registry-auth"
AUTH_REGISTRY_CA="$AUTH_REGISTRY_DIR/ca.crt"
AUTH_REGISTRY_USER=model-canary-ci
AUTH_REGISTRY_STORAGE="$CACHE_DIR/registry-auth"
AUTH_REGISTRY_CONFIG="$AUTH_REGISTRY_DIR/config.yml"

# Answers with 401 to an anonymous request: up, and still asking for a login.
auth_registry_answers() {
  [ "$(curl -sS --max-time 2 --cacert "$AUTH_REGISTRY_CA" -o /dev/null -w '%{http_code}' "https://$AUTH_REGISTRY/v2/" 2>/dev/null)" = 401 ]
}

# The CA, the serving certificate (localhost, 127.0.0.1) and the login, each made once.
auth_registry_credentials_ensure() {
  mkdir -p "$AUTH_REGISTRY_DIR"
  chmod 700 "$AUTH_REGISTRY_DIR"
  local dir="$AUTH_REGISTRY_DIR"
  if [ ! -s "$dir/ca.crt" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=model-canary private registry CA" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.crt" 2>/dev/null
    rm -f "$dir/tls.crt"
  fi
  if [ ! -s "$dir/tls.crt" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/tls.key" 2>/dev/null
    openssl req -new -key "$dir/tls.key" -subj "/CN=localhost" -out "$dir/tls.csr" 2>/dev/null
    printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/tls.ext"
    openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$dir/tls.ext" -out "$dir/tls.crt" 2>/dev/null
    rm -f "$dir/tls.csr" "$dir/tls.ext"
  fi
  if [ ! -s "$dir/password" ] || [ ! -s "$dir/htpasswd" ]; then
    (umask 077 && openssl rand -hex 16 >"$dir/password")
    printf '%s' "$AUTH_REGISTRY_USER" >"$dir/username"
    # The password goes to htpasswd on stdin, never on a command line.
    htpasswd -niB "$AUTH_REGISTRY_USER" <"$dir/password" >"$dir/htpasswd"
  fi
  chmod 600 "$dir"/*.key "$dir/password" "$dir/htpasswd"
}

auth_registry_up() {
  ensure_debian_packages docker-registry curl openssl apache2-utils
  auth_registry_credentials_ensure
  mkdir -p "$AUTH_REGISTRY_STORAGE"
  cat >"$AUTH_REGISTRY_CONFIG.new" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $AUTH_REGISTRY_STORAGE
  delete:
    enabled: true
auth:
  htpasswd:
    realm: model-canary-private
    path: $AUTH_REGISTRY_DIR/htpasswd
http:
  addr: $AUTH_REGISTRY_LISTEN
  tls:
    certificate: $AUTH_REGISTRY_DIR/tls.crt
    key: $AUTH_REGISTRY_DIR/tls.key
YAML
  if ! cmp -s "$AUTH_REGISTRY_CONFIG.new" "$AUTH_REGISTRY_CONFIG"; then
    mv "$AUTH_REGISTRY_CONFIG.new" "$AUTH_REGISTRY_CONFIG"
    daemon_running registry-auth && { log "private registry config changed: restarting it"; stop_daemon registry-auth; }
  fi
  rm -f "$AUTH_REGISTRY_CONFIG.new"
  daemon_running registry-auth && auth_registry_answers && return 0
  if ! daemon_running registry-auth && auth_registry_answers; then
    die "something not started by hack/ already answers on $AUTH_REGISTRY_LISTEN"
  fi
  start_daemon registry-auth /usr/bin/docker-registry serve "$AUTH_REGISTRY_CONFIG"
  wait_for "the private registry on $AUTH_REGISTRY_LISTEN" 30 auth_registry_answers
}

auth_registry_down() { stop_daemon registry-auth; }

auth_registry_status() {
  if daemon_running registry-auth && auth_registry_answers; then
    echo "registry-auth: ok ($AUTH_REGISTRY, TLS + login, pid $(cat "$PID_DIR/registry-auth.pid"); CA and login in .cluster/registry-auth/)"
  elif daemon_running registry-auth; then
    echo "registry-auth: running (pid $(cat "$PID_DIR/registry-auth.pid")) but https://$AUTH_REGISTRY/v2/ does not ask for a login"; return 1
  else
    echo "registry-auth: not running"; return 1
  fi
}
