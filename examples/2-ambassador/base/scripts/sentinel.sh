#!/usr/bin/env bash
# Starts a Sentinel watching the primary the other Sentinels name.
# Sentinel rewrites its config file, so it gets a fresh one on every start.
self=${HOSTNAME:-$(cat /etc/hostname)}
primary=$(bash /etc/redis-example/current-primary.sh)
[ -n "$primary" ] || { echo "current-primary.sh named no primary" >&2; exit 1; }
until getent hosts "$primary" >/dev/null; do sleep 1; done
# down-after 5 s, not less: a Sentinel whose loop stalls for 2 s (it resolves hostnames
# synchronously, and a slow DNS answer is enough) enters TILT mode and acts on nothing for
# 30 s. It promotes only a replica whose link to the old primary has been down for at most
# ten times down-after plus the time since it saw the primary down, so a primary seen down
# more than 10 x down-after late can never be replaced; 50 s covers one TILT.
cat > /sentinel/sentinel.conf <<CONF
port 26379
dir /sentinel
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
sentinel monitor mymaster $primary 6379 2
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
CONF
echo "starting redis-sentinel as $self; primary: $primary"
exec redis-sentinel /sentinel/sentinel.conf
