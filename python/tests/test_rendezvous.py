"""shoal.init(rendezvous=...) without mpirun: two Python processes joined through Gloo's rendezvous
train, with each strategy, to the CLI's 2-rank Gloo weights bit for bit and hold bit-identical
replicas; a wrong job secret is a UsageError naming why."""

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from shoal.nn import load

from conftest import CLI, write_csv

SECRET = "python-test-secret"

SCRIPT = r"""
import sys
import shoal
from shoal.nn import zoo
from shoal.optim import LBFGS, SGD, MaxEpoch, Optimizer
import numpy as np

csv, address, rank, secret, out, strategy = sys.argv[1:7]
try:
    got = shoal.init(timeout=20, rendezvous=address, world_size=2, rank=int(rank), job_secret=secret)
except shoal.UsageError as e:
    print("refused:", e, flush=True)
    sys.exit(3)
assert got == (int(rank), 2) == (shoal.rank(), shoal.world_size())
x, y = shoal.data.read_csv(csv)
shoal.manual_seed(3)
model = zoo.mlp(input_shape=(6,), classes=3, hidden=(8,))
method = LBFGS() if strategy == "lbfgs" else SGD(lr=0.05)
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(2), optim_method=method, batch_size=8, seed=3)
opt.set_strategy(strategy).set_settings({"output": {"dir": out, "quiet": True}})
opt.optimize()
np.save(f"{out}-replica{rank}.npy", model.flat_parameters())
print(f"rank {rank}: {opt.summary['iterations']} iterations", flush=True)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(commands, env=None):
    """Starts one process per command at once; their (returncode, stdout + stderr)."""
    procs = [subprocess.Popen([str(a) for a in c], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env) for c in commands]
    return [(p.wait(timeout=120), p.stdout.read()) for p in procs]


@pytest.mark.parametrize("strategy", ["allreduce", "average", "lbfgs"])
def test_python_ranks_through_the_rendezvous_match_the_cli(tmp_path, strategy):
    data = tmp_path / "train.csv"
    write_csv(data, n=160, features=6, classes=3)
    env = dict(os.environ, SHOAL_JOB_SECRET=SECRET)
    address = f"127.0.0.1:{free_port()}"
    optim = ["--optim", "lbfgs"] if strategy == "lbfgs" else ["--lr", 0.05]
    cli = [CLI, "train", "--model", "mlp", "--hidden", 8, "--train-csv", data, "--epochs", 2, "--batch", 8,
           *optim, "--dist", strategy, "--seed", 3, "--quiet", "--comm", "gloo", "--rendezvous", address,
           "--world-size", 2, "--comm-timeout", 20]
    results = run_ranks([cli + ["--rank", r, "--out", tmp_path / f"cli{r}"] for r in (0, 1)], env)
    assert all(code == 0 for code, _ in results), results
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    address = f"127.0.0.1:{free_port()}"
    results = run_ranks([[sys.executable, script, data, address, r, SECRET, tmp_path / "py", strategy]
                         for r in (0, 1)])
    assert [code for code, _ in results] == [0, 0], results
    assert "rank 0:" in results[0][1] and "rank 1:" in results[1][1]
    cli_model = load(str(tmp_path / "cli0" / "model.shoal"))
    py_model = load(str(tmp_path / "py" / "model.shoal"))
    np.testing.assert_array_equal(py_model.flat_parameters(), cli_model.flat_parameters())
    replicas = [np.load(tmp_path / f"py-replica{r}.npy") for r in (0, 1)]
    np.testing.assert_array_equal(replicas[0], replicas[1])


def test_a_wrong_secret_is_refused_with_its_reason(tmp_path):
    data = tmp_path / "train.csv"
    write_csv(data, n=32, features=6, classes=3)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    address = f"127.0.0.1:{free_port()}"
    right = subprocess.Popen([sys.executable, script, data, address, "0", SECRET, tmp_path / "py", "allreduce"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wrong = subprocess.run([sys.executable, script, data, address, "1", "not-the-secret", tmp_path / "x", "allreduce"],
                           capture_output=True, text=True, timeout=60)
    right.kill()
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert "refused this rank: wrong job secret" in wrong.stdout, wrong.stdout


TWO_JOBS = r"""
import sys
import shoal
first, second, rank = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert shoal.init(timeout=20, rendezvous=first, world_size=2, rank=rank, job_secret="s") == (rank, 2)
assert shoal.init(timeout=20, rendezvous=first, world_size=2, rank=rank, job_secret="s") == (rank, 2)
shoal._core.barrier()
# the next job (a reused worker): other address, ranks swapped
assert shoal.init(timeout=20, rendezvous=second, world_size=2, rank=1 - rank, job_secret="s") == (1 - rank, 2)
shoal._core.barrier()
print("both jobs", flush=True)
"""


def test_one_process_serves_job_after_job(tmp_path):
    script = tmp_path / "two_jobs.py"
    script.write_text(TWO_JOBS)
    first, second = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    results = run_ranks([[sys.executable, script, first, second, r] for r in (0, 1)])
    assert [code for code, _ in results] == [0, 0], results
    assert all("both jobs" in out for _, out in results)
