"""kill -9 of the real bot while users work loses nothing and keeps every chat's order.

A small run of benchmarks/crash.py (three kills); the full one is in the README. No timing
is asserted: only what a user would notice — every command answered, every owed message
delivered, none out of order, and no more repeats than messages can be on the wire.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.outbox import IN_FLIGHT

ROOT = Path(__file__).resolve().parents[2]
KILLS = 3


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kills_lose_nothing_and_keep_order(tmp_path: Path) -> None:
    out = tmp_path / "crash.json"
    command = [sys.executable, "-m", "benchmarks.crash", "--kills", str(KILLS)]
    command += ["--enterprises", "3", "--cases", "2", "--work", str(tmp_path), "--json", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    assert figures["kills"] == KILLS
    assert figures["commands_lost"] == 0
    assert figures["commands_sent"] == figures["commands_answered"]
    assert figures["messages"] > 0
    assert figures["lost"] == 0
    assert figures["gave_up"] == 0
    assert figures["delivered"] == figures["messages"]
    assert figures["order_violations"] == 0
    assert figures["duplicated"] <= IN_FLIGHT * KILLS  # only what was on the wire
    assert "per-chat order violations" in result.stdout
