"""Every layer of the engine under its BigDL name, with BigDL's argument order; each is its JSON spec
until built (the engine's layer registry builds it)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from shoal.nn.module import Module


class Layer(Module):
    """A layer: its type name and the JSON arguments it is built from (None: left to the engine)."""

    type_name = ""

    def __init__(self, **args: Any) -> None:
        super().__init__()
        self._args = {k: v for k, v in args.items() if v is not None}

    def to_spec(self) -> dict:
        spec = {"type": self.type_name}
        spec.update(self._args)
        return spec


class Linear(Layer):
    """y = x W^T + b: ``input_size`` -> ``output_size`` (input_size None: from the input)."""

    type_name = "Linear"

    def __init__(self, input_size: Optional[int] = None, output_size: int = 1, with_bias: bool = True) -> None:
        super().__init__(**{"in": input_size, "out": output_size, "bias": with_bias})


class ReLU(Layer):
    """max(0, x)."""

    type_name = "ReLU"


class Tanh(Layer):
    """tanh(x)."""

    type_name = "Tanh"


class Sigmoid(Layer):
    """1 / (1 + exp(-x))."""

    type_name = "Sigmoid"


class SoftMax(Layer):
    """Probabilities over the last dimension."""

    type_name = "SoftMax"


class LogSoftMax(Layer):
    """Log-probabilities over the last dimension (for ClassNLLCriterion)."""

    type_name = "LogSoftMax"


class Identity(Layer):
    """Passes its input through."""

    type_name = "Identity"


class Flatten(Layer):
    """[N, ...] -> [N, features]."""

    type_name = "Flatten"


class Dropout(Layer):
    """Zeroes each value with probability ``init_p`` while training (scaled by 1 / (1 - p))."""

    type_name = "Dropout"

    def __init__(self, init_p: float = 0.5) -> None:
        super().__init__(p=float(init_p))


class Reshape(Layer):
    """Views each sample under the per-sample shape ``size``."""

    type_name = "Reshape"

    def __init__(self, size: Sequence[int] = (1,)) -> None:
        super().__init__(shape=[int(s) for s in size])


class SpatialConvolution(Layer):
    """2-d convolution over [N, C, H, W] (BigDL's argument order; n_input_plane None: from the input)."""

    type_name = "SpatialConvolution"

    def __init__(self, n_input_plane: Optional[int] = None, n_output_plane: int = 1, kernel_w: int = 3,
                 kernel_h: int = 3, stride_w: int = 1, stride_h: int = 1, pad_w: int = 0, pad_h: int = 0,
                 n_group: int = 1, with_bias: bool = True) -> None:
        super().__init__(**{"in": n_input_plane, "out": n_output_plane, "kernel": [kernel_w, kernel_h],
                            "stride": [stride_w, stride_h], "pad": [pad_w, pad_h], "groups": n_group,
                            "bias": with_bias})


class SpatialMaxPooling(Layer):
    """Max pooling over [N, C, H, W]; the stride defaults to the kernel."""

    type_name = "SpatialMaxPooling"

    def __init__(self, kw: int = 2, kh: int = 2, dw: Optional[int] = None, dh: Optional[int] = None,
                 pad_w: int = 0, pad_h: int = 0, to_ceil: bool = False) -> None:
        super().__init__(kernel=[kw, kh], stride=[dw or kw, dh or kh], pad=[pad_w, pad_h], ceil=to_ceil)


class SpatialAveragePooling(Layer):
    """Average pooling over [N, C, H, W]; the stride defaults to the kernel."""

    type_name = "SpatialAveragePooling"

    def __init__(self, kw: int = 2, kh: int = 2, dw: Optional[int] = None, dh: Optional[int] = None,
                 pad_w: int = 0, pad_h: int = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(kernel=[kw, kh], stride=[dw or kw, dh or kh], pad=[pad_w, pad_h], ceil=ceil_mode,
                         countIncludePad=count_include_pad)


class BatchNormalization(Layer):
    """Batch normalisation over [N, features] (n_output None: from the input)."""

    type_name = "BatchNormalization"

    def __init__(self, n_output: Optional[int] = None, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True) -> None:
        super().__init__(n=n_output, eps=eps, momentum=momentum, affine=affine)


class SpatialBatchNormalization(Layer):
    """Batch normalisation per channel over [N, C, H, W] (n_output None: from the input)."""

    type_name = "SpatialBatchNormalization"

    def __init__(self, n_output: Optional[int] = None, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True) -> None:
        super().__init__(n=n_output, eps=eps, momentum=momentum, affine=affine)


class Embedding(Layer):
    """Rows of a [count, dim] table for integer indices (BigDL's LookupTable counted from 0);
    ``padding`` (-1: none) maps to zeros and learns nothing."""

    type_name = "Embedding"

    def __init__(self, count: int = 1, dim: int = 1, padding: int = -1) -> None:
        super().__init__(count=count, dim=dim, padding=padding)


class CAddTable(Layer):
    """The element-wise sum of its inputs (a graph node of two or more inputs)."""

    type_name = "CAddTable"


class JoinTable(Layer):
    """Its inputs concatenated along per-sample ``dimension`` (1: the first after the batch)."""

    type_name = "JoinTable"

    def __init__(self, dimension: int = 1) -> None:
        super().__init__(dimension=dimension)
