#!/usr/bin/env bash
# The examples on a real Kubernetes (kind): checks the kind overlays offline, builds the images
# the chosen examples use, loads them into a kind cluster, applies each example, waits for its
# pods to be ready, then shows each pattern working inside the cluster (kubectl exec):
#   1-sidecar     nginx serves the git server's page; a push reaches it through the webhook
#                 trigger, and a push without the webhook reaches it by polling
#   2-ambassador  the ambassador answers PING/SET/GET on the app's localhost:6379; SETs land on
#                 the primary and GETs on the replicas (INFO commandstats); the primary's pod is
#                 deleted, Sentinel promotes a replica and writes resume (KIND_FAILOVER=0 skips)
#   3-adapter     the adapter's /metrics has the StatsD, JMX and JSON series; Prometheus answers
#                 a query with the exact count of orders posted
#   4-together    the app pod serves git-synced content, reads and writes Redis through the
#                 ambassador, and its requests are queryable in Prometheus
#
#   bash examples/kind/run.sh 1-sidecar            # or 2-ambassador, 3-adapter, 4-together, all
#   bash examples/kind/run.sh check all            # offline only: render, list images, validate
#   bash examples/kind/run.sh verify 3-adapter     # only the in-cluster checks (already applied)
#   KIND_CLUSTER=pod-patterns SKIP_BUILD=1 bash examples/kind/run.sh all
#   bash examples/kind/run.sh down                 # delete the cluster
#
# Needs kubectl and Node (for the schema check: `pnpm install && pnpm exec tsc -b test` once);
# for a cluster also docker (or podman: KIND_EXPERIMENTAL_PROVIDER=podman) and kind.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLUSTER=${KIND_CLUSTER:-pod-patterns}
PREFIX=localhost/pod-patterns   # as the manifests name the images
TAG=dev
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
NS=
# fail MESSAGE: the failed check, then the namespace's pods and their logs; exits 1
fail() {
  printf '\033[31mFAIL: %s\033[0m\n' "$*" >&2
  if [ -n "$NS" ]; then
    kubectl -n "$NS" get pods -o wide || true
    for p in $(kubectl -n "$NS" get pods -o name); do kubectl -n "$NS" logs "$p" --all-containers --tail=30 || true; done
  fi
  exit 1
}

mode=run
case ${1:-} in
  down) kind delete cluster --name "$CLUSTER"; exit 0 ;;
  check|verify) mode=$1; shift ;;
esac
what=${1:-all}
case $what in
  all) examples=(1-sidecar 2-ambassador 3-adapter 4-together) ;;
  1-sidecar|2-ambassador|3-adapter|4-together) examples=("$what") ;;
  *) echo "usage: $0 [check|verify] 1-sidecar|2-ambassador|3-adapter|4-together|all | down" >&2; exit 2 ;;
esac

# --- offline: render each kind overlay, list the images it uses, validate it against the API schemas
VALIDATOR=test/dist/src/pods-cli.js
images=()
check_offline() {
  [ -f "$VALIDATOR" ] || { echo "run.sh: $VALIDATOR is missing: pnpm install && pnpm exec tsc -b test" >&2; exit 1; }
  local ex rendered name out
  for ex in "${examples[@]}"; do
    log "checking $ex: kubectl kustomize examples/$ex/overlays/kind"
    rendered=$(kubectl kustomize "examples/$ex/overlays/kind")
    out=$(printf '%s\n' "$rendered" | node "$VALIDATOR" validate 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
    note "$out"
    # Only our images: anything else in a manifest would have to be pulled, which kind can.
    for name in $(printf '%s\n' "$rendered" | sed -n "s|^ *image: $PREFIX/\([a-z0-9-]*\):$TAG\$|\1|p" | sort -u); do
      [[ " ${images[*]} " == *" $name "* ]] || images+=("$name")
    done
  done
  [ "${#images[@]}" -gt 0 ] || { echo "run.sh: no $PREFIX/*:$TAG image in the rendered manifests" >&2; exit 1; }
  note "images: ${images[*]}"
}

# --- in-cluster checks, all through kubectl exec
kx() { local pod=$1 ctr=$2; shift 2; kubectl -n "$NS" exec "$pod" -c "$ctr" -- "$@"; }
# retry SECONDS CMD...: reruns CMD (a function too) until it succeeds
retry() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 1
  done
}
# prom POD QUERY: the first value of a Prometheus instant query, empty if none
prom() {
  kx "$1" prometheus curl -fsS -m 5 -G http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$2" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;process.stdout.write(r.length?String(r[0].value[1]):"")})'
}
prom_is() { [ "$(prom "$1" "$2")" = "$3" ]; }
prom_min() { local v; v=$(prom "$1" "$2"); [ -n "$v" ] && node -e 'process.exit(Number(process.argv[1]) >= Number(process.argv[2]) ? 0 : 1)' "$v" "$3"; }

