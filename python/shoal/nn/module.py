"""Module: a shoal model as Python holds it — a JSON spec, built by the engine into a module tree on
first use, run on numpy arrays, trained Keras' way (fit/evaluate/predict)."""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence

import numpy as np

from shoal import _core


class Module:
    """Base of every layer and container.

    A module is its JSON specification until it is built for a per-sample input shape:
    ``build(input_shape)``, or the first ``forward``, ``fit`` or ``Optimizer.optimize`` builds it
    (drawing initial weights from the seeded generator, see ``shoal.manual_seed``). Once built,
    its weights live in one flat buffer in the engine; ``parameters()`` and ``get_weights()``
    are numpy views of it (no copy) that keep the model alive.
    """

    def __init__(self) -> None:
        self._handle: Any = None
        self._preprocessing: Optional[dict] = None
        self._table: Optional[dict] = None
        self._compiled: dict[str, Any] = {}
        self._name: Optional[str] = None

    # --- specification
    def to_spec(self) -> dict:
        """The JSON object the engine builds this module from ({"type": ..., args})."""
        raise NotImplementedError

    def to_json(self, path: Optional[str] = None) -> str:
        """The JSON specification as text (also written to ``path`` when given)."""
        text = json.dumps(self.spec(), indent=2)
        if path is not None:
            with open(path, "w") as f:
                f.write(text + "\n")
        return text

    def spec(self) -> dict:
        """The built model's specification (sizes filled in), or ``to_spec()`` before it is built."""
        return json.loads(self._handle.spec()) if self._handle is not None else self.to_spec()

    def set_name(self, name: str) -> "Module":
        """Names this module's node in a graph (BigDL's set_name)."""
        self._name = name
        return self

    # --- building
    @property
    def built(self) -> bool:
        """Whether the engine has built this module (it has weights)."""
        return self._handle is not None

    def build(self, input_shape: Sequence[int]) -> "Module":
        """Builds the module for a per-sample input shape, e.g. (784,) or (1, 28, 28)."""
        if isinstance(input_shape, int):
            input_shape = (input_shape,)
        self._handle = _core.build_model(json.dumps(self.to_spec()), [int(d) for d in input_shape],
                                         getattr(self, "_source", type(self).__name__))
        return self

    def _built(self, what: str) -> Any:
        if self._handle is None:
            from shoal.errors import UsageError
            raise UsageError(f"{what}: the model is not built yet; call build(input_shape) or run it on data first")
        return self._handle

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The per-sample input shape the model was built for."""
        return tuple(self._built("input_shape").input_shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The per-sample output shape."""
        return tuple(self._built("output_shape").output_shape)

    # --- inference
    def forward(self, x: Any) -> np.ndarray:
        """The model's output for a batch ``x`` ([N, ...]); a new float32 array.

        float32 arrays in C order on 64-byte boundaries are read in place, others are converted
        (float64 and others to float32; int64/int32 stay integers for Embedding). forward sees
        the values as given: no preprocessing (``predict`` applies the model's). Builds the
        model for x.shape[1:] when it is not built. A graph of several inputs takes a list.
        """
        if isinstance(x, (list, tuple)):
            arrays = [_as_input(a) for a in x]
            return self._built("forward").forward_inputs(arrays)
        x = _as_input(x)
        if self._handle is None:
            self.build(x.shape[1:])
        return self._handle.forward(x)

    def __call__(self, *args: Any) -> Any:
        from shoal.nn.graph import Node
        if args and all(isinstance(a, Node) for a in args):
            return Node(self, list(args))
        if len(args) == 1 and isinstance(args[0], (list, tuple)) and args[0] and all(isinstance(a, Node) for a in args[0]):
            return Node(self, list(args[0]))
        return self.forward(*args)

    def train(self) -> "Module":
        """Training mode: dropout active, batch statistics."""
        self._built("train").set_training(True)
        return self

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int = 128, metrics: Optional[Sequence[Any]] = None) -> Any:
        """Without arguments: evaluation mode (BigDL's evaluate()). With ``x`` and ``y``: Keras'
        evaluate, the metrics over the data ({"Top1Accuracy": ..., "Loss": ...}); ``x`` may be a
        CSV file's path, read with the model's table schema (see ``fit``)."""
        if x is None:
            self._built("evaluate").set_training(False)
            return self
        from shoal import _training
        from shoal.data import DataSet
        if isinstance(x, (str, os.PathLike)):
            x, y = self._table_rows(x, "evaluate")
        return _training.evaluate_model(self, DataSet(x, y), batch_size, metrics or self._compiled.get("metrics"),
                                        self._compiled.get("loss"))

    @property
    def training(self) -> bool:
        """Whether the model is in training mode."""
        return bool(self._built("training").training)

    def predict(self, x: Any, batch_size: int = 128) -> Any:
        """Outputs for every sample of ``x`` in evaluation mode, with the model's preprocessing.

        ``x`` may also be shoal.compat.bigdl's stand-in for an RDD of Samples (the answer is then
        one of output rows, as BigDL's predict gives). A CSV file's path is read with the model's
        table schema (see ``fit``); its label column, if any, is not used."""
        from shoal import _training
        if isinstance(x, (str, os.PathLike)):
            x = self._table_rows(x, "predict", labelled=False)[0]
        samples = getattr(x, "to_arrays", None)
        if samples is not None:
            return x.rows_from(self.predict(samples()[0], batch_size))
        return _training.predict_model(self, x if isinstance(x, np.ndarray) else np.asarray(x), batch_size)

    def predict_class(self, x: Any, batch_size: int = 128) -> Any:
        """The highest-scoring class of every sample (from 0), int64 [N]; for shoal.compat.bigdl's
        stand-in for an RDD, one of classes counted from its label base (BigDL's predict_class)."""
        samples = getattr(x, "to_arrays", None)
        if samples is not None:
            return x.classes_from(self.predict(samples()[0], batch_size))
        return np.argmax(self.predict(x, batch_size), axis=1)

    @property
    def table(self) -> Optional[dict]:
        """The schema of the typed table the model was trained on (``shoal train --model tabular``),
        or None: pass it to ``shoal.data.read_table(path, schema=model.table)`` to encode rows as
        training did, then ``predict`` them; ``schema["class_names"]`` names the classes. A model
        trained from Python on ``read_table``'s arrays takes its schema by assignment
        (``model.table = schema``), and ``save`` stores it as ``shoal train`` does."""
        return self._table

    @table.setter
    def table(self, schema: Optional[dict]) -> None:
        self._table = schema

    # --- weights
    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """(path, view) per parameter ("0.weight", "0.bias", ...), views of the flat buffer."""
        return list(self._built("named_parameters").parameters())

    def parameters(self) -> list[np.ndarray]:
        """Every parameter as a float32 view of the flat buffer (writes go to the model)."""
        return [v for _, v in self.named_parameters()]

    def get_weights(self) -> list[np.ndarray]:
        """The parameters as views (no copy; ``[w.copy() for w in ...]`` keeps a snapshot)."""
        return self.parameters()

    def set_weights(self, weights: Sequence[Any]) -> "Module":
        """Copies ``weights`` (one array per parameter, in order, of the same shapes) into the model."""
        views = self.parameters()
        if len(weights) != len(views):
            from shoal.errors import ShapeError
            raise ShapeError(f"set_weights: the model has {len(views)} parameters, got {len(weights)} arrays")
        for i, (view, w) in enumerate(zip(views, weights)):
            w = np.asarray(w)
            if w.shape != view.shape:
                from shoal.errors import ShapeError
                raise ShapeError(f"set_weights: parameter {i} has shape {view.shape}, got {w.shape}")
        for view, w in zip(views, weights):
            view[...] = w
        return self

    def flat_parameters(self) -> np.ndarray:
        """The whole flat parameter buffer as one float32 view (BigDL's getParameters)."""
        return self._built("flat_parameters").flat_parameters()

    def gradients(self) -> list[np.ndarray]:
        """Each parameter's gradient as a view of the flat gradient buffer."""
        return [v for _, v in self._built("gradients").gradients()]

    def parameter_count(self) -> int:
        """The number of learnable values."""
        return int(self._built("parameter_count").parameter_count())

    def reset(self) -> "Module":
        """Draws fresh initial weights from the seeded generator."""
        self._built("reset").reset()
        return self

    def summary(self) -> str:
        """The summary table: each layer's output shape, parameters and FLOPs per sample."""
        return self._built("summary").summary()

    # --- files
    def save(self, path: str, classes: Optional[int] = None) -> str:
        """Writes a model file (the CLI's model.shoal: spec, preprocessing, weights); returns ``path``."""
        h = self._built("save")
        out = h.output_shape
        info = {"input_shape": list(h.input_shape), "classes": int(classes if classes is not None else np.prod(out)),
                "preprocessing": self._preprocessing or {"offset": [0.0], "scale": [1.0]}}
        if self._table is not None:
            info["table"] = self._table
        h.save(os.fspath(path), json.dumps(info))
        return os.fspath(path)

    # --- Keras' training shape
    def compile(self, optimizer: Any = "sgd", loss: Any = None, metrics: Optional[Sequence[Any]] = None) -> "Module":
        """Chooses what fit uses: an optimisation method (or "sgd", "adam", "lbfgs"), a criterion
        (or "nll", "ce"; default: ClassNLL after LogSoftMax, else CrossEntropy) and validation metrics."""
        from shoal.nn.criterion import criterion_from
        from shoal.optim.methods import OptimMethod, method_from_name
        self._compiled = {"optimizer": optimizer if isinstance(optimizer, OptimMethod) else method_from_name(str(optimizer)),
                          "loss": criterion_from(loss), "metrics": list(metrics) if metrics else None}
        return self

    def fit(self, x: Any, y: Any = None, batch_size: int = 32, epochs: int = 1,
            validation_data: Optional[tuple] = None, callbacks: Sequence[Any] = (), shuffle: bool = True,
            seed: int = 1, verbose: bool = True, settings: Optional[dict] = None) -> dict:
        """Trains on ``x`` and ``y`` (or a shoal.data.DataSet as ``x``) through the engine.

        For data that does not fit in memory, ``x`` may instead be (x, y) batches: a list, or a
        function that returns a fresh iterable every epoch (slower: see shoal._training.fit_batches;
        batch_size, shuffle, seed and settings then do not apply).

        ``validation_data`` (x, y) is validated on after every epoch; ``callbacks`` are
        shoal.optim.Callback objects (or any with on_iteration_end/on_epoch_end). ``settings``
        takes further run-configuration keys (checkpoint, dist, output, threads). Returns the
        summary: epochs, iterations, loss, samples_per_sec, validation metrics.

        ``x`` may also be a CSV file's path (and ``validation_data`` another) when the model has a
        table schema (``shoal.nn.zoo.tabular(schema)``, or ``model.table = schema``): the file is
        read with that schema as ``shoal.data.read_table(x, schema=model.table)`` reads it (the
        label column is the schema's; ``y`` is then unused), so ``save`` stores the schema and
        ``shoal predict``/``shoal eval`` read new CSVs exactly as training did.
        """
        from shoal import _training
        from shoal.data import DataSet, as_dataset
        if isinstance(x, (str, os.PathLike)):
            x, y = self._table_rows(x, "fit")
        if isinstance(validation_data, (str, os.PathLike)):
            validation_data = self._table_rows(validation_data, "fit: validation_data")
        val = as_dataset(validation_data, "validation_data") if validation_data is not None else None
        if y is None and not isinstance(x, (DataSet, np.ndarray)) and (callable(x) or hasattr(x, "__iter__")):
            if settings:
                from shoal.errors import UsageError
                raise UsageError("fit: settings apply to training from arrays, not from batches")
            return _training.fit_batches(self, x, epochs=epochs, criterion=self._compiled.get("loss"),
                                         optim_method=self._compiled.get("optimizer"), validation=val,
                                         validation_methods=self._compiled.get("metrics"), callbacks=callbacks,
                                         verbose=verbose)
        train = x if isinstance(x, DataSet) else DataSet(x, y)
        from shoal.optim.triggers import MaxEpoch
        from shoal.optim.validation import method_names
        base = {"seed": int(seed), "shuffle": bool(shuffle), "output": {"quiet": not verbose}}
        metrics = self._compiled.get("metrics")
        if metrics is not None:
            metrics = list(metrics) + ([] if "Loss" in method_names(metrics) else ["Loss"])
        return _training.run_training(self, train, criterion=self._compiled.get("loss"),
                                      optim_method=self._compiled.get("optimizer"), end_trigger=MaxEpoch(epochs),
                                      batch_size=batch_size, validation=val,
                                      validation_methods=metrics, callbacks=callbacks,
                                      settings=_merge(base, settings), command="python: Module.fit")

    def _table_rows(self, path: Any, what: str, labelled: bool = True) -> tuple:
        """The encoded rows and labels (None unless ``labelled``) of the CSV at ``path``, read with
        the model's table schema."""
        if self._table is None:
            from shoal.errors import UsageError
            raise UsageError(f"{what}: {os.fspath(path)} is a CSV file, but the model has no table schema: build it "
                             "with shoal.nn.zoo.tabular(schema) (the schema from shoal.data.read_table) or assign "
                             "model.table")
        from shoal.data import read_table
        x, y, _ = read_table(path, has_label=labelled, schema=self._table)
        return x, y

    def __repr__(self) -> str:
        return f"{type(self).__name__}({json.dumps(self.to_spec())})"


