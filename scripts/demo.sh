#!/usr/bin/env bash
# The demo: installs what is missing, builds the images, plays the four example pods with
# Podman, shows each pattern working, and leaves the pods running with the URLs to open.
#
#   bash scripts/demo.sh          # everything; measured here (2 cores shared, load ~30):
#                                 # 7m42s with a warm image cache, 15m28s after a source change
#                                 # (the build stages rerun); longer on a fresh machine
#   bash scripts/demo.sh show     # only show the patterns again on the running pods
#   bash scripts/demo.sh down     # remove the demo's pods, volumes and network
#
#   SKIP_SETUP=1 bash scripts/demo.sh   # skip scripts/setup.sh (system packages, pnpm, build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/.cache/demo
NETWORK=pod-patterns-demo
EXAMPLES=(1-sidecar 2-ambassador 3-adapter 4-together)
PODS_CLI=(node "$ROOT/test/dist/src/pods-cli.js")

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '\033[33m    %s\033[0m\n' "$*"; }

down() {
  for ex in "${EXAMPLES[@]}"; do
    if [ -f "$STATE/$ex.json" ]; then
      log "removing $ex"
      "${PODS_CLI[@]}" down --state "$STATE/$ex.json" --keep-network 2>&1 | grep -v 'systemd' || true
    fi
  done
  podman network rm -f "$NETWORK" >/dev/null 2>&1 || true
}

# port EXAMPLE POD CONTAINER_PORT: the loopback port the demo published it on
port() {
  node -e 'const s=require(process.argv[1]); const p=s.pods[process.argv[2]]; process.stdout.write(String(p && p.ports[process.argv[3]] || ""))' "$STATE/$1.json" "$2" "$3"
}
# ctr EXAMPLE POD CONTAINER: the Podman container name
ctr() {
  node -e 'const s=require(process.argv[1]); process.stdout.write(s.pods[process.argv[2]].name + "-" + process.argv[3])' "$STATE/$1.json" "$2" "$3"
}
# wait_for SECONDS CMD...: retries CMD until it succeeds
wait_for() {
  local t=$1; shift
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.5
  done
}
http_ok() { curl -fsS -m 3 -o /dev/null "$1"; }
prom_query() { # prom_query PORT QUERY: the first value of an instant query
  curl -fsS -m 5 -G "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;process.stdout.write(r.length?r.map(x=>JSON.stringify(x.metric)+" "+x.value[1]).join("\n"):"")})'
}
has_value() { [ -n "$(prom_query "$1" "$2")" ]; }

show_sidecar() {
  bold ''
  bold '1. Sidecar: nginx serves what git-sync keeps checked out'
  local web sync git
  web=$(port 1-sidecar web 8080); sync=$(port 1-sidecar web 8081); git=$(port 1-sidecar git-server 9418)
  if ! wait_for 60 curl -fsS -m 3 "http://127.0.0.1:$web/"; then
    warn "nginx has no synced page yet (git-sync log: podman logs $(ctr 1-sidecar web git-sync))"
    return 0
  fi
  note "page now:   $(curl -fsS "http://127.0.0.1:$web/" | grep -o '<h1>.*</h1>')  (commit $(curl -fsSI "http://127.0.0.1:$web/" | tr -d '\r' | sed -n 's/^X-Served-Root: .*\///Ip'))"
  push_and_watch "$web" "$git" "$sync" "version $(date +%H:%M:%S), pushed with the webhook" \
    "through the push trigger (the git server's post-receive webhook)"
  push_and_watch "$web" "$git" "$sync" "version $(date +%H:%M:%S), pushed without the webhook" \
    "by polling (git push -o skip-webhook; git-sync's period is 20 s)" -o skip-webhook
}

