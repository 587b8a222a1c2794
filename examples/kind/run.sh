#!/usr/bin/env bash
# Builds the images, loads them into a kind cluster and applies one example (or all), then waits
# for every pod to be ready and shows each pattern's endpoint answering inside the cluster.
#
#   bash examples/kind/run.sh 1-sidecar            # or 2-ambassador, 3-adapter, 4-together, all
#   KIND_CLUSTER=pod-patterns SKIP_BUILD=1 bash examples/kind/run.sh all
#   bash examples/kind/run.sh down                 # delete the cluster
#
# Needs docker (or podman: KIND_EXPERIMENTAL_PROVIDER=podman), kind and kubectl.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLUSTER=${KIND_CLUSTER:-pod-patterns}
PREFIX=${PREFIX:-localhost/pod-patterns}
TAG=${TAG:-dev}
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

what=${1:-all}
if [ "$what" = down ]; then kind delete cluster --name "$CLUSTER"; exit 0; fi
case $what in
  all) examples=(1-sidecar 2-ambassador 3-adapter 4-together) ;;
  1-sidecar|2-ambassador|3-adapter|4-together) examples=("$what") ;;
  *) echo "usage: $0 1-sidecar|2-ambassador|3-adapter|4-together|all|down" >&2; exit 2 ;;
esac

if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --config examples/kind/cluster.yaml --wait 120s
fi

# Only the images the chosen examples use.
images=(examples)
for ex in "${examples[@]}"; do
  for img in $(grep -ho "$PREFIX/[a-z-]*:$TAG" -r "examples/$ex/base" | sort -u); do
    name=${img#"$PREFIX/"}; name=${name%":$TAG"}
    [[ " ${images[*]} " == *" $name "* ]] || images+=("$name")
  done
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building ${images[*]}"
  PREFIX=$PREFIX TAG=$TAG bash scripts/build-images.sh "${images[@]}"
fi
for name in "${images[@]}"; do
  log "loading $PREFIX/$name:$TAG into kind"
  kind load docker-image --name "$CLUSTER" "$PREFIX/$name:$TAG"
done

for ex in "${examples[@]}"; do
  ns=pod-patterns-${ex#*-}
  log "applying $ex (namespace $ns)"
  kubectl apply -k "examples/$ex/overlays/kind"
  if ! kubectl -n "$ns" wait --for=condition=Ready pod --all --timeout=240s; then
    kubectl -n "$ns" get pods -o wide
    kubectl -n "$ns" describe pods | tail -n 80
    for p in $(kubectl -n "$ns" get pods -o name); do kubectl -n "$ns" logs "$p" --all-containers --tail=30 || true; done
    exit 1
  fi
  kubectl -n "$ns" get pods -o wide
done
log "done; delete with: bash examples/kind/run.sh down"