def _merge(base: dict, extra: Optional[dict]) -> dict:
    from shoal._training import deep_merge
    return deep_merge(base, extra)


def _as_input(x: Any) -> np.ndarray:
    x = x if isinstance(x, np.ndarray) else np.asarray(x)
    if x.dtype in (np.float32, np.int64, np.int32):
        return x
    if x.dtype.kind in "iu":
        return x.astype(np.int64)
    if x.dtype.kind in "fb":
        return x.astype(np.float32)
    from shoal.errors import UsageError
    raise UsageError(f"forward: expected a numeric array, got dtype {x.dtype}")


class Loaded(Module):
    """A model read from a model file or a JSON specification, built."""

    def __init__(self, spec: dict, source: str = "model spec") -> None:
        super().__init__()
        self._spec = spec
        self._source = source  # what build errors start with: the file, or "model spec"

    def to_spec(self) -> dict:
        return self._spec


def load(path: str) -> Module:
    """Loads a model file written by ``save`` or by ``shoal train`` (model.shoal)."""
    handle, info = _core.load_model(os.fspath(path))
    model = Loaded(json.loads(handle.spec()), os.fspath(path))
    model._handle = handle
    model._preprocessing = json.loads(info)["preprocessing"]
    model._table = json.loads(info).get("table")
    return model


def from_json(spec: Any, input_shape: Optional[Sequence[int]] = None) -> Module:
    """A model from a JSON specification (a dict, JSON text or a .json file path), built when
    ``input_shape`` is given (README: "Writing a model in JSON")."""
    source = "model spec"
    if isinstance(spec, (str, os.PathLike)) and not str(spec).lstrip().startswith(("{", "[")):
        source = os.fspath(spec)
        spec = json.loads(_core.read_json_file(source))
    elif isinstance(spec, str):
        spec = json.loads(spec)
    model = Loaded(spec, source)
    if input_shape is not None:
        model.build(input_shape)
    return model
