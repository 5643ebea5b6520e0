"""A character-level language model: Embedding -> LSTM -> Linear, trained with truncated
backpropagation through time on this project's own documentation, then sampled.

    python examples/char_lm.py [--steps 300] [--hidden 128]
"""

import argparse
import pathlib

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--steps", type=int, default=300)
parser.add_argument("--hidden", type=int, default=128)
parser.add_argument("--chunk", type=int, default=64, help="steps per truncated-BPTT chunk")
args = parser.parse_args()

text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "cells.md").read_text(encoding="utf-8")
chars = sorted(set(text))
index = {ch: k for k, ch in enumerate(chars)}
data = np.array([index[ch] for ch in text])
print(f"{len(text)} characters, {len(chars)} distinct")


class CharLM(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, hidden, forget_bias=1.0)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):  # ids: (T, B) integers
        h, state = self.lstm(self.embed(ids), state)
        return self.out(h), state


tg.manual_seed(0)
rng = np.random.default_rng(0)
model = CharLM(len(chars), args.hidden)
opt = optim.Adam(model.parameters(), lr=3e-3)
batch, state = 16, None
starts = rng.integers(0, len(data) - args.chunk * args.steps // 10 - 2, batch)
for step in range(args.steps):
    if step % 10 == 0:  # a fresh stream every 10 chunks
        starts, state = rng.integers(0, len(data) - args.chunk * 10 - 2, batch), None
    offset = (step % 10) * args.chunk
    window = np.stack([data[s + offset : s + offset + args.chunk + 1] for s in starts], 1)  # (T+1, B)
    logits, state = model(tg.Tensor(window[:-1]), state)
    state = tuple(s.detach() for s in state)  # truncated BPTT: the graph stops at the chunk boundary
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), tg.Tensor(window[1:].reshape(-1)))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 50 == 0 or step == args.steps - 1:
        print(f"step {step:4d}  loss {loss.item():.3f} nats/char (uniform: {np.log(len(chars)):.3f})")

with tg.no_grad():  # sample 200 characters, starting from "The "
    ids, state, sample = [index[ch] for ch in "The "], None, "The "
    for _ in range(200):
        logits, state = model(tg.Tensor(np.array(ids)[:, None]), state)
        p = logits[-1, 0].softmax(-1).numpy().astype(np.float64)
        ids = [rng.choice(len(chars), p=p / p.sum())]
        sample += chars[ids[0]]
print(sample)
