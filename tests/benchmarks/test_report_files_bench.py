"""benchmarks/report_files.py runs with a tiny year and prints what the outbox stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prints_one_file_per_language_and_kind() -> None:
    command = [sys.executable, "-m", "benchmarks.report_files", "--assignments", "400"]
    command += ["--readers", "4"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "readers: 4 (2 en, 2 zh)" in done.stdout
    assert "outbox rows sending a file: 8" in done.stdout  # a chart and a workbook each
    assert "files stored: 4," in done.stdout  # but stored once per language
