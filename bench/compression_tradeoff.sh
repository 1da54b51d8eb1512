#!/usr/bin/env bash
# The density and accuracy trade-off of gradient compression: the MLP 784-1000-10 on Fashion-MNIST
# with 2 MPI ranks for a fixed number of epochs, uncompressed, bf16 and threshold at several target
# densities, each with and without overlap. Prints a Markdown table (test accuracy, achieved
# density, bytes sent per step and rank, communication share and hidden share, samples/s).
# usage: bench/compression_tradeoff.sh [BUILD_DIR] [EPOCHS] [TRAIN_LIMIT] [DENSITIES]
#        (default: build 3 20000 "0.1 0.01 0.001")
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
epochs=${2:-3}
train_limit=${3:-20000}
densities=${4:-0.1 0.01 0.001}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

mlp=(train --model mlp --data fashion-mnist --train-limit "$train_limit" --seed 1 --quiet
     --batch 64 --optim sgd --lr 0.01 --momentum 0.9 --epochs "$epochs")

# Runs one configuration on 2 ranks and prints its table row.
run() {
  local name=$1; shift
  local dir=$out/$(echo "$name" | tr -c 'a-z0-9' '_')
  mpirun -np 2 "$build/shoal" "${mlp[@]}" "$@" --out "$dir" >/dev/null
  /usr/bin/env python3 - "$name" "$dir/metrics.jsonl" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
records = [json.loads(l) for l in open(path)]
test = [r for r in records if r["type"] == "test"][-1]
epochs = [r for r in records if r["type"] == "epoch"]
mean = lambda key: sum(e.get(key, 0) for e in epochs) / len(epochs)
density = f"{100 * mean('density'):.2f}%" if "density" in epochs[-1] else "100% (floats)"
hidden = f"{100 * mean('hidden_share'):.0f}%" if "hidden_share" in epochs[-1] else "-"
print(f"| {name:<34} | {100 * test['Top1Accuracy']:6.2f}% | {density:>13} | {mean('bytes_per_step') / 1e6:6.3f} MB "
      f"| {100 * mean('comm_share'):5.1f}% | {hidden:>4} | {mean('samples_per_sec'):7,.0f} |")
PY
}

echo "| --compress (2 ranks x batch 64, $epochs epochs of $train_limit samples) | test accuracy | density | bytes/step/rank | comm share | hidden | samples/s |"
echo "|---|---|---|---|---|---|---|"
for overlap in off on; do
  run "none, overlap $overlap" --compress none --overlap "$overlap"
  run "bf16, overlap $overlap" --compress bf16 --overlap "$overlap"
  for d in $densities; do
    run "threshold $d, overlap $overlap" --compress threshold --threshold-density "$d" --overlap "$overlap"
  done
done
