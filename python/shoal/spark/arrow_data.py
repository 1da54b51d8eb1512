"""Arrow record batches (a Spark partition) to the engine's arrays: one copy into one contiguous buffer.

The stage hands every task two columns (see columns.py): ``x``, a list of float32 (fixed length per
row), and ``y``, an int32 label or a list of float32 numeric targets (absent in transform). Values are copied straight from the Arrow
buffers into a float32 [rows, features] array; no Python object is made per row.
"""

from __future__ import annotations

import time
from typing import Iterable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoal.errors import InputError

FEATURES, LABEL = "x", "y"


def feature_values(column: pa.Array, width: int, what: str) -> np.ndarray:
    """The float32 values of a list<float> column, [rows, width], borrowed from Arrow where it can."""
    if column.null_count:
        raise InputError(f"{what}: {column.null_count} rows have no features (null)")
    if len(column) == 0:
        return np.zeros((0, width), np.float32)
    lengths = pc.list_value_length(column)
    shortest, longest = pc.min_max(lengths).values()
    if shortest.as_py() != width or longest.as_py() != width:
        raise InputError(f"{what}: every row needs {width} features, found rows with "
                         f"{shortest.as_py()} to {longest.as_py()}")
    values = column.flatten()  # honours the array's offset; no copy
    if values.null_count:
        raise InputError(f"{what}: {values.null_count} feature values are null")
    return values.to_numpy(zero_copy_only=True).reshape(len(column), width)


def hand_over(batches: Iterable[pa.RecordBatch], width: int, with_labels: bool,
              what: str = "partition", timing: Optional[dict] = None,
              target_width: int = 0) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """All rows of ``batches`` as x float32 [rows, width] (one copy) and y int32 [rows] (or None;
    with ``target_width`` numeric targets, float32 [rows, target_width]). ``timing`` receives the
    seconds spent receiving the batches and copying them."""
    started = time.perf_counter()
    kept = list(batches)
    received = time.perf_counter()
    rows = sum(b.num_rows for b in kept)
    x = np.empty((rows, width), np.float32)
    y = None
    if with_labels:
        y = np.empty((rows, target_width), np.float32) if target_width else np.empty(rows, np.int32)
    at = 0
    for b in kept:
        n = b.num_rows
        x[at:at + n] = feature_values(b.column(FEATURES), width, what)
        if y is not None and target_width:
            y[at:at + n] = feature_values(b.column(LABEL), target_width, f"{what} targets")
        elif y is not None:
            labels = b.column(LABEL)
            if labels.null_count:
                raise InputError(f"{what}: {labels.null_count} rows have no label (null)")
            y[at:at + n] = labels.to_numpy(zero_copy_only=False)
        at += n
    if timing is not None:
        timing.update(receive_seconds=received - started, copy_seconds=time.perf_counter() - received)
    return x, y
