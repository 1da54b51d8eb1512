#!/usr/bin/env bash
# Renders a real training report to docs/report.png with headless Chromium: the README's screenshot.
# usage: docs/report_screenshot.sh [RUN_DIR]   (without RUN_DIR: a short LeNet-5 run is trained first)
set -euo pipefail
cd "$(dirname "$0")/.."
shoal=${SHOAL_BUILD_DIR:-build}/shoal
chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -x $shoal ]] || { echo "build shoal first (./run build)" >&2; exit 1; }
[[ -n $chromium ]] || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run=${1:-$work/lenet5-sgd}
if [[ -z ${1:-} ]]; then
  "$shoal" train --model lenet5 --data fashion-mnist --train-limit 12000 --test-limit 2000 --epochs 6 \
    --batch 64 --optim sgd --lr 0.02 --momentum 0.9 --seed 1 --stats-every 10 --out "$run" --quiet
fi
"$shoal" report "$run" --out "$work/report.html"
timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$work/profile" --window-size=1320,2250 --screenshot="$PWD/docs/report.png" \
  "file://$work/report.html" 2>/dev/null
echo "screenshot: docs/report.png"
