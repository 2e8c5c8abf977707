"""``python -m engine.wasi FILE [--dir HOST[::GUEST]] [--env K=V] [-- ARGS...]``."""

import sys

from .cli import main

sys.exit(main())
