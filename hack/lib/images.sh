#!/usr/bin/env bash
# The one place that names the local registry and the base images hack/ makes for it.
# Nothing here has side effects, so any script may source it more than once.

LOCAL_REGISTRY=localhost:5000
# Sandbox ("pause") image that containerd starts for every pod.
PAUSE_IMAGE="$LOCAL_REGISTRY/pause:3.10"
# Debian bookworm minbase root file system, from the mirror in the host's apt sources.
DEBIAN_BASE_IMAGE="$LOCAL_REGISTRY/model-canary/debian:bookworm"
# Debian bookworm with Debian's python3 (3.11), venv, pip and CA certificates.
PYTHON_BASE_IMAGE="$LOCAL_REGISTRY/model-canary/python:3.11-bookworm"

# ---------------------------------------------------------------------------------------------
# Making and pushing the base images (needs common.sh, registry.sh and buildkit.sh sourced).
# Each image is pushed under its public tag and under `recipe-<hash>`, the hash of its sources in
# hack/images/<name>/ and of the functions below; an image is rebuilt and pushed only when the
# registry lacks that recipe tag, so a changed recipe replaces the public tag and an unchanged
# one costs one HTTP request.

IMAGES_CACHE="$CACHE_DIR/images"

# debian_mirror — the Debian archive the host's apt uses (bookworm main), so debootstrap works
# wherever apt does.
debian_mirror() {
  local uri
  uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/ && $i ~ /debian\/?$/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)"
  [ -n "$uri" ] || uri="$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# image_recipe_hash NAME — 16 hex digits over hack/images/NAME/* and the function that builds
