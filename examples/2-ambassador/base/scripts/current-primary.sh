#!/usr/bin/env bash
# Prints the primary the other Sentinels name, or redis-0 when none answers (first start).
# Each question is bounded: a peer whose name resolves before its network is up drops the
# connection attempt silently, and redis-cli would wait for TCP's own timeout (minutes).
self=${HOSTNAME:-$(cat /etc/hostname)}
for peer in redis-0 redis-1 redis-2; do
  [ "$peer" = "$self" ] && continue
  echo "asking $peer's Sentinel for the primary" >&2
  addr=$(timeout 3 redis-cli -h "$peer" -p 26379 --raw sentinel get-master-addr-by-name mymaster 2>/dev/null | head -1)
  case "$addr" in ''|ERR*|*' '*) continue ;; esac
  echo "$addr"; exit 0
done
echo redis-0
