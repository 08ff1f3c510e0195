"""A deadline drill in real time survives kill -9, failing Bot API calls and a second instance.

Small runs of benchmarks/drill.py on the drill profile compressed threefold (``--quick``);
the full runs are in the README. What a user would notice is asserted: every step the
deadlines imply (reminders, overdue, supervision orders, vetoes, deductions) taken exactly
once, every owed message delivered, no repeats but those a kill can cause.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.outbox import IN_FLIGHT

ROOT = Path(__file__).resolve().parents[2]


def drill(tmp_path: Path, *options: str) -> dict[str, Any]:
    out = tmp_path / "drill.json"
    command = [sys.executable, "-m", "benchmarks.drill", "--quick", "--assignments", "9"]
    command += ["--spread", "20", "--work", str(tmp_path), "--json", str(out), *options]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    figures: dict[str, Any] = json.loads(out.read_text())
    steps = figures["steps"]
    # In time; completed under the supervision order; ignored until vetoed: three each.
    assert steps.pop("assignments_by_stage") == {"none": 3, "supervised": 3, "inaction": 3}
    for step, counts in steps.items():
        assert counts["implied"] == counts["done"], (step, counts, result.stdout)
        assert counts["missing"] == counts["repeated"] == counts["unexpected"] == 0, step
    assert steps["veto deductions"]["implied"] == 3  # a third of the assignments ignored
    assert figures["messages"] > 0 and figures["delivered"] == figures["messages"]
    assert figures["lost"] == figures["gave_up"] == 0
    return figures


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kills_during_a_drill_lose_and_repeat_no_step(tmp_path: Path) -> None:
    figures = drill(tmp_path, "--kills", "3", "--min-interval", "10", "--max-interval", "30")
    assert figures["kills"] == 3
    assert figures["duplicated"] <= IN_FLIGHT * 3  # only what was on the wire at a kill


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_fifth_of_bot_api_calls_failing_loses_no_message(tmp_path: Path) -> None:
    figures = drill(tmp_path, "--kills", "0", "--fault-rate", "0.2", "--throttle")
    assert figures["duplicated"] == 0
    assert min(figures["faults_injected"].values()) > 0  # 500s, drops and 429s all happened


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.postgres
def test_two_webhook_instances_on_one_database_do_each_step_once(
    tmp_path: Path, pg_url: str
) -> None:
    figures = drill(tmp_path, "--kills", "0", "--instances", "2", "--database-url", pg_url)
    assert figures["duplicated"] == 0
