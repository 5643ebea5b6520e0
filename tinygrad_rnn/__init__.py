"""tinygrad_rnn: a small autodiff framework for recurrent networks, on NumPy or CuPy."""

import numpy as np

from . import cuda, nn, optim  # noqa: E402  (the layers above the core)
from .autograd import (
    Function,
    ShapeError,
    backward,
    current_scope,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    keep_grads,
    long_graph,
    no_grad,
    scope,
)
from .backend import (
    Device,
    cuda_available,
    default_device,
    get_device,
    get_num_threads,
    manual_seed,
    set_default_device,
    set_num_threads,
)
from .creation import (
    arange,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck
from .ops import (
    abs_ as abs,
)
from .ops import (
    add,
    addmm,
    as_tensor,
    cast,
    cat,
    chunk,
    clip,
    div,
    eq,
    exp,
    flatten,
    ge,
    gt,
    le,
    log,
    log_sigmoid,
    log_softmax,
    logsumexp,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    ne,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    to_device,
    transpose,
    unbind,
    unsqueeze,
    where,
)
from .serialization import load, save
from .tensor import Tensor

float32 = np.float32
float64 = np.float64
int64 = np.int64

__version__ = "0.1.0"
