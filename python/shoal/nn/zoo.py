"""Built-in models (the CLI's --model names), built for an input shape and a number of classes."""

from __future__ import annotations

import json
from typing import Sequence

from shoal import _core
from shoal.nn.module import Loaded, Module


def _zoo(name: str, input_shape: Sequence[int], classes: int, hidden: Sequence[int] = (),
         widths: Sequence[int] = (), table: str = "") -> Module:
    shape = [int(d) for d in input_shape]
    spec = json.loads(_core.zoo_spec(name, shape, int(classes), [int(h) for h in hidden], [int(w) for w in widths],
                                     table))
    return Loaded(spec, name).build(shape)


def mlp(input_shape: Sequence[int] = (1, 28, 28), classes: int = 10, hidden: Sequence[int] = (1000,)) -> Module:
    """The seeds' multi-layer perceptron: Linear/ReLU per hidden size, then Linear and LogSoftMax."""
    return _zoo("mlp", input_shape, classes, hidden=hidden)


def lenet5(input_shape: Sequence[int] = (1, 28, 28), classes: int = 10) -> Module:
    """LeNet-5: two convolution/ReLU/max-pooling blocks and three Linear layers."""
    return _zoo("lenet5", input_shape, classes)


def resnet(input_shape: Sequence[int] = (1, 28, 28), classes: int = 10, widths: Sequence[int] = (16, 32, 64)) -> Module:
    """A small residual network (a Graph): one residual block per stage of ``widths`` channels."""
    return _zoo("resnet", input_shape, classes, widths=widths)


def tabular(table: dict, hidden: Sequence[int] = (1000,)) -> Module:
    """``shoal train --model tabular`` for a table schema (``shoal.data.read_table``'s third result,
    or ``Module.table``): each embedded column through its Embedding, joined with the dense
    features, then the seeds' MLP with ``hidden`` layer sizes. The model carries the schema
    (``model.table``), so ``save`` stores it and ``shoal predict``/``eval`` read CSVs with it."""
    text = json.dumps(table)
    width, classes = _core.table_shape(text)
    model = _zoo("tabular", [width], classes, hidden=hidden, table=text)
    model.table = table
    return model


__all__ = ["mlp", "lenet5", "resnet", "tabular"]
