"""shoal.nn: layers and criteria under BigDL's names, Sequential, the graph API, the zoo, JSON specs and model files."""

from shoal.nn import zoo
from shoal.nn.criterion import ClassNLLCriterion, Criterion, CrossEntropyCriterion, MSECriterion
from shoal.nn.graph import Input, Model, Node
from shoal.nn.layers import (BatchNormalization, CAddTable, Dropout, Embedding, Flatten, Identity, JoinTable, Layer,
                             Linear, LogSoftMax, ReLU, Reshape, Sigmoid, SoftMax, SpatialAveragePooling,
                             SpatialBatchNormalization, SpatialConvolution, SpatialMaxPooling, Tanh)
from shoal.nn.module import Module, from_json, load
from shoal.nn.sequential import Sequential

__all__ = ["Module", "Layer", "Sequential", "Input", "Node", "Model", "from_json", "load", "zoo",
           "Linear", "ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax", "Identity", "Flatten", "Dropout",
           "Reshape", "SpatialConvolution", "SpatialMaxPooling", "SpatialAveragePooling", "BatchNormalization",
           "SpatialBatchNormalization", "Embedding", "CAddTable", "JoinTable",
           "Criterion", "ClassNLLCriterion", "CrossEntropyCriterion", "MSECriterion"]
