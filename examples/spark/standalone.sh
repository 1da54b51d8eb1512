#!/usr/bin/env bash
# spark-submit against a Spark standalone cluster started here from the pyspark installation: one
# master and two workers of one core each (127.0.0.1), then examples/spark/fashion_mnist.py on it
# with numWorkers=2; the cluster is stopped at the end. On a real cluster, start the master and
# workers with Spark's sbin scripts instead and give spark-submit the same settings.
# usage: examples/spark/standalone.sh [fashion_mnist.py arguments]   (after ./run build)
set -euo pipefail
cd "$(dirname "$0")/../.."
python=$PWD/.venv-spark/bin/python
build=${SHOAL_BUILD_DIR:-build}
SPARK_HOME=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export PYTHONPATH=$PWD/$build/python SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_WORKER_DIR=${SPARK_WORKER_DIR:-$(mktemp -d)}
master=spark://127.0.0.1:7077
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 \
  --webui-port 8080 >"$SPARK_WORKER_DIR/master.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --cores 1 --memory 2g \
    --webui-port $((8080 + i)) "$master" >"$SPARK_WORKER_DIR/worker$i.log" 2>&1 &
  pids+=($!)
done

# fashion_mnist.py waits (up to a minute) until the workers' executors have registered.
"$SPARK_HOME/bin/spark-submit" --master "$master" \
  --conf spark.pyspark.python="$python" --conf spark.pyspark.driver.python="$python" \
  --conf spark.executorEnv.PYTHONPATH="$PWD/$build/python" \
  --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false \
  examples/spark/fashion_mnist.py --workers 2 "$@"
