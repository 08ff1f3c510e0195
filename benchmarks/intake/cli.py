"""Options, and the run from start to printed report."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from benchmarks.intake.run import Params, benchmark


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake",
        description="duban under many simulated enterprises and liaisons, against an echo bot.",
    )
    add = parser.add_argument
    add("--enterprises", type=int, default=20, help="simulated enterprises")
    add("--cases", type=int, default=5, help="cases each enterprise files")
    add("--departments", type=int, default=1, help="departments each case goes to (1-8)")
    add("--concurrency", type=int, default=16, help="closed loop: unanswered messages at most")
    add(
        "--rate",
        type=float,
        help="open loop instead: this many user messages a second, Poisson arrivals",
    )
    add("--seed", type=int, default=None, help="seed of the open loop's arrivals")
    add("--max-seconds", type=float, default=180.0, help="cut each run off after this long")
    add("--answer-timeout", type=float, default=60.0, help="give up on one answer after this")
    add(
        "--rate-limiter",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the bots' AIORateLimiter (on in production)",
    )
    add(
        "--drain",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after the last answer, wait for the outbox to go quiet and time it",
    )
    database = parser.add_mutually_exclusive_group()
    database.add_argument(
        "--database-url", default="sqlite", help="duban's database (default: a temp SQLite file)"
    )
    database.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL from tests/pgserver.py"
    )
    add("--bots", default="duban,echo", help="which bots to run, comma-separated (duban,echo)")
    add("--json", type=Path, help="also write every figure to this JSON file")
    add("--keep", action="store_true", help="keep the work directory (logs, db)")
    return parser


def parse_args(argv: Iterable[str] | None) -> tuple[Params, argparse.Namespace]:
    parser = _parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    bots = tuple(b.strip() for b in args.bots.split(",") if b.strip())
    if not bots or any(b not in ("duban", "echo") for b in bots):
        parser.error("--bots takes duban, echo or both")
    if not 1 <= args.departments <= 8:
        parser.error("--departments must be between 1 and 8 (the demo has 8 liaisons)")
    if min(args.enterprises, args.cases, args.concurrency) < 1:
        parser.error("--enterprises, --cases and --concurrency must be at least 1")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be above 0")
    params = Params(
        enterprises=args.enterprises,
        cases=args.cases,
        departments_per_case=args.departments,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
        answer_timeout=args.answer_timeout,
        rate_limiter=args.rate_limiter,
        drain=args.drain,
        database="postgres" if args.postgres else args.database_url,
        bots=bots,
        rate=args.rate,
        seed=args.seed,
    )
    return params, args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``_child``, one of its child processes)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        from benchmarks.intake.bots import child_main

        child_main(argv[1:])
        return 0
    from benchmarks.intake.report import machine, render

    params, args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    work = Path(tempfile.mkdtemp(prefix="duban-intake-"))
    try:
        report = asyncio.run(benchmark(params, work, machine()))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
    print(render(params, report["results"], report["header"]))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(
        f["complete"] and not f["refusals"] and f["answered"] == params.expected
        for f in report["results"].values()
    )
    return 0 if ok else 1
