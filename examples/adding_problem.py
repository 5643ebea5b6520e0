"""The adding problem: an LSTM learns to add two marked numbers seen far apart; a plain RNN
of the same size stays at the trivial answer (MSE 1/6).

    python examples/adding_problem.py [--length 50] [--steps 1500]
"""

import argparse

from tinygrad_rnn.lab import models, tasks
from tinygrad_rnn.lab.train import train

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--length", type=int, default=50)
parser.add_argument("--steps", type=int, default=1500)
args = parser.parse_args()

task = tasks.AddingProblem(args.length, seed=0)
for cell in ("rnn", "lstm"):
    model = models.build(cell, task, hidden=32, seed=0)  # the LSTM gets forget bias 1
    print(f"training the {cell.upper()} for up to {args.steps} steps (a bar shows how far)", flush=True)
    result = train(model, task, steps=args.steps, lr=1e-2, eval_every=50, target=("loss", 0.01), label=cell.upper())
    reached = f"below 0.01 at step {result.reached_at}" if result.reached_at else "never below 0.01"
    print(f"{cell.upper():5s} test MSE {result.final['test_loss']:.4f} ({reached}); always 1 gives {task.baseline:.3f}")
