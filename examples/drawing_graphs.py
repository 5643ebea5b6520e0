"""Drawing graphs: an LSTM's steps with the cell-state belt and the gradient on every edge.

python examples/drawing_graphs.py [--out pictures]
"""

import argparse
import pathlib

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out", default="pictures")
out = pathlib.Path(parser.parse_args().out)

tg.manual_seed(0)
lstm = nn.LSTM(3, 4, forget_bias=1.0)
output, _ = lstm(tg.randn(3, 1, 3))  # 3 steps, batch 1
loss = output[-1].sum()
with tg.keep_grads():  # keep every intermediate gradient, so the drawing can show them
    loss.backward()

pictures = {
    "lstm_3_steps.svg": viz.draw_graph(loss, params=lstm),  # every primitive, gradients on the edges
    "lstm_collapsed.svg": viz.draw_graph(loss, collapse=True),  # one node per step
    "lstm_forget_gate.png": viz.draw_graph(loss, highlight="forget", weights=False),  # one question of the seed
}
for name, picture in pictures.items():
    print("wrote", viz.render(picture, out / name))

mlp = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))  # any graph can be drawn
print("wrote", viz.render(viz.draw_graph(mlp(tg.randn(4, 2)).sum(), params=mlp), out / "mlp.svg"))
