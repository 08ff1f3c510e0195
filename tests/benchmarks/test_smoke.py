"""benchmarks/intake.py runs end to end with tiny numbers and reports every figure.

No timing is asserted: only that every case went through, every user message got its
answer, and the report names each figure for both bots.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ENTERPRISES, CASES, DEPARTMENTS = 3, 2, 2
# Per case: /report, /dispatch, then /ack and /done for each department.
MESSAGES = ENTERPRISES * CASES * (2 + 2 * DEPARTMENTS)

FIGURES = (
    "updates handled per second",
    "latency p50 (ms)",
    "latency p95 (ms)",
    "latency p99 (ms)",
    "bot peak RSS (MiB)",
    "bot CPU per update (ms)",
    "user messages sent",
    "answered",
    "other bot messages (notifications)",
    "target: duban throughput >= 1/2 of the echo bot's:",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "intake.json"
    command = [sys.executable, "-m", "benchmarks.intake"]
    command += ["--enterprises", str(ENTERPRISES), "--cases", str(CASES)]
    command += ["--departments", str(DEPARTMENTS), "--concurrency", "4"]
    command += ["--max-seconds", "120", "--answer-timeout", "60", "--json", str(out)]
    # The timeout only guards against a hang; nothing here depends on how fast it runs.
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(out.read_text())


def test_prints_every_figure_for_both_bots(report: tuple[str, dict]) -> None:
    stdout, _ = report
    for figure in FIGURES:
        assert figure in stdout, figure
    header = next(line for line in stdout.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "duban", "echo", "ratio"]


@pytest.mark.parametrize("bot", ["duban", "echo"])
def test_every_case_completed_and_every_message_answered(
    report: tuple[str, dict], bot: str
) -> None:
    _, data = report
    figures = data["results"][bot]
    assert figures["complete"]
    assert figures["refusals"] == []
    assert figures["timeouts"] == 0
    assert figures["cases_filed"] == figures["cases_completed"] == ENTERPRISES * CASES
    assert figures["user_messages"] == figures["answered"] == MESSAGES
    assert set(figures["latency_ms"]) == {"p50", "p95", "p99"}
    assert figures["bot_peak_rss_mib"] > 0


def test_duban_sent_its_notifications_too(report: tuple[str, dict]) -> None:
    _, data = report
    # Announcements, assignment cards and progress notices go out through the outbox.
    assert data["results"]["duban"]["other_bot_messages"] > 0
    assert data["results"]["echo"]["other_bot_messages"] == 0


def test_open_loop_reports_latency_and_delivery_for_both_bots(tmp_path: Path) -> None:
    out = tmp_path / "rate.json"
    command = [sys.executable, "-m", "benchmarks.intake", "--rate", "20", "--seed", "1"]
    command += ["--enterprises", "3", "--cases", "1", "--departments", "1"]
    command += ["--max-seconds", "120", "--answer-timeout", "60", "--json", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "open loop: 20 user messages a second, Poisson arrivals" in done.stdout
    assert "target: duban p95 at most 50 ms above the echo bot's:" in done.stdout
    results = json.loads(out.read_text())["results"]
    for bot in ("duban", "echo"):
        assert results[bot]["answered"] == results[bot]["user_messages"] == 3 * 4
    notifications = results["duban"]["notifications"]
    assert notifications["owed"] > 0
    assert notifications["delivered"] == notifications["owed"]
    assert notifications["duplicates"] == 0


def test_fault_benchmark_without_faults_answers_and_delivers_everything(tmp_path: Path) -> None:
    out = tmp_path / "faults.json"
    command = [sys.executable, "-m", "benchmarks.faults", "--fault-rate", "0"]
    command += ["--starts", "1", "--cases", "1", "--json", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starts attempted / survived (first 1): 1 / 1" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["outcomes"] == {"sent": 7, "answered": 7}
    assert figures["delivery"]["owed"] == figures["delivery"]["delivered"] > 0
    assert figures["delivery"]["duplicates"] == 0


def test_delivery_counts_missing_and_duplicated_outbox_rows() -> None:
    from collections import Counter

    from benchmarks.intake.delivery import compare

    rows = [
        (1, "<b>New case</b> 2026-0001", "HTML", "sent"),
        (1, "New case 2026-0002", None, "sent"),
        (2, "Assigned &amp; due", "HTML", "pending"),
    ]
    seen = Counter({(1, "New case 2026-0001"): 3, (1, "New case 2026-0002"): 1, (2, "other"): 1})
    result = compare(rows, seen)
    assert (result.owed, result.delivered, result.duplicates) == (3, 2, 2)
    assert result.by_status == {"sent": 2, "pending": 1}


def test_delivery_counts_each_notice_a_digest_carries() -> None:
    from collections import Counter

    from benchmarks.intake.delivery import compare
    from services.digests import SEPARATOR

    rows = [(1, f"<b>notice</b> {i}", "HTML", "sent") for i in range(3)]
    seen = Counter({(1, SEPARATOR.join(f"notice {i}" for i in range(3))): 1})
    assert (compare(rows, seen).delivered, compare(rows, seen).duplicates) == (3, 0)
    seen[(1, "notice 2")] += 1  # the last one again, on its own
    assert (compare(rows, seen).delivered, compare(rows, seen).duplicates) == (3, 1)


def test_crash_judge_counts_a_repeated_digest_as_one_duplicate_message() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from benchmarks.crash import Figures, judge
    from services.digests import SEPARATOR

    at = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        SimpleNamespace(
            id=i,
            seq=i,
            chat_id=7,
            kind="send",
            live_key=None,
            text=f"<b>n</b> {i}",
            status="sent",
            last_error=None,
            sent_at=at,
        )
        for i in range(1, 5)
    ]
    digest = SEPARATOR.join(["n 1", "① n 2", "n 3"])  # the second a card
    figures = Figures()
    judge(rows, {7: [digest, digest, "n 4"]}, figures)
    assert (figures.delivered, figures.duplicates, figures.lost) == (4, 1, 0)
    assert figures.order_violations == 0
    figures = Figures()
    judge(rows, {7: ["n 4", digest]}, figures)
    # Each of the three rows came after one queued later than it.
    assert (figures.delivered, figures.duplicates, figures.order_violations) == (4, 0, 3)


def test_crash_judge_knows_a_card_repeated_in_an_earlier_state() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from benchmarks.crash import Figures, judge
    from services.digests import SEPARATOR

    at = datetime(2026, 11, 1, tzinfo=UTC)

    def row(id: int, kind: str, text: str, live_key: str | None) -> SimpleNamespace:
        return SimpleNamespace(
            id=id,
            seq=id,
            chat_id=7,
            kind=kind,
            live_key=live_key,
            text=text,
            status="sent",
            last_error=None,
            sent_at=at,
        )

    rows = [row(1, "send", "card: new", "K"), row(2, "send", "n2", None)]
    rows.append(row(3, "edit", "card: dispatched", "K"))
    # Sent before a kill and not recorded; sent again later, the card in its newer state.
    history = {
        7: [SEPARATOR.join(["① card: new", "n2"]), SEPARATOR.join(["① card: dispatched", "n2"])]
    }
    figures = Figures()
    judge(rows, history, figures)
    assert (figures.delivered, figures.lost, figures.duplicates) == (2, 0, 1)
    assert figures.order_violations == 0


def test_sweep_benchmark_sweeps_the_same_due_work_each_run(tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    command = [sys.executable, "-m", "benchmarks.sweep", "--sizes", "300,600"]
    command += ["--databases", "sqlite", "--repeat", "2", "--due", "6", "--open", "20"]
    command += ["--json", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ratio 600/300: sweep" in done.stdout
    assert "USING COVERING INDEX ix_assignments_next_check_at" in done.stdout
    runs = json.loads(out.read_text())["results"]["sqlite"]
    assert [run["size"] for run in runs] == [300, 600]
    for run in runs:
        # Every run (warm-up included) found the six due and took the same steps: rolled back.
        assert run["due_selected"] == [6]
        assert len(run["steps"]) == 1 and run["steps"][0] > 0
