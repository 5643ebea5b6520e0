"""Autograd basics: tensors, the graph behind them, gradients, and checking them.

python examples/autograd_basics.py
"""

import numpy as np

import tinygrad_rnn as tg

# A tensor that requires grad is a leaf of the graph; every op on it records a node.
x = tg.Tensor([[1.0, -2.0, 0.5]], requires_grad=True)
w = tg.randn(3, 2, requires_grad=True)
b = tg.zeros(2, requires_grad=True)

y = (x @ w + b).tanh()  # matmul -> add -> tanh
loss = (y * y).mean()
print("loss", loss.item())

node = loss.creator
chain = []
while node is not None:
    chain.append(node.op)
    node, _ = node.source(0)  # (the node that made input 0, its output slot), or (None, a leaf)
print("ops from the loss back to x:", " <- ".join(chain))

loss.backward()  # d loss / d leaf, accumulated into .grad
print("x.grad", x.grad.numpy())
print("w.grad shape", w.grad.shape, "b.grad", b.grad.numpy())

# Gradients of any function can be checked against central differences in float64.
a = tg.Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
print("gradcheck softmax:", tg.gradcheck(lambda t: t.softmax(1), [a]))

# Scopes stamp the nodes made inside them: drawings group them by scope.
with tg.scope("t1"):
    z = (a * 2).sum()
print("z was made by", z.creator.op, "in scope", "/".join(z.creator.scope))
