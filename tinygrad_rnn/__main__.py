"""``python -m tinygrad_rnn``: the ``tinygrad-rnn`` command."""

import sys

from .lab.cli import main

sys.exit(main())
