"""pip install . --no-build-isolation works offline in a fresh venv, and the installed package imports."""

import os
import subprocess
import sys
import time

import pytest

from conftest import BUILD_DIR, SOURCE_DIR


def test_pip_install_in_a_fresh_venv(tmp_path):
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("needs Debian's python3")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, SHOAL_BUILD_DIR=BUILD_DIR, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    start = time.perf_counter()
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", "-q", SOURCE_DIR],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"pip install took {seconds:.1f} s")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", "import shoal, os; print(shoal.__version__); "
                        "print(os.path.dirname(shoal.__file__)); import shoal.compat.bigdl.optim.optimizer"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    version, location = r.stdout.split()
    assert version.count(".") == 2
    assert location.startswith(str(venv))  # the installed copy, not the source tree
    files = os.listdir(location)
    assert "py.typed" in files and "_core.pyi" in files
