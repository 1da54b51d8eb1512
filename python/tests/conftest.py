"""Shared helpers of the Python tests: the CLI, the source tree, small data files."""

import os
import subprocess

import numpy as np
import pytest

SOURCE_DIR = os.environ.get("SHOAL_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("SHOAL_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
CLI = os.environ.get("SHOAL_CLI", os.path.join(BUILD_DIR, "shoal"))


def run_cli(*args, check=True):
    """Runs the shoal CLI; returns the completed process."""
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"shoal {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
    return r


def write_csv(path, n=96, features=6, classes=3, seed=0):
    """A labelled numeric CSV (label first) with a learnable rule; returns (x, y)."""
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype(np.float32)
    y = (np.argmax(x[:, :classes], axis=1)).astype(np.int64)
    with open(path, "w") as f:
        f.write("label," + ",".join(f"f{i}" for i in range(features)) + "\n")
        for xi, yi in zip(x, y):
            f.write(f"{yi}," + ",".join(repr(float(v)) for v in xi) + "\n")
    return x, y


@pytest.fixture
def csv_data(tmp_path):
    path = tmp_path / "train.csv"
    x, y = write_csv(path)
    return str(path), x, y
