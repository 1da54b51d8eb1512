"""shoal.init(rendezvous=...) without mpirun: two Python processes joined through Gloo's rendezvous
train to the CLI's 2-rank Gloo weights bit for bit; a wrong job secret is a UsageError naming why."""

import os
import socket
import subprocess
import sys

import numpy as np

from shoal.nn import load

from conftest import CLI, write_csv

SECRET = "python-test-secret"

SCRIPT = r"""
import sys
import shoal
from shoal.nn import zoo
from shoal.optim import SGD, MaxEpoch, Optimizer

csv, address, rank, secret, out = sys.argv[1:6]
try:
    got = shoal.init(timeout=20, rendezvous=address, world_size=2, rank=int(rank), job_secret=secret)
except shoal.UsageError as e:
    print("refused:", e, flush=True)
    sys.exit(3)
assert got == (int(rank), 2) == (shoal.rank(), shoal.world_size())
x, y = shoal.data.read_csv(csv)
shoal.manual_seed(3)
model = zoo.mlp(input_shape=(6,), classes=3, hidden=(8,))
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(2), optim_method=SGD(lr=0.05), batch_size=8, seed=3)
opt.set_strategy("allreduce").set_settings({"output": {"dir": out, "quiet": True}})
opt.optimize()
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


def test_python_ranks_through_the_rendezvous_match_the_cli(tmp_path):
    data = tmp_path / "train.csv"
    write_csv(data, n=160, features=6, classes=3)
    env = dict(os.environ, SHOAL_JOB_SECRET=SECRET)
    address = f"127.0.0.1:{free_port()}"
    cli = [CLI, "train", "--model", "mlp", "--hidden", 8, "--train-csv", data, "--epochs", 2, "--batch", 8,
           "--lr", 0.05, "--dist", "allreduce", "--seed", 3, "--quiet", "--comm", "gloo", "--rendezvous", address,
           "--world-size", 2, "--comm-timeout", 20]
    results = run_ranks([cli + ["--rank", r, "--out", tmp_path / f"cli{r}"] for r in (0, 1)], env)
    assert all(code == 0 for code, _ in results), results
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    address = f"127.0.0.1:{free_port()}"
    results = run_ranks([[sys.executable, script, data, address, r, SECRET, tmp_path / "py"] for r in (0, 1)])
    assert [code for code, _ in results] == [0, 0], results
    assert "rank 0: 20 iterations" in results[0][1] and "rank 1: 20 iterations" in results[1][1]
    cli_model = load(str(tmp_path / "cli0" / "model.shoal"))
    py_model = load(str(tmp_path / "py" / "model.shoal"))
    np.testing.assert_array_equal(py_model.flat_parameters(), cli_model.flat_parameters())


def test_a_wrong_secret_is_refused_with_its_reason(tmp_path):
    data = tmp_path / "train.csv"
    write_csv(data, n=32, features=6, classes=3)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    address = f"127.0.0.1:{free_port()}"
    right = subprocess.Popen([sys.executable, script, data, address, "0", SECRET, tmp_path / "py"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wrong = subprocess.run([sys.executable, script, data, address, "1", "not-the-secret", tmp_path / "x"],
                           capture_output=True, text=True, timeout=60)
    right.kill()
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert "refused this rank: wrong job secret" in wrong.stdout, wrong.stdout
