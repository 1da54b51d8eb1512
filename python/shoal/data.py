"""Data for shoal from Python: numpy arrays used in place, and the engine's readers (IDX, CSV, run configurations).

Arrays are borrowed, not copied, when their type and layout fit: ``uint8`` images and
``float32`` features in C order are read by the engine where they lie. Other dtypes (float64,
ints) and non-contiguous arrays are converted to a float32 (or uint8) C-order copy once, when a
data set is made, never per batch. Labels are class indices from 0 of any integer (or
whole-valued float) dtype; they are checked and stored as int32 (one small copy).
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from shoal import _core

Arrays = tuple[np.ndarray, Optional[np.ndarray]]

IDENTITY: dict[str, list[float]] = {"offset": [0.0], "scale": [1.0]}


def pixel_scale() -> dict[str, list[float]]:
    """The preprocessing of uint8 images: x / 255 (what the CLI applies to IDX images)."""
    return json.loads(_core.pixel_scale())


def default_preprocessing(x: np.ndarray) -> dict[str, list[float]]:
    """x / 255 for uint8 arrays (images), the identity for anything else."""
    return pixel_scale() if np.asarray(x).dtype == np.uint8 else dict(IDENTITY)


class DataSet:
    """Samples ``x`` ([N, ...]) and labels ``y`` ([N] class indices; float targets [N] or [N, K] for
    the mse loss; or None) for training and evaluation.

    Holds the arrays themselves (no copy); the engine borrows them when it trains or evaluates.
    """

    def __init__(self, x: np.ndarray, y: Optional[np.ndarray] = None) -> None:
        self.x = x if isinstance(x, np.ndarray) else np.asarray(x)
        self.y = None if y is None else (y if isinstance(y, np.ndarray) else np.asarray(y))
        if self.x.ndim < 2:
            raise _shape_error(f"x: expected one row per sample (at least 2 dimensions), got shape {self.x.shape}")
        if self.y is not None and len(self.y) != len(self.x):
            raise _shape_error(f"y: {len(self.y)} labels for {len(self.x)} samples in x")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The per-sample shape: x.shape[1:]."""
        return tuple(self.x.shape[1:])

    def handle(self, classes: int = 0, preprocessing: Optional[dict] = None, numeric_targets: bool = False) -> Any:
        """The engine's view of this data set (borrowing ``x`` when it can); labels checked against
        ``classes``, or with ``numeric_targets`` ``y`` taken as float targets ([N] or [N, K], regression)."""
        pre = preprocessing if preprocessing is not None else default_preprocessing(self.x)
        return _core.dataset_from_arrays(self.x, self.y, int(classes), json.dumps(pre), numeric_targets)


DataLike = Union[DataSet, tuple, list]


def as_dataset(data: Any, what: str = "data") -> DataSet:
    """A DataSet from a DataSet, an (x, y) pair or a list of BigDL-style samples."""
    if isinstance(data, DataSet):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], np.ndarray):
        return DataSet(data[0], data[1])
    to_arrays = getattr(data, "to_arrays", None)
    if to_arrays is not None:
        x, y = to_arrays()
        return DataSet(x, y)
    raise TypeError(f"{what}: expected a shoal.data.DataSet or an (x, y) pair of numpy arrays, "
                    f"got {type(data).__name__}")


def read_idx(images: str, labels: str, classes: int = 10) -> Arrays:
    """Reads an IDX image file and its label file (raw or .gz): (uint8 [N, 1, H, W], int32 [N])."""
    return _core.read_idx(os.fspath(images), os.fspath(labels), classes)


def read_csv(path: str, label_column: Union[int, str] = 0, has_label: bool = True, classes: int = 0) -> Arrays:
    """Reads a numeric CSV file (raw or .gz): (float32 [N, F], int32 [N] or None).

    ``label_column`` is a 0-based index or a header name; ``has_label=False`` makes every column
    a feature. ``classes`` (0: the largest label + 1) bounds the labels.
    """
    return _core.read_csv(os.fspath(path), str(label_column), has_label, classes)


