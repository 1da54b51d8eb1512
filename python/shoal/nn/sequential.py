"""Sequential: a chain of modules, each feeding the next (BigDL's and Torch's nn.Sequential)."""

from __future__ import annotations

from shoal.nn.module import Module


class Sequential(Module):
    """A chain of modules: ``Sequential().add(Linear(5, 2)).add(LogSoftMax())``.

    The engine fuses what it can (a Linear with the ReLU after it, a convolution with its ReLU
    and max pooling) when it runs the chain.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.modules: list[Module] = []
        for m in modules:
            self.add(m)

    def add(self, module: Module) -> "Sequential":
        """Appends a module (before the model is built); returns the Sequential for chaining."""
        if self.built:
            from shoal.errors import UsageError
            raise UsageError("Sequential.add: the model is already built; add layers before building or training it")
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.add: expected a shoal.nn module, got {type(module).__name__}")
        self.modules.append(module)
        return self

    def __len__(self) -> int:
        return len(self.modules)

    def to_spec(self) -> dict:
        return {"type": "Sequential", "layers": [m.to_spec() for m in self.modules]}
