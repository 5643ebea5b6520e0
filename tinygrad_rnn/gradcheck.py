"""Checking a function's gradients against central differences, as ``torch.autograd.gradcheck``."""

import numpy as np

from .autograd import backward, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ (raised by ``gradcheck``).

    >>> import tinygrad_rnn as tg
    >>> class Wrong(tg.Function):    # the derivative of x² is 2x, not x
    ...     def forward(self, x):
    ...         self.saved = x
    ...         return x * x
    ...     def backward(self, gy):
    ...         return gy * self.saved
    >>> x = tg.Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> try:
    ...     tg.gradcheck(lambda x: Wrong()(x), x)
    ... except tg.GradcheckError as e:
    ...     print(e)
    gradcheck: Jacobian mismatch for output 0 with respect to input 0: at output element 1, input element 1, ...
    """


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]


def _host(array):
    return np.array(array.get() if hasattr(array, "get") else array, dtype=np.float64)  # a copy


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``backward()`` of ``fn(*inputs)`` against central differences.

    Every input tensor with ``requires_grad`` must be float64. For each of them and each
    output, the Jacobian from ``backward()`` must match ``(f(x + eps) - f(x - eps)) / 2eps``
    to ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns True, or raises
    ``GradcheckError`` naming the input, output and worst element (False when
    ``raise_exception=False``).

    >>> import tinygrad_rnn as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> w = tg.randn(3, 2, dtype="float64", requires_grad=True)
    >>> tg.gradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input tensor has requires_grad=True")
    for k in wrt:
        if inputs[k].dtype != np.float64:
            raise TypeError(f"gradcheck: input {k} has dtype {inputs[k].dtype}; use float64 for finite differences")
        inputs[k].data = inputs[k].device.xp.ascontiguousarray(inputs[k].data)

    outs = _outputs(fn, inputs)
    if not any(o.requires_grad for o in outs):
        raise ValueError("gradcheck: no output depends on the inputs that require grad")
    analytical = {}
    for m, out in enumerate(outs):
        if not out.requires_grad:
            continue
        flat_seed = out.device.xp.zeros(out.data.size, dtype=out.dtype)
        rows = {k: np.zeros((out.data.size, inputs[k].data.size)) for k in wrt}
        for j in range(out.data.size):
            for k in wrt:
                inputs[k].grad = None
                inputs[k].retain_grad()
            flat_seed[:] = 0
            flat_seed[j] = 1
            backward([out], [flat_seed.reshape(out.shape)], retain_graph=True)
            for k in wrt:
                g = inputs[k].grad
                if g is not None:
                    rows[k][j] = _host(g.data).ravel()
        for k in wrt:
            analytical[k, m] = rows[k]
            inputs[k].grad = None

    for k in wrt:
        flat = inputs[k].data.reshape(-1)
        numerical = [np.zeros((o.data.size, flat.size)) for o in outs]
        for i in range(flat.size):
            original = flat[i].copy()
            with no_grad():
                flat[i] = original + eps
                plus = [_host(o.data).ravel() for o in _outputs(fn, inputs)]
                flat[i] = original - eps
                minus = [_host(o.data).ravel() for o in _outputs(fn, inputs)]
                flat[i] = original
            for m in range(len(outs)):
                numerical[m][:, i] = (plus[m] - minus[m]) / (2 * eps)
        for m in range(len(outs)):
            ana = analytical.get((k, m), np.zeros_like(numerical[m]))
            err = np.abs(ana - numerical[m]) - (atol + rtol * np.abs(numerical[m]))
            if (err > 0).any() or not np.isfinite(ana).all():
                j, i = np.unravel_index(np.nanargmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
                message = (
                    f"gradcheck: Jacobian mismatch for output {m} with respect to input {k}: "
                    f"at output element {j}, input element {i}, analytical {ana[j, i]:.10g} vs "
                    f"numerical {numerical[m][j, i]:.10g} (atol={atol}, rtol={rtol})"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True