def read_table(path: str, label_column: Union[int, str] = 0, has_label: bool = True, *,
               categorical: Sequence[str] = (), numeric: Sequence[str] = (), ignore: Sequence[str] = (),
               embed: Sequence[str] = (), one_hot: Sequence[str] = (),
               missing: Sequence[str] = ("", "NA", "NaN", "null"), impute: str = "mean",
               embed_threshold: int = 16, max_categories: int = 100000, type_errors_as_missing: bool = False,
               schema: Optional[dict] = None) -> tuple[np.ndarray, Optional[np.ndarray], dict]:
    """Reads a CSV file (raw or .gz) as a typed table, as ``shoal train --model tabular`` does.

    Returns ``(x, y, schema)``: the encoded rows (float32 [N, width]: each numeric or boolean value
    standardised, each missing indicator, each one-hot category column, then one category code per
    embedded column), the labels (int32 [N] class indices, or None) and the schema (a dict: column
    types, imputation values, vocabularies, class names) that encoded them.

    Without ``schema`` the types are inferred from the first 1,000 rows (``categorical``,
    ``numeric`` and ``ignore`` override them by header name or 0-based index) and the schema is
    fitted on this file. With ``schema`` (from an earlier call, or a model file's ``"table"``) the
    file is encoded exactly as that schema says: an unseen category is "unknown", a missing value
    takes the stored mean or median; the other arguments except ``has_label`` are then unused.
    docs/tables.md describes every setting. Raises ``shoal.InputError`` with the file, line and
    column for a bad cell.
    """
    options = {"label_column": str(label_column), "no_label": not has_label, "categorical": [str(c) for c in categorical],
               "numeric": [str(c) for c in numeric], "ignore": [str(c) for c in ignore],
               "embed": [str(c) for c in embed], "one_hot": [str(c) for c in one_hot], "missing": list(missing),
               "impute": impute, "embed_threshold": embed_threshold, "max_categories": max_categories,
               "type_errors": "missing" if type_errors_as_missing else "error"}
    x, y, fitted = _core.read_table(os.fspath(path), json.dumps(options), json.dumps(schema) if schema else "")
    return x, y, json.loads(fitted)


def fashion_mnist(directory: Optional[str] = None) -> tuple[Arrays, Arrays]:
    """Fashion-MNIST's 60,000 training and 10,000 test images: ((x, y), (x_test, y_test)).

    Read from ``directory``, else $SHOAL_FASHION_MNIST_DIR, else Debian's dataset-fashion-mnist
    (/usr/share/datasets/fashion-mnist); x is uint8 [N, 1, 28, 28], y int32 [N].
    """
    d = os.fspath(directory) if directory is not None else _core.fashion_mnist_dir()
    if not os.path.isdir(d):
        train, test, _, _ = _core.load_config_data(json.dumps({"named": "fashion-mnist"}))
        return train, test  # raises the engine's error, which says how to install the data
    train = read_idx(f"{d}/train-images-idx3-ubyte.gz", f"{d}/train-labels-idx1-ubyte.gz")
    test = read_idx(f"{d}/t10k-images-idx3-ubyte.gz", f"{d}/t10k-labels-idx1-ubyte.gz")
    return train, test


def load(data: dict) -> tuple[Arrays, Optional[Arrays], int, str]:
    """The data sets a run configuration's "data" object names (the CLI's --data, --train-csv, ...).

    Example: ``load({"train_csv": "train.csv", "test_csv": "test.csv", "label_column": "y"})``.
    Returns ((x, y), (x_test, y_test) or None, classes, description).
    """
    return _core.load_config_data(json.dumps(data))


def _shape_error(message: str) -> Exception:
    from shoal.errors import ShapeError
    return ShapeError(message)


__all__ = ["DataSet", "as_dataset", "read_idx", "read_csv", "read_table", "fashion_mnist", "load", "pixel_scale",
           "default_preprocessing"]