# 1. Sidecar
served_root() { kx web nginx curl -fsSI -m 3 http://127.0.0.1:8080/ | tr -d '\r' | sed -n 's/^x-served-root: //Ip'; }
serves_commit() { [[ "$(served_root)" == *"$1" ]]; }
# push_page TEXT [PUSH-OPTIONS...]: commits a new index.html on the git server, prints the sha
push_page() {
  local text=$1; shift
  # shellcheck disable=SC2016 # expanded by the pod's shell
  kx git-server git bash -c '
    set -e; d=$(mktemp -d); trap "rm -rf $d" EXIT
    git clone -q git://127.0.0.1:9418/site.git "$d/c"; cd "$d/c"
    printf "<!doctype html>\n<h1>%s</h1>\n" "$1" > index.html
    git -c user.name=kind -c user.email=kind@invalid commit -qam "$1"
    shift; git push -q "$@" origin main; git rev-parse HEAD' push "$text" "$@"
}
verify_1-sidecar() {
  local page repo sha t0
  retry 120 kx web nginx curl -fsS -m 3 http://127.0.0.1:8080/ || fail "nginx serves no page"
  page=$(kx web nginx curl -fsS -m 3 http://127.0.0.1:8080/)
  repo=$(kx git-server git git --git-dir=/srv/git/site.git show main:index.html)
  [ "$page" = "$repo" ] || fail "nginx serves '$page', the repo has '$repo'"
  note "nginx serves the repo's index.html (commit $(served_root | sed 's|.*/||'))"
  sha=$(push_page "pushed on kind, trigger")
  t0=$SECONDS
  # git-sync polls every 20 s (the e2e shows the same with 8 s): well before that is the trigger.
  retry 10 serves_commit "$sha" || fail "the push ($sha) did not reach the page within 10 s of the webhook"
  note "push with the webhook: commit $sha served after $((SECONDS - t0)) s"
  sha=$(push_page "pushed on kind, polled" -o skip-webhook)
  t0=$SECONDS
  retry 60 serves_commit "$sha" || fail "the push ($sha) did not reach the page by polling within 60 s"
  note "push without the webhook: commit $sha served after $((SECONDS - t0)) s (polling)"
  [[ "$(kx web nginx curl -fsS -m 3 http://127.0.0.1:8080/)" == *"pushed on kind, polled"* ]] || fail "the served page is not the pushed one"
}

# 2. Ambassador
rcli() { kx shop app redis-cli -h 127.0.0.1 -p 6379 "$@"; }
calls() { # calls POD CMD: INFO commandstats calls of CMD on that Redis
  kx "$1" redis redis-cli info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$2:calls=\([0-9]*\).*/\1/p" | grep . || echo 0
}
writes_ok() { [ "$(rcli set "$1" "$2" | tr -d '\r')" = OK ]; }
reads_back() { [ "$(rcli get "$1" | tr -d '\r')" = "$2" ]; }
role() { kx "$1" redis redis-cli role | head -1 | tr -d '\r'; }
healthy_replicas() {
  [ "$(kx shop app curl -fsS -m 5 http://127.0.0.1:9121/metrics | grep -cE '^redis_ambassador_upstream_healthy\{[^}]*role="replica"[^}]*\} 1$')" -ge 2 ]
}
verify_2-ambassador() {
  local primary='' replicas=() p i sets0 gets0=0 sets gets=0 old new
  for p in redis-0 redis-1 redis-2; do
    if [ "$(role "$p")" = master ]; then primary=$p; else replicas+=("$p"); fi
  done
  [ -n "$primary" ] || fail "no Redis pod is a primary"
  retry 120 kx shop app curl -fsS -m 3 http://127.0.0.1:9121/readyz || fail "the ambassador is not ready"
  retry 120 healthy_replicas || fail "the ambassador does not see two healthy replicas"
  [ "$(rcli ping | tr -d '\r')" = PONG ] || fail "PING through the ambassador"
  sets0=$(calls "$primary" set)
  for p in "${replicas[@]}"; do gets0=$((gets0 + $(calls "$p" get))); done
  # shellcheck disable=SC2016 # expanded by the pod's shell
  kx shop app bash -c 'for i in $(seq 1 10); do redis-cli -h 127.0.0.1 -p 6379 set "kind-$i" "value-$i" >/dev/null; done'
  sleep 1   # replication is asynchronous
  for i in $(seq 1 10); do
    [ "$(rcli get "kind-$i" | tr -d '\r')" = "value-$i" ] || fail "GET kind-$i through the ambassador"
  done
  sets=$(( $(calls "$primary" set) - sets0 ))
  for p in "${replicas[@]}"; do gets=$((gets + $(calls "$p" get))); done
  gets=$((gets - gets0))
  [ "$sets" -eq 10 ] || fail "SETs on the primary $primary: $sets, want 10"
  [ "$gets" -ge 10 ] || fail "GETs on the replicas ${replicas[*]}: $gets, want >= 10"
  note "PONG; 10 SETs on the primary $primary, $gets GETs on the replicas ${replicas[*]} (INFO commandstats)"
  [ "${KIND_FAILOVER:-1}" = 1 ] || return 0
  old=$(kx "${replicas[0]}" sentinel redis-cli -p 26379 sentinel get-master-addr-by-name mymaster | head -1 | tr -d '\r')
  kubectl -n "$NS" delete pod "$primary" --wait=false >/dev/null
  sentinel_moved() { new=$(kx "${replicas[0]}" sentinel redis-cli -p 26379 sentinel get-master-addr-by-name mymaster | head -1 | tr -d '\r'); [ -n "$new" ] && [ "$new" != "$old" ]; }
  retry 90 sentinel_moved || fail "Sentinel did not promote a replica after $primary was deleted"
  retry 60 writes_ok after-failover yes || fail "no write through the ambassador after the failover"
  retry 20 reads_back after-failover yes || fail "GET after the failover"
  note "deleted $primary ($old); Sentinel promoted $new; writes and reads resumed through the same ambassador"
}

# 3. Adapter
adapter_metrics() { kx metrics-app app curl -fsS -m 20 http://127.0.0.1:9102/metrics; }
orders_on_adapter() { adapter_metrics | sed -n 's/^shop_orders_total{[^}]*channel="kind"[^}]*} \([0-9]*\)$/\1/p'; }
order_arrived() { kx metrics-app app curl -fsS -m 3 -X POST 'http://127.0.0.1:8080/order?channel=kind' >/dev/null; [ -n "$(orders_on_adapter)" ]; }
orders_are() { [ "$(orders_on_adapter)" = "$1" ]; }
has_series() { adapter_metrics | grep -qE "$1"; }
verify_3-adapter() {
  local base i
  # StatsD is UDP: lines sent before the adapter listened are gone; once one arrives, count exactly.
  retry 120 order_arrived || fail "no StatsD order reached the adapter"
  sleep 1
  base=$(orders_on_adapter)
  for i in 1 2 3 4 5; do kx metrics-app app curl -fsS -m 3 -X POST 'http://127.0.0.1:8080/order?channel=kind' >/dev/null; done
  retry 60 orders_are $((base + 5)) || fail "shop_orders_total{channel=kind} on the adapter is $(orders_on_adapter), want $((base + 5))"
  note "StatsD: shop_orders_total{channel=\"kind\"} = $((base + 5)) on the adapter's /metrics"
  retry 90 has_series '^shop_jvm_orders_processed_total\{[^}]*queue="checkout"[^}]*\} [1-9]' || fail "no JMX series (shop_jvm_orders_processed_total) on /metrics"
  note "JMX:    $(adapter_metrics | grep -m1 '^shop_jvm_orders_processed_total')"
  retry 60 has_series '^shop_app_requests(_total)?(\{[^}]*\})? [1-9]' || fail "no JSON series (shop_app_requests) on /metrics"
  note "JSON:   $(adapter_metrics | grep -m1 -E '^shop_app_requests')"
  retry 90 prom_is metrics-prometheus 'sum(shop_orders_total{channel="kind"})' $((base + 5)) \
    || fail "Prometheus answers sum(shop_orders_total{channel=\"kind\"}) = '$(prom metrics-prometheus 'sum(shop_orders_total{channel="kind"})')', want $((base + 5))"
  retry 60 prom_min metrics-prometheus 'sum(shop_jvm_orders_processed_total)' 1 || fail "Prometheus has no JMX series"
  note "Prometheus: sum(shop_orders_total{channel=\"kind\"}) = $((base + 5)), sum(shop_jvm_orders_processed_total) = $(prom metrics-prometheus 'sum(shop_jvm_orders_processed_total)')"
}

# 4. Together
app() { kx together app curl -fsS -m 5 "$@"; }
verify_4-together() {
  local page repo v
  retry 120 app http://127.0.0.1:8080/ || fail "the app serves no synced content"
  page=$(app http://127.0.0.1:8080/)
  repo=$(kx together-git git git --git-dir=/srv/git/site.git show main:index.html 2>/dev/null || true)
  [[ "$page" == *"version 1"* ]] || fail "the app serves '$page', want the repo's first page"
  [ -z "$repo" ] || [[ "$page" == *"$(printf '%s' "$repo" | grep -o '<h1>.*</h1>')"* ]] || fail "the app's page is not the repo's"
  note "content (git-sync): $(printf '%s' "$page" | grep -o '<h1>.*</h1>')"
  retry 120 kx together app curl -fsS -m 3 http://127.0.0.1:9121/readyz || fail "the ambassador is not ready"
  [ "$(kx together app redis-cli -h 127.0.0.1 -p 6379 ping | tr -d '\r')" = PONG ] || fail "PING through the ambassador"
  app -X PUT --data "hello from kind" http://127.0.0.1:8080/kv/greeting >/dev/null || fail "PUT /kv/greeting"
  greeting_is() { [ "$(app http://127.0.0.1:8080/kv/greeting)" = "$1" ]; }
  retry 20 greeting_is "hello from kind" || fail "GET /kv/greeting"
  v=$(app http://127.0.0.1:8080/kv/greeting)
  note "data (ambassador): greeting = $v"
  retry 90 prom_is together-prometheus 'up{job="together"}' 1 || fail "Prometheus does not scrape the adapter"
  retry 90 prom_min together-prometheus 'sum(shop_http_requests)' 3 || fail "Prometheus has no shop_http_requests >= 3"
  note "metrics (adapter → Prometheus): sum(shop_http_requests) = $(prom together-prometheus 'sum(shop_http_requests)')"
}

verify() { # verify EXAMPLE: the in-cluster checks (fail shows the pods' state and logs)
  local ex=$1
  NS=pod-patterns-${ex#*-}
  log "showing $ex working inside the cluster (namespace $NS)"
  "verify_$ex"
}

if [ "$mode" = verify ]; then
  for ex in "${examples[@]}"; do verify "$ex"; done
  exit 0
fi

check_offline
[ "$mode" = check ] && exit 0

if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --config examples/kind/cluster.yaml --wait 120s
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building ${images[*]}"
  PREFIX=$PREFIX TAG=$TAG bash scripts/build-images.sh "${images[@]}"
fi
for name in "${images[@]}"; do
  log "loading $PREFIX/$name:$TAG into kind"
  kind load docker-image --name "$CLUSTER" "$PREFIX/$name:$TAG"
done

for ex in "${examples[@]}"; do
  NS=pod-patterns-${ex#*-}
  log "applying $ex (namespace $NS)"
  kubectl apply -k "examples/$ex/overlays/kind"
  if ! kubectl -n "$NS" wait --for=condition=Ready pod --all --timeout=240s; then
    kubectl -n "$NS" get pods -o wide
    kubectl -n "$NS" describe pods | tail -n 80
    for p in $(kubectl -n "$NS" get pods -o name); do kubectl -n "$NS" logs "$p" --all-containers --tail=30 || true; done
    exit 1
  fi
  kubectl -n "$NS" get pods -o wide
  verify "$ex"
done
log "done; delete with: bash examples/kind/run.sh down"
