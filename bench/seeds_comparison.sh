#!/usr/bin/env bash
# The seeds' comparison on Fashion-MNIST with the MLP 784-1000-10: mini-batch SGD and full-batch
# L-BFGS in one process against the three distributed strategies on 2 MPI ranks, with the same
# global batch and epochs. Prints a Markdown table (test accuracy, wall time, samples/s).
# usage: bench/seeds_comparison.sh [BUILD_DIR] [EPOCHS] [LBFGS_ITERATIONS]   (default: build 10 30)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
epochs=${2:-10}
lbfgs_iterations=${3:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

mlp=(train --model mlp --data fashion-mnist --seed 1 --quiet)
sgd=(--optim sgd --lr 0.01 --momentum 0.9 --epochs "$epochs")
lbfgs=(--optim lbfgs --dist lbfgs --lbfgs-iterations 1 --line-search --batch 2000 --epochs "$lbfgs_iterations")

# Runs one configuration and prints its table row: name, then the command after `--`.
run() {
  local name=$1; shift
  local dir=$out/$(echo "$name" | tr -c 'a-z0-9' '_')
  local start end
  start=$(date +%s.%N)
  "$@" --out "$dir" >/dev/null
  end=$(date +%s.%N)
  /usr/bin/env python3 - "$name" "$dir/metrics.jsonl" "$start" "$end" <<'PY'
import json, sys
name, path, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
records = [json.loads(l) for l in open(path)]
test = [r for r in records if r["type"] == "test"][-1]
epochs = [r for r in records if r["type"] == "epoch"]
speed = sum(e["samples_per_sec"] for e in epochs) / len(epochs)
share = [e["comm_share"] for e in epochs if "comm_share" in e]
comm = f"{100 * sum(share) / len(share):.1f}%" if share else "-"
print(f"| {name:<46} | {100 * test['Top1Accuracy']:6.2f}% | {end - start:7.1f} s | {speed:9,.0f} | {comm:>6} |")
PY
}

echo "| method (MLP 784-1000-10, Fashion-MNIST)        | test acc | wall time | samples/s | comm   |"
echo "|------------------------------------------------|----------|-----------|-----------|--------|"
run "mini-batch SGD, 1 process, batch 128" "$build/shoal" "${mlp[@]}" "${sgd[@]}" --batch 128
run "distributed SGD, 2 ranks x 64, allreduce" mpirun -np 2 "$build/shoal" "${mlp[@]}" "${sgd[@]}" --batch 64 --dist allreduce
run "distributed SGD, 2 ranks x 64, average every 10" mpirun -np 2 "$build/shoal" "${mlp[@]}" "${sgd[@]}" --batch 64 --dist average --average-every 10
run "L-BFGS full batch, 1 process, $lbfgs_iterations iterations" "$build/shoal" "${mlp[@]}" "${lbfgs[@]}"
run "L-BFGS full batch, 2 ranks, $lbfgs_iterations iterations" mpirun -np 2 "$build/shoal" "${mlp[@]}" "${lbfgs[@]}"