# push_and_watch WEB_PORT GIT_PORT SYNC_PORT TEXT HOW [PUSH-OPTIONS...]: pushes a new page and
# waits for nginx to serve that commit
push_and_watch() {
  local web=$1 git=$2 sync=$3 text=$4 how=$5; shift 5
  local dir; dir=$(mktemp -d)
  git clone -q "git://127.0.0.1:$git/site.git" "$dir/site"
  sed -i "s|<h1>.*</h1>|<h1>$text</h1>|" "$dir/site/index.html"
  git -C "$dir/site" -c user.name=demo -c user.email=demo@invalid commit -qam "$text"
  local t0; t0=$(date +%s%N)
  git -C "$dir/site" push -q "$@" origin main 2>&1 | sed 's/^remote: */    git server: /; s/ *$//'
  local sha; sha=$(git -C "$dir/site" rev-parse HEAD)
  rm -rf "$dir"
  note "pushed:     $text  (commit ${sha:0:12})"
  if wait_for 60 sh -c "curl -fsSI 'http://127.0.0.1:$web/' | grep -qi 'x-served-root: .*$sha'"; then
    note "page after: $(curl -fsS "http://127.0.0.1:$web/" | grep -o '<h1>.*</h1>')  — served $(( ($(date +%s%N) - t0) / 1000000 )) ms after the push, $how"
  else
    warn "the push did not reach the page within 60 s (git-sync: http://127.0.0.1:$sync/metrics)"
  fi
}

