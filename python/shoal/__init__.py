"""shoal: neural-network training on CPUs, data-parallel across processes, from Python.

numpy in, numpy out: models (``shoal.nn``), training BigDL's way (``shoal.optim.Optimizer``) or
Keras' way (``model.fit``), data readers (``shoal.data``) and distributed training under
``mpirun`` or through a Gloo rendezvous (``shoal.init``, ``shoal.rank``, ``shoal.world_size``),
all over the C++ engine.
"""

from __future__ import annotations

import atexit
from typing import Optional

from shoal import _core
from shoal.errors import (ConfigError, DivergenceError, InputError, InputFileNotFoundError,
                          OutputError, ShapeError, ShoalError, UsageError)

__version__: str = _core.version()


def init(timeout: float = 120.0, shared_memory: bool = True, comm: str = "auto",
         rendezvous: Optional[str] = None, world_size: Optional[int] = None,
         rank: Optional[int] = None, job_secret: Optional[str] = None) -> tuple[int, int]:
    """Connects to the other ranks of the job; returns ``(rank, world_size)``.

    ``comm`` chooses the communicator: ``"auto"`` (Open MPI under ``mpirun``, Gloo when a
    rendezvous is given, else a single process), ``"mpi"`` or ``"gloo"``. Gloo's ranks meet at
    ``rendezvous``: ``"HOST:PORT"``, an address of rank 0's machine that rank 0 listens on
    (it hosts the store there), or ``"file:DIR"``, a directory every rank sees. ``world_size``,
    ``rank`` and ``job_secret`` (the same on every rank; only ranks that prove they know it are
    let in) complete it. What is not given comes from the environment: ``SHOAL_RENDEZVOUS``
    (else ``MASTER_ADDR`` and ``MASTER_PORT``), ``SHOAL_WORLD_SIZE`` (else ``WORLD_SIZE``),
    ``SHOAL_RANK`` (else ``RANK``), ``SHOAL_JOB_SECRET`` and ``SHOAL_ATTEMPT`` (each attempt of a
    job has its own keys in the store; default ``"0"``).

    Later calls for the same job return the same connection; a call for another job (another
    rendezvous, world size, rank or ``SHOAL_ATTEMPT``) closes it and connects anew, so a process
    that serves job after job (a reused Spark Python worker) can call ``init`` for each.
    ``timeout`` bounds the rendezvous and every collective in seconds (0: wait forever): a rank
    that does not join or arrive in time is named and the job ends. ``shared_memory`` lets MPI
    ranks on one machine reduce through shared memory. Training calls ``init`` itself with the
    defaults; call it first to choose. Raises ``UsageError`` when the rendezvous refuses this
    rank (wrong secret, world size, duplicate or out-of-range rank), ``ShoalError`` when ranks
    do not join in time. Works alongside mpi4py (whichever initialises MPI first owns it).
    """
    return _core.init(timeout=timeout, shared_memory=shared_memory, comm=comm,
                      rendezvous=rendezvous, world_size=world_size, rank=rank,
                      job_secret=job_secret)


def rank() -> int:
    """This process's rank in the job (0 in a single process)."""
    return _core.rank()


def world_size() -> int:
    """The number of ranks in the job (1 in a single process)."""
    return _core.world_size()


def manual_seed(seed: int = 1) -> None:
    """Seeds the generator new layers draw their initial weights from (torch.manual_seed)."""
    _core.manual_seed(seed)


def set_num_threads(threads: int) -> None:
    """Sets the compute threads of predict and evaluate (0: all cores); training takes its
    ``threads`` setting instead (torch.set_num_threads)."""
    _core.set_num_threads(int(threads))


def get_num_threads() -> int:
    """The compute threads the engine uses now (torch.get_num_threads)."""
    return _core.num_threads()


_core.send_lines_to_python(True)
atexit.register(_core.shutdown)
atexit.register(_core.send_lines_to_python, False)

from shoal import data, nn, optim  # noqa: E402  (they use the names above)

__all__ = ["__version__", "init", "rank", "world_size", "manual_seed", "set_num_threads", "get_num_threads", "nn", "optim", "data",
           "ShoalError", "UsageError", "ConfigError", "InputError", "InputFileNotFoundError",
           "ShapeError", "OutputError", "DivergenceError"]
