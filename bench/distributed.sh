#!/usr/bin/env bash
# Distributed benchmark: the MLP (784-1000-10) at batch 128 per rank on Fashion-MNIST, 1 rank x 2
# threads against 2 ranks x 1 thread for each strategy: samples/s, communication share, bytes/step.
# "comm share" is the time in collectives over the step time; "of it wait" the part spent waiting
# for the other rank to arrive (imbalance, not transfer). allreduce runs twice: through the
# shared memory of the ranks (the default on one machine) and through Open MPI's messages; first,
# bench_allreduce times the bare all-reduce of the MLP's gradient both ways.
# usage: bench/distributed.sh [BUILD_DIR] [ITERATIONS]   (default: build, 2000 steps per run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

common=(train --model mlp --data fashion-mnist --batch 128 --optim sgd --lr 0.01 --momentum 0.9
        --iterations "$steps" --test-limit 2 --quiet)

# Prints one table row from the last epoch record of a run directory.
row() {
  local name=$1 dir=$2
  /usr/bin/env python3 - "$name" "$dir/metrics.jsonl" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
epochs = [json.loads(l) for l in open(path) if '"type":"epoch"' in l]
samples = sum(e["samples_per_sec"] for e in epochs) / len(epochs)
steps_time = sum(e.get("comm_sec", 0) / e["comm_share"] for e in epochs if e.get("comm_share"))
share = sum(e.get("comm_sec", 0) for e in epochs) / steps_time if steps_time else 0
wait = sum(e.get("comm_wait_sec", 0) for e in epochs) / steps_time if steps_time else 0
bytes_ = epochs[-1].get("bytes_per_step", 0)
print(f"| {name:<58} | {samples:>10,.0f} | {100 * share:>10.1f}% | {100 * wait:>10.1f}% | {bytes_ / 1e6:>12.2f} |")
PY
}

# The collective alone: one all-reduce of the MLP's gradient, both ways, alternated.
mpirun -np 2 "$build/bench_allreduce" 795010 400 | grep -v '^RESULT'
echo
echo "MLP 784-1000-10, batch 128 per rank, SGD momentum 0.9, $steps steps per run ($(nproc) cores)"
echo "| run                                                        | samples/s  | comm share | of it wait | MB sent/step |"
echo "|------------------------------------------------------------|------------|------------|------------|--------------|"
"$build/shoal" "${common[@]}" --threads 2 --out "$out/single" >/dev/null
row "1 rank x 2 threads" "$out/single"
for strategy in allreduce "allreduce --shared-memory off" "average --average-every 10"; do
  mpirun -np 2 "$build/shoal" "${common[@]}" --threads 1 --dist $strategy --out "$out/$strategy" >/dev/null
  row "2 ranks x 1 thread, --dist $strategy" "$out/$strategy"
done
