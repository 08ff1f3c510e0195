"""How long the deadline sweep takes as the database grows, with few assignments due.

    .venv/bin/python -m benchmarks.sweep [--sizes 10000 1000000] [--due 20] [--postgres]

Fills the assignments table with finished assignments (nothing pending: next_check_at NULL),
then, at each size, adds ``--due`` open assignments already past their deadline and times
(1) a sweep that handles them (overdue, deduction, supervision order, messages queued) and
(2) a sweep with nothing due (the selection alone), median of several. Prints the figures; the
target is that the largest size's sweeps take at most twice as long as the smallest's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.db import Database, upgrade
from bot.settings import load_settings
from models import Assignment, Case, Department, Enterprise, User
from models.enums import AssignmentStatus, CaseStatus
from services.deadlines.sweep import sweep
from services.demo import seed_demo
from services.org import sync_organisation
from tests.rules import RULES

NOW = RULES.at(RULES.now()).now()
CHUNK = 20_000


def _world(db: Database) -> tuple[int, int]:
    org = load_settings().organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    db.call(seed_demo)

    def make_case(session: Session) -> tuple[int, int]:
        enterprise = session.exec(select(Enterprise)).first()
        reporter = session.exec(select(User)).first()
        drc = session.exec(select(Department).where(Department.code == "drc")).one()
        assert enterprise and reporter and enterprise.id and reporter.id and drc.id
        case = Case(
            number="BENCH-1",
            enterprise_id=enterprise.id,
            park_id=enterprise.park_id,
            reporter_user_id=reporter.id,
            category="permit",
            description="sweep benchmark",
            status=CaseStatus.DISPATCHED,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        return case.id, drc.id

    return db.call(make_case)


def _rows(start: int, count: int, case_id: int, dept: int, *, due: bool) -> list[dict]:
    past = NOW - timedelta(days=30)
    return [
        {
            "number": f"B-{start + i}",
            "case_id": case_id,
            "department_id": dept,
            "status": AssignmentStatus.ACKNOWLEDGED if due else AssignmentStatus.COMPLETED,
            "stage": "none",
            "issued_at": past,
            "ack_due_at": past,
            "due_at": NOW - timedelta(minutes=5) if due else past,
            "completed_at": None if due else past,
            "reopened_count": 0,
            "deadline_version": 1,
            "next_check_at": NOW - timedelta(minutes=5) if due else None,
        }
        for i in range(count)
    ]


def _fill(db: Database, start: int, count: int, case_id: int, dept: int, *, due: bool) -> None:
    for offset in range(0, count, CHUNK):
        rows = _rows(start + offset, min(CHUNK, count - offset), case_id, dept, due=due)
        db.call(lambda s, rows=rows: s.execute(insert(Assignment), rows))


def _timed(db: Database) -> tuple[float, int]:
    began = time.perf_counter()
    steps = db.call(sweep, rules=RULES.at(NOW))
    return (time.perf_counter() - began) * 1000, steps


def run(url: str, sizes: list[int], due: int, repeats: int) -> None:
    upgrade(url)
    db = Database(url)
    case_id, dept = _world(db)
    # Warm up (catalogs, statement caches) so the first size is not charged for it.
    _fill(db, 2 * 10**9, due, case_id, dept, due=True)
    _timed(db)
    have = 0
    print(f"database: {url.split(':')[0]}; {due} due per size; idle sweep median of {repeats}")
    for size in sizes:
        _fill(db, have, size - have, case_id, dept, due=False)
        have = size
        _fill(db, 10**9 + size, due, case_id, dept, due=True)
        busy, steps = _timed(db)
        idle = statistics.median(_timed(db)[0] for _ in range(repeats))
        print(
            f"{size:>9} assignments: sweep with {steps} steps {busy:8.1f} ms; idle {idle:6.2f} ms"
        )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--due", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server")
    args = parser.parse_args()
    if args.postgres:
        from tests.pgserver import PgServer

        server = PgServer().start()
        try:
            run(server.create_database("sweep_bench"), args.sizes, args.due, args.repeats)
        finally:
            server.stop()
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'sweep.db'}", args.sizes, args.due, args.repeats)


if __name__ == "__main__":
    main()
