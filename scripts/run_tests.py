"""Run the whole test suite in two parallel pytest runs, and sum them up in one closing line.

The slow tests (marked ``slow``: real-time deadline drills, kill -9 runs) spend minutes
waiting on a real clock while using little CPU. Run after the rest they added twelve minutes;
here they run beside it, one worker each, while the rest share the cores with pytest-xdist.

    python scripts/run_tests.py [--workers N] [pytest arguments …]

Arguments after the options go to both runs (e.g. ``--durations=25`` or ``-x``). The slow
run's output is printed when both are done, then one line with the totals of both; the exit
status is the worse of the two.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Workers for the slow tests: one each, so no drill waits behind another.
SLOW_WORKERS = 4


def pytest_command(marker: str, workers: int, junit: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-m",
        marker,
        "-n",
        str(workers),
        f"--junitxml={junit}",
        *extra,
    ]


def totals(junit: Path) -> dict[str, int]:
    """Passed, failed, errors and skipped from a JUnit XML report (all zero if it is missing)."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return counts
    for suite in root.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, "0"))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("DUBAN_TEST_WORKERS", "3")),
        help="pytest-xdist workers for the tests that are not slow (default 3, or "
        "DUBAN_TEST_WORKERS)",
    )
    options, extra = parser.parse_known_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="duban-tests-") as work:
        slow_junit, main_junit = Path(work, "slow.xml"), Path(work, "main.xml")
        slow_log = Path(work, "slow.log")
        with slow_log.open("w") as log:
            slow = subprocess.Popen(
                pytest_command("slow", SLOW_WORKERS, slow_junit, extra),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                main_status = subprocess.call(
                    pytest_command("not slow", options.workers, main_junit, extra), cwd=ROOT
                )
                slow_status = slow.wait()
            except BaseException:
                slow.kill()
                slow.wait()
                raise
        print("\n--- the slow tests (run beside the others) ---", flush=True)
        print(slow_log.read_text(), end="", flush=True)
        both = [totals(slow_junit), totals(main_junit)]
    tests = sum(t["tests"] for t in both)
    failed = sum(t["failures"] + t["errors"] for t in both)
    skipped = sum(t["skipped"] for t in both)
    passed = tests - failed - skipped
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    print(f"\nall tests, both runs, {minutes} min {seconds} s wall time:")
    # pytest exits 5 when a run selected no test (e.g. -k matched only one side): not a failure
    # of the other side, but a whole suite that ran nothing is.
    statuses = [s for s in (main_status, slow_status) if s != 5]
    status = max(statuses, default=5)
    if status == 0 and failed:
        status = 1
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return status


if __name__ == "__main__":
    sys.exit(main())
