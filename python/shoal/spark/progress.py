"""The driver's progress listener: rank 0 of the training stage sends one JSON line per epoch, and the
driver logs one line per epoch as it arrives.

The listener takes one connection at a time; a connection whose first line is not the fit's token
(sent to the tasks with the job) is closed at once, and every read has a timeout, so nothing that
connects can hold the driver.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
import threading
from typing import Callable, Optional

TOKEN_TIMEOUT_S = 2.0  # a connection that does not present the token in time is dropped
READ_TIMEOUT_S = 600.0  # an epoch may take long; the stage's own end closes the listener sooner
MAX_LINE = 1 << 20


def epoch_line(record: dict) -> str:
    """'epoch 3  loss 0.4123  52100 samples/s  Top1Accuracy 0.8512' from an epoch record."""
    shown = "".join(f"  {k} {v:.4f}" for k, v in (record.get("validation") or {}).items())
    return (f"epoch {record.get('epoch')}  loss {record.get('loss', float('nan')):.4f}  "
            f"{record.get('samples_per_sec', 0.0):.0f} samples/s{shown}")


class ProgressListener:
    """Listens on ``host`` (a free port) while a training stage runs, calling ``on_epoch`` with each
    epoch record; ``address`` (host, port, token) goes to the tasks."""

    def __init__(self, host: str, on_epoch: Callable[[dict], None]) -> None:
        self.token = secrets.token_hex(16)
        self.on_epoch = on_epoch
        self.server = socket.create_server((host, 0))
        self.server.settimeout(0.5)
        self.address = (host, self.server.getsockname()[1], self.token)
        self.stopping = threading.Event()
        self.conn: Optional[socket.socket] = None
        self.thread = threading.Thread(target=self._serve, name="shoal-progress", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conn = conn
            with conn:
                self._read(conn)
            self.conn = None

    def _read(self, conn: socket.socket) -> None:
        conn.settimeout(TOKEN_TIMEOUT_S)
        reader = conn.makefile("rb")
        try:
            first = reader.readline(MAX_LINE).decode(errors="replace").strip()
            if not hmac.compare_digest(first, self.token):
                return  # not our task: refused
            conn.settimeout(READ_TIMEOUT_S)
            while not self.stopping.is_set():
                line = reader.readline(MAX_LINE)
                if not line:
                    return
                self.on_epoch(json.loads(line))
        except (OSError, ValueError):
            return

    def close(self) -> None:
        self.stopping.set()
        self.server.close()
        conn = self.conn
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # ends a read in progress
            except OSError:
                pass
        self.thread.join(timeout=5)

    def __enter__(self) -> "ProgressListener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
