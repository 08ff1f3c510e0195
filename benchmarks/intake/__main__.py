"""``python -m benchmarks.intake``: the benchmark, or one of its child processes."""

import sys

from benchmarks.intake.cli import main

sys.exit(main())
