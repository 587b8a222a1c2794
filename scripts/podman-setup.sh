#!/usr/bin/env bash
# Makes Podman usable on hosts like our CI sandboxes, without touching a user's own settings.
#
# Two engine settings are needed there (a normal laptop or CI runner needs neither):
#   - runtime = runc: crun refuses a hybrid cgroup v1/v2 layout, runc copes with it;
#   - default_ulimits: containers may not raise rlimits above the host's, and Podman's defaults
#     (nproc 1048576) are above what these hosts allow.
# /etc/containers/containers.conf is written only when it is absent, or when it is the one this
# script wrote before (it carries the marker line). Anything else is the user's and is left alone;
# we only warn if it lacks what this host needs.
#
#   bash scripts/podman-setup.sh          # idempotent; safe to run again
#   PODMAN_SETUP_CONF=/tmp/x.conf bash scripts/podman-setup.sh   # write elsewhere (tests)
set -euo pipefail

CONF=${PODMAN_SETUP_CONF:-/etc/containers/containers.conf}
MARKER='# written by pod-patterns scripts/podman-setup.sh'

# A hybrid cgroup layout: /sys/fs/cgroup is a tmpfs of v1 controllers with a v2 "unified" mount.
hybrid_cgroups() {
  [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] && [ -d /sys/fs/cgroup/unified ]
}

# The host's hard limits, capped at what the containers ask for.
limit() { # $1: ulimit flag, $2: wanted
  local hard
  hard=$(ulimit -H "$1" 2>/dev/null || echo unlimited)
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$2" ]; then echo "$2"; else echo "$hard"; fi
}

wanted() {
  local nofile nproc
  nofile=$(limit -n 20000)
  nproc=$(limit -u 4096)
  cat <<CONF
$MARKER
# Delete this file (or remove the line above) to manage Podman's settings yourself.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
CONF
}

if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  if hybrid_cgroups && ! grep -Eq '^\s*runtime\s*=\s*"runc"' "$CONF"; then
    echo "podman-setup: $CONF is yours and left alone; on this host (hybrid cgroups) Podman needs" >&2
    echo "  [engine] runtime = \"runc\" and [containers] default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]" >&2
  fi
  exit 0
fi

if [ ! -e "$CONF" ] && ! hybrid_cgroups && [ -z "${PODMAN_SETUP_FORCE:-}" ]; then
  # A host whose defaults work: nothing to write.
  exit 0
fi

new=$(wanted)
if [ -e "$CONF" ] && [ "$(cat "$CONF")" = "$new" ]; then exit 0; fi
mkdir -p "$(dirname "$CONF")"
printf '%s\n' "$new" > "$CONF.tmp.$$"
mv "$CONF.tmp.$$" "$CONF"
echo "podman-setup: wrote $CONF (runtime runc, ulimits within the host's)"
