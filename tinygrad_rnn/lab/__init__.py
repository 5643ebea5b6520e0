"""The lab, above the library and never imported by it: tasks, models, training, experiments,
sweeps, the demo and the ``tinygrad-rnn`` command."""
