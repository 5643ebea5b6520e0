"""The elementwise part of an LSTM step as one node: a fast path beside the primitive graph.

The primitive path (the default) records every gate as its own node, which is what the
drawings and ``viz.edge_flows`` read; each of those nodes costs Python time (and, on a GPU,
a kernel launch), which on small layers outweighs the arithmetic. ``nn.LSTM(...,
fused=True)`` (or ``LSTMCell``) records one ``lstm_step`` node per step instead, with the
same numbers, forward and backward (tested equal to the primitive path). It keeps exactly
what the backward pass needs: the four gates, c_{t-1} and tanh(c_t).

On CuPy the step is one CUDA kernel each way (``cupy.ElementwiseKernel``, compiled on first
use); elsewhere (NumPy) it is a dozen array operations written out.
"""

from ..autograd import Function
from ..backend import array_module
from ..ops.elementwise import stable_sigmoid


class LSTMPointwise(Function):
    """From the gate pre-activations z = [z_i z_f z_g z_o] (B, 4H) and c_{t-1} (B, H):

        i, f, o = σ(z_i), σ(z_f), σ(z_o);   g = tanh(z_g)
        c_t = f * c_{t-1} + i * g;          h_t = o * tanh(c_t)

    Backward, from the gradients gh and gc reaching h_t and c_t:

        δc = gc + gh * o * (1 - tanh²(c_t))
        gz_i = δc * g * i(1 - i)      gz_f = δc * c_{t-1} * f(1 - f)
        gz_g = δc * i * (1 - g²)      gz_o = gh * tanh(c_t) * o(1 - o)
        g c_{t-1} = δc * f

    Outputs (h_t, c_t).
    """

    op = "lstm_step"

    def forward(self, z, c_prev):
        xp = array_module(z)
        H = c_prev.shape[-1]
        if z.shape[-1] != 4 * H:
            raise ValueError(f"gate pre-activations of width {z.shape[-1]} for a state of width {H} (expected {4 * H})")
        kernels = _cuda_kernels(xp)
        if kernels is not None:
            z = xp.ascontiguousarray(z)
            h, c, tanh_c = (xp.empty_like(c_prev) for _ in range(3))
            act = xp.empty_like(z)
            kernels[0](z, c_prev, H, h, c, tanh_c, act)
            self.saved = act, c_prev, tanh_c
            return h, c
        act = stable_sigmoid(z)  # σ on all four blocks ...
        xp.tanh(z[..., 2 * H : 3 * H], out=act[..., 2 * H : 3 * H])  # ... then g's block: tanh
        i, f, g, o = (act[..., k * H : (k + 1) * H] for k in range(4))
        c = f * c_prev
        c += i * g
        tanh_c = xp.tanh(c)
        h = o * tanh_c
        self.saved = act, c_prev, tanh_c
        return h, c

    def backward(self, gh, gc):
        act, c_prev, tanh_c = self.saved
        xp = array_module(act)
        H = c_prev.shape[-1]
        kernels = _cuda_kernels(xp)
        if kernels is not None:
            gh = xp.zeros_like(c_prev) if gh is None else gh
            gc = xp.zeros_like(c_prev) if gc is None else gc
            gz, g_prev = xp.empty_like(act), xp.empty_like(c_prev)
            kernels[1](gh, gc, act, c_prev, tanh_c, H, gz, g_prev)
            return gz, g_prev
        i, f, g, o = (act[..., k * H : (k + 1) * H] for k in range(4))
        slope = act * (1 - act)  # σ' = σ(1 - σ) on i, f, o ...
        xp.multiply(g, g, out=slope[..., 2 * H : 3 * H])
        xp.subtract(1, slope[..., 2 * H : 3 * H], out=slope[..., 2 * H : 3 * H])  # ... and tanh' = 1 - g² on g
        gz = xp.empty_like(act)
        if gh is None:
            delta = xp.zeros_like(c_prev) if gc is None else gc.copy()
            gz[..., 3 * H :] = 0
        else:
            delta = 1 - tanh_c * tanh_c
            delta *= o
            delta *= gh
            if gc is not None:
                delta += gc
            xp.multiply(gh, tanh_c, out=gz[..., 3 * H :])
        xp.multiply(delta, g, out=gz[..., :H])
        xp.multiply(delta, c_prev, out=gz[..., H : 2 * H])
        xp.multiply(delta, i, out=gz[..., 2 * H : 3 * H])
        gz *= slope
        return gz, delta * f


_KERNELS = {}
_GATES = """
    const int b = i / H, j = i % H, k = b * 4 * H + j;  // unit j of sample b; its gate i at k, f at k + H, ...
"""


def _cuda_kernels(xp):
    """(forward, backward) CUDA kernels for the step, compiled once; None where the array
    module has no ElementwiseKernel (NumPy)."""
    if not hasattr(xp, "ElementwiseKernel"):
        return None
    if xp not in _KERNELS:
        sigmoid = "__device__ T sig(T x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }"
        forward = xp.ElementwiseKernel(
            "raw T z, T c_prev, int32 H",
            "T h, T c, T tanh_c, raw T act",
            _GATES
            + """
            T i_ = sig(z[k]), f_ = sig(z[k + H]), g_ = tanh(z[k + 2 * H]), o_ = sig(z[k + 3 * H]);
            act[k] = i_; act[k + H] = f_; act[k + 2 * H] = g_; act[k + 3 * H] = o_;
            c = f_ * c_prev + i_ * g_;
            tanh_c = tanh(c);
            h = o_ * tanh_c;
            """,
            "tinygrad_rnn_lstm_step_forward",
            preamble="template <typename T> " + sigmoid,
        )
        backward = xp.ElementwiseKernel(
            "T gh, T gc, raw T act, T c_prev, T tanh_c, int32 H",
            "raw T gz, T g_prev",
            _GATES
            + """
            T i_ = act[k], f_ = act[k + H], g_ = act[k + 2 * H], o_ = act[k + 3 * H];
            T delta = gc + gh * o_ * (1 - tanh_c * tanh_c);
            gz[k] = delta * g_ * i_ * (1 - i_);
            gz[k + H] = delta * c_prev * f_ * (1 - f_);
            gz[k + 2 * H] = delta * i_ * (1 - g_ * g_);
            gz[k + 3 * H] = gh * tanh_c * o_ * (1 - o_);
            g_prev = delta * f_;
            """,
            "tinygrad_rnn_lstm_step_backward",
        )
        _KERNELS[xp] = forward, backward
    return _KERNELS[xp]
