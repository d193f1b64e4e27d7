#!/usr/bin/env bash
# Shared paths and process bookkeeping for the local cluster scripts.
# Daemons are started in the background with their PID recorded under $STATE_DIR/pids, so that
# `cluster:down` stops exactly what `cluster:up` started and nothing else.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${MODEL_CANARY_CACHE:-$HOME/.cache/model-canary}"
STATE_DIR="$REPO_ROOT/.cluster"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
BIN_DIR="$CACHE_DIR/bin"
mkdir -p "$CACHE_DIR" "$BIN_DIR" "$PID_DIR" "$LOG_DIR"
export PATH="$BIN_DIR:$PATH"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ensure_debian_packages PKG... — installs only the packages that are missing.
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  # A fresh machine's package lists may be absent or stale; refresh once per day at most.
  # (List files may be compressed, e.g. *_Packages.lz4.)
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  fi
  # Another install step may hold the dpkg lock (parallel scripts); wait for it instead of failing.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# daemon_running NAME — true when the recorded PID of NAME is alive.
daemon_running() {
  local pidfile="$PID_DIR/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_daemon NAME CMD... — starts CMD in its own session, logging to $LOG_DIR/NAME.log,
# unless it is already running. Idempotent.
start_daemon() {
  local name="$1"; shift
  if daemon_running "$name"; then
    log "$name already running (pid $(cat "$PID_DIR/$name.pid"))"
    return 0
  fi
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$PID_DIR/$name.pid"
  log "started $name (pid $!, log .cluster/logs/$name.log)"
}

# stop_daemon NAME — sends TERM to the recorded PID, waits up to 20 s, then KILL.
stop_daemon() {
  local name="$1" pidfile="$PID_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

# wait_for DESCRIPTION SECONDS CMD... — polls CMD every half second until it succeeds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && die "timed out after ${seconds}s waiting for $what (logs: .cluster/logs/)"
    sleep 0.5
  done
}
