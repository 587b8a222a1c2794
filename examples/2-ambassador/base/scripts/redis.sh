#!/usr/bin/env bash
# Starts redis-server as the primary the other Sentinels name, or as its replica.
self=${HOSTNAME:-$(cat /etc/hostname)}
primary=$(bash /etc/redis-example/current-primary.sh)
[ -n "$primary" ] || { echo "current-primary.sh named no primary" >&2; exit 1; }
args=(--port 6379 --dir /data --save "" --appendonly no --protected-mode no --replica-announce-ip "$self")
if [ "$primary" != "$self" ]; then
  until getent hosts "$primary" >/dev/null; do sleep 1; done
  args+=(--replicaof "$primary" 6379)
fi
echo "starting redis-server as $self; primary: $primary"
exec redis-server "${args[@]}"
