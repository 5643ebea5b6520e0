"""The primitive operations, by kind, each a Function with its chain rule beside its
forward pass and the function users call under it; composites are written with them."""

from .composites import log_softmax, logsumexp, mean, softmax
from .elementwise import (
    abs_,
    add,
    cast,
    clip,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    log_sigmoid,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    to_device,
    where,
)
from .operands import as_tensor
from .products import addmm, matmul
from .reductions import max, min, sum
from .shapes import (
    cat,
    chunk,
    flatten,
    index,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unbind,
    unsqueeze,
)
