"""bigdl.nn.layer over shoal: the same layer classes, Sequential, Input and Model."""

from shoal.nn import (BatchNormalization, CAddTable, Dropout, Flatten, Identity, Input, JoinTable, Linear,  # noqa: F401
                      LogSoftMax, Model, ReLU, Reshape, Sequential, Sigmoid, SoftMax, SpatialAveragePooling,
                      SpatialBatchNormalization, SpatialConvolution, SpatialMaxPooling, Tanh)
from shoal.nn import Embedding as LookupTable  # noqa: F401  (indices from 0)
from shoal.nn import Module as Layer  # noqa: F401

__all__ = ["Layer", "Sequential", "Input", "Model", "Linear", "ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax",
           "Identity", "Flatten", "Dropout", "Reshape", "SpatialConvolution", "SpatialMaxPooling",
           "SpatialAveragePooling", "BatchNormalization", "SpatialBatchNormalization", "LookupTable",
           "CAddTable", "JoinTable"]
