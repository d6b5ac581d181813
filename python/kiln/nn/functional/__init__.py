"""kiln.nn.functional: the stateless forms of the layers and losses, with torch.nn.functional's names and
arguments."""
from kiln.nn.functional._activation import (
    gelu,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    relu,
    relu_,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from kiln.nn.functional._attention import multi_head_attention_forward, scaled_dot_product_attention
from kiln.nn.functional._conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, max_pool2d, pad
from kiln.nn.functional._loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from kiln.nn.functional._misc import dropout, embedding, linear, normalize, one_hot
from kiln.nn.functional._norm import batch_norm, group_norm, layer_norm

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "group_norm",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "mse_loss",
    "multi_head_attention_forward",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu_",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
