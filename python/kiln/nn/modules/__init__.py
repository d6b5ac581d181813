"""The layer modules of kiln.nn, one file per family as in torch.nn.modules."""
from kiln.nn.modules.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    MultiheadAttention,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from kiln.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from kiln.nn.modules.container import ModuleDict, ModuleList, Sequential
from kiln.nn.modules.conv import Conv1d, Conv2d
from kiln.nn.modules.dropout import Dropout
from kiln.nn.modules.flatten import Flatten, Unflatten
from kiln.nn.modules.linear import Identity, Linear
from kiln.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from kiln.nn.modules.module import Module
from kiln.nn.modules.normalization import GroupNorm, LayerNorm
from kiln.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from kiln.nn.modules.sparse import Embedding

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv1d",
    "Conv2d", "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "GELU", "GroupNorm", "HuberLoss", "Identity",
    "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict",
    "ModuleList", "MultiheadAttention", "NLLLoss", "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss",
    "Softmax", "Tanh", "Unflatten",
]
