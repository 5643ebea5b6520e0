"""The elementwise part of an LSTM step as one node: a fast path beside the primitive graph.

The primitive path (the default) records every gate as its own node, which is what the
drawings and ``viz.edge_flows`` read; each of those nodes costs Python time, which on small
layers outweighs the arithmetic. ``nn.LSTM(..., fused=True)`` (or ``LSTMCell``) records one
``lstm_step`` node per step instead, with the same numbers, forward and backward (tested
equal to the primitive path). It keeps exactly what the backward pass needs: the four
gates, c_{t-1} and tanh(c_t).
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