# its contents, so editing either rebuilds the image.
image_recipe_hash() {
  local name="$1" builder=build_base_rootfs
  [ "$name" = pause ] && builder=build_pause_binary
  {
    (cd "$REPO_ROOT/hack/images/$name" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    declare -f "$builder"
    [ "$name" = pause ] || cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true
  } | sha256sum | cut -c1-16
}

# image_packages NAME — the extra Debian packages of NAME, comma-separated.
image_packages() {
  { grep -v -e '^\s*#' -e '^\s*$' "$REPO_ROOT/hack/images/$1/packages" || true; } | paste -sd, -
}

# build_base_rootfs NAME OUT_TAR — debootstrap bookworm minbase plus NAME's packages into OUT_TAR.
build_base_rootfs() {
  local name="$1" out="$2" packages work
  packages="$(image_packages "$name")"
  work="$IMAGES_CACHE/work-$name"
  rm -rf "$work" && mkdir -p "$work" "$IMAGES_CACHE/debs"
  log "debootstrap bookworm ($name${packages:+: $packages}) from $(debian_mirror); log .cluster/logs/debootstrap-$name.log"
  debootstrap --variant=minbase ${packages:+--include="$packages"} --cache-dir="$IMAGES_CACHE/debs" \
    bookworm "$work" "$(debian_mirror)" >>"$LOG_DIR/debootstrap-$name.log" 2>&1 ||
    die "debootstrap for $name failed (see .cluster/logs/debootstrap-$name.log)"
  cat >"$work/etc/apt/sources.list" <<SOURCES
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  # Documentation and translations are a third of minbase and nobody reads them in a container;
  # dpkg is told to skip them in later installs as well (licences stay).
  cat >"$work/etc/dpkg/dpkg.cfg.d/model-canary-slim" <<DPKG
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  find "$work/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$work/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$work"/usr/share/man/* "$work"/usr/share/info/*
  find "$work/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  # Where this machine's egress re-signs TLS (a CA added under /usr/local/share/ca-certificates),
  # pip and curl in RUN steps must trust what the host trusts, so images that carry a CA store get
  # the host's added CAs; the recipe hash covers them, so another machine gets its own.
  if [ -x "$work/usr/sbin/update-ca-certificates" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/usr/local/share/ca-certificates/"
    chroot "$work" update-ca-certificates >>"$LOG_DIR/debootstrap-$name.log" 2>&1 ||
      die "update-ca-certificates in the $name root file system failed"
  fi
  # Package lists and downloaded .debs are stale the moment the image is pushed.
  rm -rf "$work"/var/lib/apt/lists/* "$work"/var/cache/apt/*.bin "$work"/var/cache/apt/archives/*.deb \
    "$work"/var/log/dpkg.log "$work"/var/log/apt/* "$work"/debootstrap
  find "$work"/usr -name __pycache__ -type d -prune -exec rm -rf {} +
  # Device nodes and kernel file systems come from the container runtime, not the image.
  tar --numeric-owner --xattrs -C "$work" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$out.partial" . && mv "$out.partial" "$out"
  rm -rf "$work"
}

# build_pause_binary OUT — the pod sandbox binary, statically linked so it runs FROM scratch.
build_pause_binary() {
  gcc -static -Os -Wall -Wextra -o "$1.partial" "$REPO_ROOT/hack/images/pause/pause.c" &&
    strip "$1.partial" && mv "$1.partial" "$1"
}

# push_base_image NAME IMAGE CONTEXT_DIR HASH — builds hack/images/NAME/Dockerfile over
# CONTEXT_DIR with buildctl and pushes it as IMAGE and as IMAGE's repository:recipe-HASH.
push_base_image() {
  local name="$1" image="$2" context="$3" hash="$4"
  local repository="${image%:*}"
  log "building and pushing $image (recipe $hash)"
  buildctl_local build --progress=plain --frontend dockerfile.v0 \
    --local context="$context" --local dockerfile="$REPO_ROOT/hack/images/$name" \
    --opt build-arg:SOURCE_DATE_EPOCH=0 \
    --output "type=image,\"name=$image,$repository:recipe-$hash\",push=true" \
    >>"$LOG_DIR/base-images.log" 2>&1 || die "building $image failed (see .cluster/logs/base-images.log)"
}

# base_image_current IMAGE HASH — the registry already holds IMAGE built from recipe HASH.
base_image_current() {
  local repository="${1%:*}" path
  path="${repository#"$LOCAL_REGISTRY"/}"
  registry_has_tag "$path" "recipe-$2" && registry_has_tag "$path" "${1##*:}"
}

base_images_up() {
  registry_answers || die "base images need the registry: run registry_up first"
  buildkit_answers || die "base images need BuildKit: run buildkit_up first"
  mkdir -p "$IMAGES_CACHE"
  local hash dir

  hash="$(image_recipe_hash pause)"
  if ! base_image_current "$PAUSE_IMAGE" "$hash"; then
    ensure_debian_packages gcc libc6-dev
    dir="$IMAGES_CACHE/pause-$hash"
    mkdir -p "$dir"
    [ -x "$dir/pause" ] || build_pause_binary "$dir/pause" || die "compiling pause.c failed"
    push_base_image pause "$PAUSE_IMAGE" "$dir" "$hash"
  fi

  local name image
  for name in debian python; do
    case "$name" in
      debian) image="$DEBIAN_BASE_IMAGE" ;;
      python) image="$PYTHON_BASE_IMAGE" ;;
    esac
    hash="$(image_recipe_hash "$name")"
    base_image_current "$image" "$hash" && continue
    ensure_debian_packages debootstrap
    dir="$IMAGES_CACHE/$name-$hash"
    mkdir -p "$dir"
    [ -f "$dir/rootfs.tar" ] || build_base_rootfs "$name" "$dir/rootfs.tar"
    push_base_image "$name" "$image" "$dir" "$hash"
  done
}

base_images_status() {
  local missing=() image name
  for name in pause debian python; do
    case "$name" in
      pause) image="$PAUSE_IMAGE" ;;
      debian) image="$DEBIAN_BASE_IMAGE" ;;
      python) image="$PYTHON_BASE_IMAGE" ;;
    esac
    base_image_current "$image" "$(image_recipe_hash "$name")" || missing+=("$image")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "base images: ok ($PAUSE_IMAGE, $DEBIAN_BASE_IMAGE, $PYTHON_BASE_IMAGE)"
  else
    echo "base images: missing or outdated: ${missing[*]}"; return 1
  fi
}
