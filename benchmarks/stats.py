"""/stats for a year with 100 thousand assignments: time and peak memory (issue 9).

For each database: a fresh database (migrated, organisation synced, demo seeded), a year of
cases and assignments bulk-inserted (two assignments per case, over every department and park:
most completed in time, some late with their missed mark, deduction and supervision order,
some open, returned, reopened or cancelled), then ``services.stats.compute`` for the year,
``chart_png`` and ``workbook_xlsx`` timed ``--repeat`` times (median, min), and once more
under tracemalloc for the peak of Python allocations. Target: the figures and the chart
(compute + chart, "shown") under 2 seconds; the workbook is sent after them.

    .venv/bin/python -m benchmarks.stats
    .venv/bin/python -m benchmarks.stats --assignments 10000 --databases sqlite --repeat 1
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from benchmarks.sweep import _chunks, _copy, prepare

YEAR = 2026
START = datetime(YEAR, 1, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on New Year's Day
NOW = datetime(YEAR + 1, 1, 15, 2, 0, tzinfo=UTC)
CATEGORIES = ("permit", "permit", "permit", "utility", "land", "dispute", "other")
# "shown": compute + chart, what /stats's user waits for before the figures and the chart are
# on screen (the workbook follows); the target is on it.
STEPS = ("compute", "chart", "shown", "workbook", "total")
SATISFACTION = ("satisfied", "satisfied", "satisfied", "mostly", None, "unsatisfied")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks.stats", description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per database")
    parser.add_argument("--lang", default="zh")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",")]
    return args


# --- the data ---------------------------------------------------------------------------


def _scope(session: Session) -> dict[str, Any]:
    """One enterprise per park, a reporter, every department."""
    from models import Department, Enterprise, Park, User
    from tests.factories import credit_code

    reporter = User(telegram_id=777_000_001, display_name="bench")
    session.add(reporter)
    enterprises = []
    for n, park in enumerate(session.exec(select(Park).order_by(col(Park.id))).all()):
        enterprise = Enterprise(
            name=f"压测企业{n}", credit_code=credit_code(500 + n), park_id=park.id
        )  # type: ignore[arg-type]
        session.add(enterprise)
        session.flush()
        enterprises.append((enterprise.id, park.id))
    session.commit()
    departments = session.exec(select(Department.id).order_by(col(Department.id))).all()
    return {"reporter": reporter.id, "enterprises": enterprises, "departments": list(departments)}


def _case(case_id: int, cases: int, scope: dict[str, Any]) -> dict[str, Any]:
    created = START + timedelta(seconds=case_id * (364 * 86_400 // cases))
    enterprise, park = scope["enterprises"][case_id % len(scope["enterprises"])]
    rating = SATISFACTION[case_id % len(SATISFACTION)]
    closed = case_id % 10 != 0
    return {
        "id": case_id,
        "number": f"S-{case_id:08d}",
        "enterprise_id": enterprise,
        "park_id": park,
        "reporter_user_id": scope["reporter"],
        "category": CATEGORIES[case_id % len(CATEGORIES)],
        "description": "压测诉求",
        "status": "closed" if closed else "dispatched",
        "created_at": created,
        "dispatched_at": created + timedelta(hours=2),
        "closed_at": created + timedelta(days=12) if closed else None,
        "satisfaction": rating if closed else None,
        "confirmed_by_default": closed and rating is None,
    }


def _assignment(index: int, cases: int, scope: dict[str, Any]) -> dict[str, Any]:
    """Every 20th late, 25th returned, 30th open, 50th reopened, 100th cancelled (about)."""
    case_id = index // 2 + 1
    issued = START + timedelta(seconds=case_id * (364 * 86_400 // cases) + 7200)
    departments = scope["departments"]
    row: dict[str, Any] = {
        "id": index + 1,
        "number": f"S{index + 1:08d}",
        "case_id": case_id,
        "department_id": departments[(index * 7 + index // 20) % len(departments)],
        "status": "completed",
        "stage": "none",
        "issued_at": issued,
        "ack_due_at": issued + timedelta(days=1),
        "due_at": issued + timedelta(days=10),
        "acknowledged_at": issued + timedelta(hours=2 + index % 26),
        "completed_at": issued + timedelta(days=2 + index % 7, hours=index % 9),
        "returned_at": None,
        "reopened_count": 0,
        "deadline_version": 1,
    }
    if index % 20 == 0:
        row.update(completed_at=issued + timedelta(days=12), stage="slow")
    elif index % 25 == 0:
        row.update(status="returned", returned_at=issued + timedelta(hours=3), completed_at=None)
    elif index % 30 == 0:
        row.update(status="acknowledged", completed_at=None, due_at=NOW + timedelta(days=index % 3))
    elif index % 50 == 7:
        row.update(reopened_count=1)
    elif index % 100 == 1:
        row.update(status="cancelled", completed_at=None)
    return row


def _late_rows(index: int, row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The deadline engine's record of a late assignment: mark, deduction, maybe an order."""
    due = row["due_at"]
    found: dict[str, dict[str, Any]] = {
        "deadline_marks": {
            "assignment_id": row["id"],
            "clock": "done",
            "version": 1,
            "point": "missed",
            "outcome": "done",
            "at": due,
        },
        "deductions": {
            "department_id": row["department_id"],
            "kind": "slow_action",
            "points": 2.0,
            "year": YEAR,
            "half": 1 if due.month <= 6 else 2,
            "reason": f"slow action: assignment {row['number']}",
            "assignment_id": row["id"],
            "dedupe_key": f"slow:a{row['id']}:v1",
            "created_at": due,
        },
    }
    if index % 200 == 0:
        found["supervision_orders"] = {
            "number": row["number"] + "-D",
            "assignment_id": row["id"],
            "issued_at": due + timedelta(hours=1),
            "due_at": due + timedelta(days=3),
            "status": "completed",
            "completed_at": due + timedelta(days=2),
        }
    return found


