"""shoal: neural-network training on CPUs, data-parallel across processes, from Python.

numpy in, numpy out: models (``shoal.nn``), training BigDL's way (``shoal.optim.Optimizer``) or
Keras' way (``model.fit``), data readers (``shoal.data``) and distributed training under
``mpirun`` (``shoal.init``, ``shoal.rank``, ``shoal.world_size``), all over the C++ engine.
"""

from __future__ import annotations

import atexit

from shoal import _core
from shoal.errors import (ConfigError, DivergenceError, InputError, InputFileNotFoundError,
                          OutputError, ShapeError, ShoalError, UsageError)

__version__: str = _core.version()


def init(timeout: float = 120.0, shared_memory: bool = True) -> tuple[int, int]:
    """Connects to the other ranks of an ``mpirun`` job (a single process otherwise).

    Returns ``(rank, world_size)``. Training calls it itself; call it first to know the rank
    before training. ``timeout`` bounds every collective in seconds (0: wait forever);
    ``shared_memory`` lets ranks on one machine reduce through shared memory. Works alongside
    mpi4py (whichever initialises MPI first owns it).
    """
    return _core.init(timeout=timeout, shared_memory=shared_memory)


def rank() -> int:
    """This process's rank in the job (0 without mpirun)."""
    return _core.rank()


def world_size() -> int:
    """The number of ranks in the job (1 without mpirun)."""
    return _core.world_size()


def manual_seed(seed: int = 1) -> None:
    """Seeds the generator new layers draw their initial weights from (torch.manual_seed)."""
    _core.manual_seed(seed)


_core.send_lines_to_python(True)
atexit.register(_core.shutdown)
atexit.register(_core.send_lines_to_python, False)

from shoal import data, nn, optim  # noqa: E402  (they use the names above)

__all__ = ["__version__", "init", "rank", "world_size", "manual_seed", "nn", "optim", "data",
           "ShoalError", "UsageError", "ConfigError", "InputError", "InputFileNotFoundError",
           "ShapeError", "OutputError", "DivergenceError"]
