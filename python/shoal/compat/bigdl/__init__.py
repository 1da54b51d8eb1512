"""shoal.compat.bigdl: BigDL's Python interface (bigdl.nn.layer, bigdl.nn.criterion, bigdl.optim.optimizer,
bigdl.util.common) over shoal, so that a BigDL script runs with its imports changed.

Labels count from 0 (shoal's and PyTorch's convention) unless set otherwise: BigDL counts
classes from 1, so a BigDL script's labels need ``set_label_base(1)`` or the import of
``shoal.compat.bigdl.one_based_labels``. A label outside the range is a ValueError that says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_label_base = 0


def set_label_base(base: int = 0) -> None:
    """0: labels are 0 .. classes-1 (default); 1: BigDL's 1 .. classes."""
    global _label_base
    if base not in (0, 1):
        raise ValueError(f"set_label_base: expected 0 or 1, got {base!r}")
    _label_base = base


def label_base() -> int:
    """The label base in effect (0 or 1)."""
    return _label_base


def to_zero_based(y: Any, classes: int) -> np.ndarray:
    """Labels moved to 0-based class indices, checked against ``classes`` under the label base."""
    y = np.asarray(y).reshape(-1)
    base = _label_base
    low, high = base, classes - 1 + base
    bad = np.nonzero((y < low) | (y > high) | (y != np.floor(y)))[0]
    if len(bad):
        i = int(bad[0])
        hint = ("labels count from 1 (BigDL's convention) under set_label_base(1)" if base == 1 else
                "labels count from 0; for BigDL's 1-based labels call shoal.compat.bigdl.set_label_base(1) "
                "or import shoal.compat.bigdl.one_based_labels")
        raise ValueError(f"label {y[i]:g} of sample {i} is outside [{low}, {high}] for {classes} classes ({hint})")
    return (y - base).astype(np.int32)
