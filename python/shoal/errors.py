"""shoal's exceptions: the engine's errors, with the same messages as the CLI prints."""

from __future__ import annotations


class ShoalError(Exception):
    """Base of every error shoal raises; the message is one line saying where and what."""


class UsageError(ShoalError, ValueError):
    """An invalid argument or combination of arguments."""


class ConfigError(UsageError):
    """An invalid run setting; ``key`` names it as a run-configuration key ("optim.lr")."""

    key: str = ""


class InputError(ShoalError, ValueError):
    """An input file or value is malformed; the message names the file and position."""


class InputFileNotFoundError(InputError, FileNotFoundError):
    """An input file is missing."""


class ShapeError(ShoalError, ValueError):
    """Shapes do not fit together; the message names the layer and both shapes."""


class OutputError(ShoalError, OSError):
    """A file could not be written."""


class DivergenceError(ShoalError, ArithmeticError):
    """Training produced a non-finite loss or gradient."""


__all__ = ["ShoalError", "UsageError", "ConfigError", "InputError", "InputFileNotFoundError",
           "ShapeError", "OutputError", "DivergenceError"]