show_ambassador() {
  bold ''
  bold '2. Ambassador: the app uses localhost:6379; reads go to replicas, writes to the primary'
  local app amb
  app=$(port 2-ambassador shop 8080); amb=$(port 2-ambassador shop 9121)
  if ! wait_for 60 http_ok "http://127.0.0.1:$amb/readyz"; then
    warn "the ambassador is not ready (podman logs $(ctr 2-ambassador shop redis-ambassador))"
    return 0
  fi
  declare -A before
  for n in 0 1 2; do
    before[$n]=$(podman exec "$(ctr 2-ambassador redis-$n redis)" redis-cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\(get\|set\):calls=\([0-9]*\).*/\1=\2/p' | tr '\n' ' ')
  done
  for i in $(seq 1 10); do curl -fsS -m 3 -X PUT --data "value-$i" "http://127.0.0.1:$app/kv/demo-$i" >/dev/null || warn "write $i failed"; done
  sleep 0.5
  for i in $(seq 1 10); do for _ in 1 2 3; do curl -fsS -m 3 "http://127.0.0.1:$app/kv/demo-$i" >/dev/null || warn "read $i failed"; done; done
  note "10 writes and 30 reads through the app; calls seen by each Redis (before → after):"
  for n in 0 1 2; do
    local role after
    role=$(podman exec "$(ctr 2-ambassador redis-$n redis)" redis-cli role | head -1)
    after=$(podman exec "$(ctr 2-ambassador redis-$n redis)" redis-cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\(get\|set\):calls=\([0-9]*\).*/\1=\2/p' | tr '\n' ' ')
    note "  redis-$n ($role): ${before[$n]:-none} → ${after:-none}"
  done
  note "  (a replica's set count is the primary's writes replicated to it; the app's reads are its gets)"
  show_failover "$app"
}

redis_ctr() { ctr 2-ambassador "redis-$1" redis; }
sentinel_master() { podman exec "$(ctr 2-ambassador redis-$1 sentinel)" redis-cli -p 26379 sentinel get-master-addr-by-name mymaster 2>/dev/null | head -1; }
# show_failover APP_PORT: kills the primary's redis-server, waits for Sentinel to promote a replica,
# writes and reads through the same app, then starts the old primary again (it rejoins as a
# replica). Its pod stays: stopping a whole pod here makes Podman's DNS server leave queries
# unanswered for up to 20 s, and Sentinels that resolve a name then stall into TILT mode.
show_failover() {
  local app=$1 primary='' watcher='' n old new t0 pod
  for n in 0 1 2; do
    if [ "$(podman exec "$(redis_ctr $n)" redis-cli role 2>/dev/null | head -1)" = master ]; then primary=$n; else watcher=${watcher:-$n}; fi
  done
  [ -n "$primary" ] && [ -n "$watcher" ] || { warn "no primary with a replica to fail over to"; return 0; }
  # Only a Sentinel that knows both replicas can promote one, and none acts in TILT mode: wait
  # until all three know them and are out of it.
  settled() {
    local s view
    for s in 0 1 2; do
      view=$(podman exec "$(ctr 2-ambassador "redis-$s" sentinel)" redis-cli -p 26379 sentinel master mymaster 2>/dev/null | tr '\n' ' ')
      [[ $view == *"num-slaves 2 "* && $view == *"num-other-sentinels 2 "* ]] || return 1
      podman exec "$(ctr 2-ambassador "redis-$s" sentinel)" redis-cli -p 26379 info sentinel 2>/dev/null | tr -d '\r' | grep -q '^sentinel_tilt:0' || return 1
    done
  }
  if ! wait_for 90 settled; then warn "the Sentinels do not all know both replicas and each other after 90 s"; return 0; fi
  old=$(sentinel_master "$watcher")
  pod=$(node -e 'process.stdout.write(require(process.argv[1]).pods["redis-" + process.argv[2]].name)' "$STATE/2-ambassador.json" "$primary")
  note "failover: stopping the primary, redis-server in pod redis-$primary ($old)"
  podman stop -t 1 "$(redis_ctr "$primary")" 2>&1 >/dev/null | grep -v 'systemd\|level=warning' >&2 || true
  t0=$SECONDS
  promoted() { new=$(sentinel_master "$watcher"); [ -n "$new" ] && [ "$new" != "$old" ]; }
  if ! wait_for 90 promoted; then warn "Sentinel promoted no replica within 90 s"; return 0; fi
  note "  Sentinel promoted $new after $((SECONDS - t0)) s"
  if wait_for 60 curl -fsS -m 3 -X PUT --data "written after the failover" "http://127.0.0.1:$app/kv/after-failover"; then
    note "  the same app wrote again $((SECONDS - t0)) s after the stop; read back: $(curl -fsS -m 3 "http://127.0.0.1:$app/kv/after-failover" || echo '?')"
  else
    warn "no write through the app within 60 s of the promotion"
  fi
  podman start "$(redis_ctr "$primary")" 2>&1 >/dev/null | grep -v 'systemd\|level=warning' >&2 || true
  t0=$SECONDS
  # Its start script asks the other Sentinels for the primary, so it comes back as a replica.
  rejoined() { podman exec "$(redis_ctr "$primary")" redis-cli info replication | tr -d '\r' | grep -q '^master_link_status:up'; }
  if ! wait_for 90 rejoined; then warn "redis-$primary did not come back as a replica within 90 s"; return 0; fi
  note "  redis-$primary started again and replicates from $new ($((SECONDS - t0)) s)"
  local amb before after
  amb=$(port 2-ambassador shop 9121)
  readable() { curl -fsS -m 3 "http://127.0.0.1:$amb/metrics" | grep -qF "redis_ambassador_upstream_healthy{node=\"$pod:6379\",role=\"replica\"} 1"; }
  if ! wait_for 60 readable; then warn "the ambassador does not read from redis-$primary yet"; return 0; fi
  before=$(podman exec "$(redis_ctr "$primary")" redis-cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_get:calls=\([0-9]*\).*/\1/p')
  for _ in $(seq 1 20); do curl -fsS -m 3 "http://127.0.0.1:$app/kv/after-failover" >/dev/null || true; done
  after=$(podman exec "$(redis_ctr "$primary")" redis-cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_get:calls=\([0-9]*\).*/\1/p')
  note "  the ambassador reads from it again: $(( ${after:-0} - ${before:-0} )) of 20 reads served by redis-$primary"
}

show_adapter() {
  bold ''
  bold '3. Adapter: StatsD (and JMX, JSON stats) in, one /metrics out, scraped by Prometheus'
  local app metrics prom
  app=$(port 3-adapter metrics-app 8080); metrics=$(port 3-adapter metrics-app 9102); prom=$(port 3-adapter metrics-prometheus 9090)
  for _ in $(seq 1 7); do curl -fsS -m 3 -X POST "http://127.0.0.1:$app/order?channel=demo" >/dev/null || true; done
  note "7 orders posted to the app, which sends StatsD to the adapter on localhost:9125"
  if wait_for 60 has_value "$prom" 'sum(shop_orders_total)'; then
    note "Prometheus: sum(shop_orders_total) = $(prom_query "$prom" 'sum(shop_orders_total)' | awk '{print $NF}')"
  else
    warn "no shop_orders_total in Prometheus yet (adapter: http://127.0.0.1:$metrics/metrics)"
  fi
  note "Prometheus: up{job=\"metrics-app\"} = $(prom_query "$prom" 'up{job=~"metrics-app.*"}' | awk '{print $NF}')"
  if wait_for 30 has_value "$prom" 'shop_jvm_orders_processed_total'; then
    note "Prometheus: shop_jvm_orders_processed_total (JMX, from the JVM's MBean) = $(prom_query "$prom" 'sum(shop_jvm_orders_processed_total)' | awk '{print $NF}')"
  else
    warn "no JMX series in Prometheus yet"
  fi
  if wait_for 30 has_value "$prom" 'shop_app_requests'; then
    note "Prometheus: shop_app_requests (JSON, from the app's /stats.json) = $(prom_query "$prom" 'sum(shop_app_requests)' | awk '{print $NF}')"
  fi
}

show_together() {
  bold ''
  bold '4. Together: one app pod with git-sync, the Redis ambassador and the metrics adapter'
  local app prom
  app=$(port 4-together together 8080); prom=$(port 4-together together-prometheus 9090)
  if wait_for 60 http_ok "http://127.0.0.1:$app/"; then
    note "content (git-sync):     $(curl -fsS "http://127.0.0.1:$app/" | grep -o '<h1>.*</h1>')"
  else
    warn "no synced content yet"
  fi
  if curl -fsS -m 3 -X PUT --data "hello at $(date +%T)" "http://127.0.0.1:$app/kv/greeting" >/dev/null 2>&1; then
    sleep 0.3
    note "data (ambassador):      greeting = $(curl -fsS -m 3 "http://127.0.0.1:$app/kv/greeting" || echo '?')"
  else
    warn "the ambassador did not take a write yet"
  fi
  if wait_for 60 has_value "$prom" 'sum(shop_http_requests)'; then
    note "metrics (adapter→Prometheus): sum(shop_http_requests) = $(prom_query "$prom" 'sum(shop_http_requests)' | awk '{print $NF}')"
  else
    warn "no shop_http_requests in Prometheus yet"
  fi
}

urls() {
  bold ''
  bold 'Open:'
  note "sidecar     page        http://127.0.0.1:$(port 1-sidecar web 8080)/"
  note "            git-sync    http://127.0.0.1:$(port 1-sidecar web 8081)/metrics"
  note "            push to     git://127.0.0.1:$(port 1-sidecar git-server 9418)/site.git"
  note "ambassador  app         http://127.0.0.1:$(port 2-ambassador shop 8080)/kv/demo-1"
  note "            ambassador  http://127.0.0.1:$(port 2-ambassador shop 9121)/metrics"
  note "adapter     /metrics    http://127.0.0.1:$(port 3-adapter metrics-app 9102)/metrics"
  note "            Prometheus  http://127.0.0.1:$(port 3-adapter metrics-prometheus 9090)/graph?g0.expr=shop_orders_total"
  note "together    app         http://127.0.0.1:$(port 4-together together 8080)/"
  note "            Prometheus  http://127.0.0.1:$(port 4-together together-prometheus 9090)/"
  bold ''
  bold "The pods keep running (podman pod ps). Remove them with:  bash scripts/demo.sh down"
}

show() { show_sidecar; show_ambassador; show_adapter; show_together; urls; }

case ${1:-up} in
  down) down; exit 0 ;;
  show) show; exit 0 ;;
  up) ;;
  *) echo "usage: $0 [up|show|down]" >&2; exit 2 ;;
esac

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  log "setting up (scripts/setup.sh: system packages, pnpm, dependencies, build)"
  SKIP_IMAGES=1 bash scripts/setup.sh
fi
[ "$(id -u)" != 0 ] || bash scripts/podman-setup.sh
log "building the images (progress below; cached after the first time)"
bash scripts/build-images.sh

down
mkdir -p "$STATE"
for ex in "${EXAMPLES[@]}"; do
  log "playing $ex with podman kube play"
  "${PODS_CLI[@]}" play "$ex" --network "$NETWORK" --state "$STATE/$ex.json" 2>&1 | grep -v 'systemd' | grep -v '^{' || true
  [ -f "$STATE/$ex.json" ] || { echo "demo: $ex did not start" >&2; exit 1; }
done
show
