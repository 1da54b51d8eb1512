"""The examples under examples/python run and learn; the BigDL script differs from BigDL's only in its imports."""

import os
import re
import subprocess
import sys

from conftest import SOURCE_DIR

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "python")


def run_example(name, *args):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_bigdl_script_learns():
    out = run_example("bigdl_slide.py")
    losses = [float(v) for v in re.findall(r"epoch \d+  loss ([0-9.]+)", out)]
    assert len(losses) == 20
    assert losses[-1] < 0.5 * losses[0]
    accuracy = float(re.search(r"accuracy on the validation samples: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


def test_bigdl_script_differs_from_bigdls_only_in_imports():
    with open(os.path.join(EXAMPLES, "bigdl_slide.bigdl.py")) as f:
        original = f.read().splitlines()
    with open(os.path.join(EXAMPLES, "bigdl_slide.py")) as f:
        ported = f.read().splitlines()
    code = lambda lines: [l for l in lines if l.strip() and not l.startswith("#")
                          and not l.startswith(("from ", "import "))]
    assert code(original) == code(ported)
    assert any(l.startswith("from bigdl.") for l in original)
    assert not any("bigdl" in l and l.startswith(("from", "import")) and "shoal" not in l for l in ported)


def test_one_based_labels_need_the_setting():
    script = ("import numpy as np\n"
              "from shoal.compat.bigdl.nn.layer import *\nfrom shoal.compat.bigdl.nn.criterion import *\n"
              "from shoal.compat.bigdl.optim.optimizer import *\n"
              "x = np.zeros((4, 5), np.float32); y = np.array([1, 2, 1, 2])\n"
              "Optimizer(model=Sequential().add(Linear(5, 2)).add(LogSoftMax()), training_rdd=(x, y),\n"
              "          criterion=ClassNLLCriterion(), end_trigger=MaxEpoch(1), batch_size=2)\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 1
    assert "ValueError: label 2 of sample 1 is outside [0, 1] for 2 classes" in r.stderr
    assert "set_label_base(1)" in r.stderr
