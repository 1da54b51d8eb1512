"""mpirun -np 2 python3 ...: data-parallel training from Python with each strategy (and with gradient
compression and overlap) gives the CLI's 2-rank weights bit for bit, and the run directory (written by
rank 0) holds what the CLI's does; mpi4py and shoal share one MPI job whichever initialises MPI first."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from shoal.nn import load

from conftest import CLI, write_csv

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="needs Open MPI's mpirun")

SCRIPT = r"""
import json
import sys
import shoal
from shoal.nn import zoo
from shoal.optim import LBFGS, SGD, MaxEpoch, Optimizer

csv, strategy, out, dist = sys.argv[1:4] + [json.loads(sys.argv[4])]
rank, size = shoal.init()
assert (rank, size) == (shoal.rank(), shoal.world_size()) and size == 2
x, y = shoal.data.read_csv(csv)
shoal.manual_seed(3)
model = zoo.mlp(input_shape=(6,), classes=3, hidden=(8,))
method = LBFGS() if strategy == "lbfgs" else SGD(lr=0.05)
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(2), optim_method=method, batch_size=8, seed=3)
opt.set_strategy(strategy).set_settings({"output": {"dir": out, "quiet": True}, "dist": dist})
opt.optimize()
print(f"rank {rank}: {opt.summary['iterations']} iterations", flush=True)
"""


def mpirun(*args):
    cmd = [MPIRUN, "--oversubscribe", "-np", "2"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += ["-x", "PYTHONPATH"] if "PYTHONPATH" in os.environ else []
    r = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


# (strategy, the settings' "dist" keys, the same as CLI flags)
CASES = [
    ("allreduce", {}, []),
    ("average", {}, []),
    ("lbfgs", {}, []),
    ("allreduce", {"compress": "threshold", "threshold_density": 0.1, "overlap": True, "bucket_mb": 0.0001},
     ["--compress", "threshold", "--threshold-density", 0.1, "--overlap", "on", "--bucket-mb", 0.0001]),
]


@pytest.mark.parametrize("strategy,dist,flags", CASES)
def test_two_ranks_from_python_match_the_cli(tmp_path, strategy, dist, flags):
    data = tmp_path / "train.csv"
    write_csv(data, n=160, features=6, classes=3)
    optim = ["--optim", "lbfgs"] if strategy == "lbfgs" else ["--lr", "0.05"]
    mpirun(CLI, "train", "--model", "mlp", "--hidden", 8, "--train-csv", data, "--epochs", 2, "--batch", 8,
           *optim, "--dist", strategy, *flags, "--seed", 3, "--quiet", "--out", tmp_path / "cli")
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = mpirun(sys.executable, script, data, strategy, tmp_path / "py", json.dumps(dist))
    assert "rank 0:" in out and "rank 1:" in out
    written = set(os.listdir(tmp_path / "py"))
    assert {"model.shoal", "metrics.jsonl", "train.log", "config.json"} <= written <= set(os.listdir(tmp_path / "cli"))
    cli_model = load(str(tmp_path / "cli" / "model.shoal"))
    py_model = load(str(tmp_path / "py" / "model.shoal"))
    np.testing.assert_array_equal(py_model.flat_parameters(), cli_model.flat_parameters())


LOCAL_SHARD_SCRIPT = r"""
import sys
import shoal
from shoal.nn import zoo
from shoal.optim import SGD, MaxEpoch, Optimizer

csv, out = sys.argv[1:3]
rank, size = shoal.init()
x, y = shoal.data.read_csv(csv)
block = len(x) // size
x, y = x[rank * block:(rank + 1) * block], y[rank * block:(rank + 1) * block]
shoal.manual_seed(3)
model = zoo.mlp(input_shape=(6,), classes=3, hidden=(8,))
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(2), optim_method=SGD(lr=0.05), batch_size=8, seed=3)
opt.set_strategy("allreduce", shard="local").set_settings({"output": {"dir": out, "quiet": True}})
opt.optimize()
"""


def test_local_shard_trains_each_rank_on_its_own_data(tmp_path):
    # Each rank handing the engine its own block with shard "local" (what a Spark task does with its
    # partition) is the CLI's contiguous sharding of the whole file.
    data = tmp_path / "train.csv"
    write_csv(data, n=160, features=6, classes=3)
    mpirun(CLI, "train", "--model", "mlp", "--hidden", 8, "--train-csv", data, "--epochs", 2, "--batch", 8,
           "--lr", "0.05", "--seed", 3, "--quiet", "--out", tmp_path / "cli")
    script = tmp_path / "local.py"
    script.write_text(LOCAL_SHARD_SCRIPT)
    mpirun(sys.executable, script, data, tmp_path / "py")
    cli_model = load(str(tmp_path / "cli" / "model.shoal"))
    py_model = load(str(tmp_path / "py" / "model.shoal"))
    np.testing.assert_array_equal(py_model.flat_parameters(), cli_model.flat_parameters())


MPI4PY_SCRIPT = r"""
import sys
ORDER = sys.argv[1]
if ORDER == "mpi4py-first":
    from mpi4py import MPI
import shoal
rank, size = shoal.init()
if ORDER == "shoal-first":
    from mpi4py import MPI
comm = MPI.COMM_WORLD
assert (comm.Get_rank(), comm.Get_size()) == (rank, size) == (shoal.rank(), 2)
total = comm.allreduce(rank + 1)
import numpy as np
from shoal.nn import zoo
from shoal.optim import MaxEpoch, Optimizer
x = np.random.RandomState(0).rand(64, 4).astype(np.float32); y = (x[:, 0] > 0.5).astype(np.int64)
opt = Optimizer(zoo.mlp(input_shape=(4,), classes=2, hidden=(4,)), (x, y), end_trigger=MaxEpoch(1), batch_size=8)
opt.set_settings({"output": {"quiet": True}}).optimize()
print(f"rank {rank} sum {total} steps {opt.summary['iterations']}", flush=True)
"""


@pytest.mark.parametrize("order", ["mpi4py-first", "shoal-first"])
def test_mpi4py_and_shoal_share_the_job(tmp_path, order):
    pytest.importorskip("mpi4py")
    script = tmp_path / "mix.py"
    script.write_text(MPI4PY_SCRIPT)
    out = mpirun(sys.executable, script, order)
    assert "rank 0 sum 3 steps 4" in out and "rank 1 sum 3 steps 4" in out
