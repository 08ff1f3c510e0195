"""benchmarks/stats.py runs with a tiny year and prints every figure (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prints_timings_memory_and_the_figures() -> None:
    command = [sys.executable, "-m", "benchmarks.stats", "--assignments", "400"]
    command += ["--databases", "sqlite", "--repeat", "1"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in ("compute", "chart", "workbook", "total", "peak traced Python memory"):
        assert figure in done.stdout, figure
    assert "Assignments issued: 396" in done.stdout  # four of the 400 are cancelled