def rows(size: int, scope: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cases = (size + 1) // 2
    tables: dict[str, list[dict[str, Any]]] = {
        "cases": [_case(c, cases, scope) for c in range(1, cases + 1)],
        "assignments": [],
        "deadline_marks": [],
        "deductions": [],
        "supervision_orders": [],
    }
    for index in range(size):
        row = _assignment(index, cases, scope)
        tables["assignments"].append(row)
        if index % 20 == 0:
            for table, extra in _late_rows(index, row).items():
                tables[table].append(extra)
    return tables


def bulk_insert(engine: Engine, size: int) -> float:
    with Session(engine) as session:
        scope = _scope(session)
    started = time.perf_counter()
    with engine.begin() as conn:
        for name, table_rows in rows(size, scope).items():
            table = SQLModel.metadata.tables[name]
            for chunk in _chunks(iter(table_rows)):
                if engine.dialect.name == "postgresql":
                    _copy(conn, name, chunk)
                else:
                    conn.execute(insert(table), chunk)
        if engine.dialect.name == "postgresql":
            for name in ("cases", "assignments"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return seconds


# --- the measurement --------------------------------------------------------------------


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result, wall-clock seconds and this process's CPU seconds (the machine may be busy)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - started, time.process_time() - cpu


def once(engine: Engine, lang: str) -> dict[str, Any]:
    """compute + chart + workbook, each timed."""
    from services import periods
    from services.stats import compute
    from services.stats.chart import chart_png
    from services.stats.workbook import workbook_xlsx
    from tests.rules import repo_rules

    rules = repo_rules().at(NOW)
    with Session(engine) as session:
        figures, *compute_s = _timed(
            lambda: compute(session, period=periods.year(YEAR), rules=rules)
        )
    png, *chart_s = _timed(lambda: chart_png(figures, lang=lang))
    xlsx, *workbook_s = _timed(lambda: workbook_xlsx(figures, lang=lang))
    timings = {"compute": compute_s, "chart": chart_s, "workbook": workbook_s}
    timings["total"] = [sum(t[i] for t in timings.values()) for i in (0, 1)]
    timings["shown"] = [compute_s[i] + chart_s[i] for i in (0, 1)]
    return {"figures": figures, "seconds": timings, "png_bytes": len(png), "xlsx_bytes": len(xlsx)}


def measure(url: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    from bot.db import make_engine

    prepare(url)
    engine = make_engine(url)
    try:
        inserted = bulk_insert(engine, size)
        once(engine, args.lang)  # warm-up: imports, font cache, connection
        runs = [once(engine, args.lang) for _ in range(args.repeat)]
        tracemalloc.start()
        once(engine, args.lang)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        engine.dispose()
    result = {key: [r["seconds"][key] for r in runs] for key in STEPS}
    return {
        "insert_s": inserted,
        "runs": result,
        "last": runs[-1],
        "traced_peak_mib": peak / 2**20,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def fresh_url(database: str, stack: ExitStack, servers: dict[str, Any]) -> str:
    if database == "sqlite":
        work = stack.enter_context(tempfile.TemporaryDirectory(prefix="statsbench-"))
        return f"sqlite:///{work}/duban.db"
    if "pg" not in servers:
        from tests.pgserver import PgServer

        servers["pg"] = stack.enter_context(PgServer())
    return servers["pg"].create_database("statsbench")


def report(database: str, size: int, measured: dict[str, Any], lang: str) -> None:
    from services.stats.summary import lines

    runs = measured["runs"]
    print(f"\n== {database}: {size} assignments in {YEAR} ==")
    print(f"bulk insert: {measured['insert_s']:.1f} s")
    print(f"{'step':<9} {'wall median':>12} {'wall min':>9} {'CPU median':>11}  (ms)")
    for key in STEPS:
        wall = [w * 1000 for w, _cpu in runs[key]]
        cpu = [c * 1000 for _wall, c in runs[key]]
        median = statistics.median
        print(f"{key:<9} {median(wall):12.0f} {min(wall):9.0f} {median(cpu):11.0f}")
    last = measured["last"]
    print(f"PNG {last['png_bytes'] / 1024:.0f} KiB, XLSX {last['xlsx_bytes'] / 1024:.0f} KiB")
    print(f"peak traced Python memory {measured['traced_peak_mib']:.1f} MiB")
    print(f"process max RSS so far {measured['maxrss_mib']:.0f} MiB")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    target = statistics.median(w for w, _cpu in runs["shown"]) < 2.0
    print(f"target: figures and chart under 2 s: {'met' if target else 'NOT met'} (wall median)")
    figures = last["figures"]
    for line in lines(figures):
        print(f"  {line.label}: {line.shown}{line.detail}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    servers: dict[str, Any] = {}
    with ExitStack() as stack:
        for database in args.databases:
            url = fresh_url(database, stack, servers)
            report(database, args.assignments, measure(url, args.assignments, args), args.lang)


if __name__ == "__main__":
    main()
