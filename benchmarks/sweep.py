"""The deadline sweep's time with few due assignments among many (issue 8).

For each database and size: a fresh database (migrated, organisation synced, demo seeded),
N assignments bulk-inserted (two per case; most completed with no next check, ``--open`` open
with their next check ahead, ``--due`` due now), then ``services.deadlines.sweep.sweep`` run
``--repeat`` times at one stopped instant, each in a transaction rolled back afterwards so
every run finds the same due work. Prints median and min, the largest/smallest ratio (target:
at most 2) and the query plan of the sweep's selection.

    .venv/bin/python -m benchmarks.sweep
    .venv/bin/python -m benchmarks.sweep --sizes 10000 --databases sqlite --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai: working hours
CHUNK = 10_000
COMPLETED, ACKNOWLEDGED, ISSUED = "completed", "acknowledged", "issued"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks.sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="assignments, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5, help="timed sweeps per size")
    parser.add_argument("--due", type=int, default=40, help="assignments due at the sweep")
    parser.add_argument("--open", type=int, default=300, help="open, next check ahead")
    parser.add_argument(
        "--database-url", help="a PostgreSQL server's URL (database 'postgres') to use instead"
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument(
        "--top-queries", type=int, default=5, help="the slowest statements of one sweep, per size"
    )
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.databases = [d.strip() for d in args.databases.split(",")]
    if min(args.sizes) < args.due + args.open + 2:
        parser.error("every size must exceed --due + --open")
    return args


# --- the data ---------------------------------------------------------------------------


def prepare(url: str) -> None:
    """Migrate, sync the organisation and seed the demo, as a new installation would."""
    from bot.db import Database, upgrade
    from bot.settings import load_settings
    from services.demo import seed_demo
    from services.org import sync_organisation

    settings = load_settings(database={"url": url})
    upgrade(url)
    db = Database(url)
    try:
        org = settings.organisation
        db.call(sync_organisation, parks=org.parks, departments=org.departments)
        db.call(seed_demo)
    finally:
        db.dispose()


def _scope(session: Session) -> dict[str, Any]:
    """The demo enterprise contact and the departments that have a liaison."""
    from models import Enterprise, RoleGrant
    from models.enums import Role

    grant = session.exec(
        select(RoleGrant).where(RoleGrant.role == Role.ENTERPRISE).order_by(col(RoleGrant.id))
    ).first()
    assert grant is not None and grant.enterprise_id is not None
    enterprise = session.get(Enterprise, grant.enterprise_id)
    assert enterprise is not None
    departments = session.exec(
        select(RoleGrant.department_id).where(RoleGrant.role == Role.LIAISON).distinct()
    ).all()
    return {
        "enterprise": enterprise.id,
        "park": enterprise.park_id,
        "reporter": grant.user_id,
        "departments": sorted(d for d in departments if d is not None),
    }


def _kind(index: int, size: int, due: int, open_: int) -> str:
    """The last assignments are the live ones: ``open_`` ahead, then ``due`` due now."""
    if index >= size - due:
        return "due"
    if index >= size - due - open_:
        return "open"
    return "closed"


def _assignment(index: int, kind: str, scope: dict[str, Any]) -> dict[str, Any]:
    departments = scope["departments"]
    issued = NOW - timedelta(days=400) + timedelta(seconds=index * 10)
    row: dict[str, Any] = {
        "id": index + 1,
        "number": f"B{index + 1:08d}",
        "case_id": index // 2 + 1,
        "department_id": departments[index % len(departments)],
        "stage": "none",
        "reopened_count": 0,
        "deadline_version": 1,
        "issued_at": issued,
        "ack_due_at": issued + timedelta(days=1),
        "due_at": issued + timedelta(days=15),
        "acknowledged_at": issued + timedelta(hours=3),
        "completed_at": issued + timedelta(days=9),
        "result": "已办结",
        "status": COMPLETED,
        "next_check_at": None,
    }
    if kind == "open":
        issued = NOW - timedelta(days=2)
        row.update(issued_at=issued, ack_due_at=issued + timedelta(days=1), completed_at=None)
        row.update(due_at=NOW + timedelta(days=20), status=ACKNOWLEDGED, result=None)
        row.update(next_check_at=NOW + timedelta(days=1 + index % 10))
    elif kind == "due":
        # Half not signed for a day after issue, half also past the completion deadline.
        issued = NOW - timedelta(days=3 + 12 * (index % 2))
        row.update(issued_at=issued, ack_due_at=issued + timedelta(days=1), completed_at=None)
        row.update(due_at=issued + timedelta(days=10), status=ISSUED, result=None)
        row.update(acknowledged_at=None, next_check_at=NOW - timedelta(minutes=5 + index % 30))
    return row


def _case(case_id: int, live: bool, scope: dict[str, Any]) -> dict[str, Any]:
    created = NOW - timedelta(days=400) + timedelta(seconds=case_id * 20)
    if live:
        created = NOW - timedelta(days=20)
    return {
        "id": case_id,
        "number": f"B-{case_id:08d}",
        "enterprise_id": scope["enterprise"],
        "park_id": scope["park"],
        "reporter_user_id": scope["reporter"],
        "category": ("permit", "utility", "land", "dispute", "other")[case_id % 5],
        "description": "压测诉求：用水用电报装",
        "status": "dispatched" if live else "closed",
        "created_at": created,
        "dispatched_at": created + timedelta(hours=2),
        "completed_at": None if live else created + timedelta(days=10),
        "closed_at": None if live else created + timedelta(days=12),
        "confirmed_by_default": False,
    }


def _order(index: int, assignment_id: int) -> dict[str, Any]:
    issued = NOW - timedelta(days=300) + timedelta(seconds=index * 100)
    return {
        "number": f"D{index + 1:08d}",
        "assignment_id": assignment_id,
        "issued_at": issued,
        "due_at": issued + timedelta(days=5),
        "status": "completed" if index % 4 else "missed",
        "completed_at": issued + timedelta(days=4) if index % 4 else None,
        "missed_at": None if index % 4 else issued + timedelta(days=5),
    }


def rows(size: int, args: argparse.Namespace, scope: dict[str, Any]) -> dict[str, Iterator]:
    """Generators of every table's rows: cases, assignments, closed supervision orders (1 %)."""
    kinds = (_kind(i, size, args.due, args.open) for i in range(size))
    live_from = (size - args.due - args.open) // 2 + 1
    return {
        "cases": (_case(c, c >= live_from, scope) for c in range(1, (size + 1) // 2 + 1)),
        "assignments": (_assignment(i, k, scope) for i, k in enumerate(kinds)),
        "supervision_orders": (_order(n, n * 100 + 1) for n in range(size // 100)),
    }


def _chunks(source: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in source:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk_insert(engine: Engine, size: int, args: argparse.Namespace) -> float:
    """Insert the rows (COPY on PostgreSQL, Core executemany on SQLite); returns seconds."""
    from sqlmodel import SQLModel

    with Session(engine) as session:
        scope = _scope(session)
    started = time.perf_counter()
    with engine.begin() as conn:
        for name, source in rows(size, args, scope).items():
            table = SQLModel.metadata.tables[name]
            for chunk in _chunks(source):
                if engine.dialect.name == "postgresql":
                    _copy(conn, name, chunk)
                else:
                    conn.execute(insert(table), chunk)
        if engine.dialect.name == "postgresql":
            for name in ("cases", "assignments", "supervision_orders"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        # Planner statistics, as autovacuum (PostgreSQL) or `ANALYZE` (SQLite) would leave them.
        conn.exec_driver_sql("ANALYZE")
    return seconds


def _copy(conn: Any, name: str, chunk: list[dict[str, Any]]) -> None:
    columns = list(chunk[0])
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in chunk:
            copy.write_row([row[c] for c in columns])


# --- the measurement --------------------------------------------------------------------


def time_sweeps(engine: Engine, repeat: int) -> dict[str, Any]:
    """One untimed warm-up, then ``repeat`` sweeps and selections, each rolled back."""
    from services.deadlines.clock import due_ids
    from services.deadlines.sweep import sweep
    from tests.rules import repo_rules

    rules = repo_rules().at(NOW)
    sweeps, selections, steps, due = [], [], set(), set()
    for attempt in range(repeat + 1):
        with Session(engine) as session:
            _begin(session)
            started = time.perf_counter()
            due.add(len(due_ids(session, now=NOW, limit=500)))
            selected = time.perf_counter() - started
            session.rollback()
            _begin(session)
            started = time.perf_counter()
            steps.add(sweep(session, rules=rules))
            swept = time.perf_counter() - started
            session.rollback()
        if attempt:
            sweeps.append(swept)
            selections.append(selected)
    return {
        "sweep_ms": _summary(sweeps),
        "selection_ms": _summary(selections),
        "steps": sorted(steps),
        "due_selected": sorted(due),
    }


def _begin(session: Session) -> None:
    """Open the transaction now, so the sweep's savepoints stay inside it and roll back.

    pysqlite (legacy transaction control) sends no BEGIN before a SELECT: the sweep's first
    SAVEPOINT would open the transaction and its RELEASE commit it.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


def _summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"median": round(statistics.median(ms), 2), "min": round(min(ms), 2)}


def slowest_statements(engine: Engine, top: int) -> list[str]:
    """One more sweep (rolled back) with each statement's time summed over its calls."""
    from services.deadlines.sweep import sweep
    from tests.rules import repo_rules

    spent: dict[str, list[float]] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["sweepbench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info.pop("sweepbench_started")
        spent.setdefault(" ".join(statement.split())[:150], []).append(seconds)

    with Session(engine) as session:
        _begin(session)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            sweep(session, rules=repo_rules().at(NOW))
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
            session.rollback()
    ranked = sorted(spent.items(), key=lambda item: -sum(item[1]))[:top]
    total = sum(sum(times) for times in spent.values()) * 1000
    lines = [f"{sum(len(t) for t in spent.values())} statements, {total:.1f} ms in all"]
    for statement, times in ranked:
        lines.append(f"{sum(times) * 1000:8.1f} ms {len(times):4}x  {statement}")
    return lines


def query_plan(engine: Engine) -> list[str]:
    """EXPLAIN of the sweep's own selection statements, captured as the sweep sends them."""
    from services.deadlines.clock import due_ids

    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            due_ids(session, now=NOW, limit=500)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        lines = []
        conn = session.connection()
        for statement, parameters in sent:
            lines.append("-- " + " ".join(statement.split())[:160])
            result = conn.exec_driver_sql(prefix + statement, parameters).all()
            lines += [str(row[-1]) for row in result]
        session.rollback()
    return lines


def measure(url: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Prepare one database of ``size`` assignments and time its sweep."""
    from bot.db import make_engine

    prepare(url)
    engine = make_engine(url)
    try:
        insert_s = bulk_insert(engine, size, args)
        figures = time_sweeps(engine, args.repeat)
        figures.update(size=size, insert_s=round(insert_s, 1), plan=query_plan(engine))
        figures["slowest"] = slowest_statements(engine, args.top_queries)
    finally:
        engine.dispose()
    return figures


def fresh_url(
    database: str, size: int, stack: ExitStack, servers: dict[str, Any], args: argparse.Namespace
) -> str:
    """A fresh database's URL for one run."""
    if database == "sqlite":
        work = stack.enter_context(tempfile.TemporaryDirectory(prefix="sweepbench-"))
        return f"sqlite:///{work}/duban.db"
    name = f"sweep_{size}_{os.getpid()}"
    if args.database_url:
        import psycopg

        dsn = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return args.database_url.rsplit("/", 1)[0] + "/" + name
    if "pg" not in servers:
        from tests.pgserver import PgServer

        servers["pg"] = stack.enter_context(PgServer())
    return servers["pg"].create_database(name)


def _row(run: dict[str, Any]) -> str:
    steps = ",".join(map(str, run["steps"]))
    due = ",".join(map(str, run["due_selected"]))
    sweep, selection = run["sweep_ms"], run["selection_ms"]
    return (
        f"{run['size']:>12} {run['insert_s']:>9} {sweep['median']:>16} {sweep['min']:>8}"
        f" {selection['median']:>17} {steps:>6} {due:>5}"
    )


def report(results: dict[str, list[dict[str, Any]]]) -> None:
    for database, runs in results.items():
        print(f"\n== {database} ==")
        print(f"{'assignments':>12} {'insert s':>9} {'sweep median ms':>16} {'min ms':>8}", end="")
        print(f" {'select median ms':>17} {'steps':>6} {'due':>5}")
        for run in runs:
            print(_row(run))
        if len(runs) > 1:
            small, large = runs[0], runs[-1]
            ratio = large["sweep_ms"]["median"] / small["sweep_ms"]["median"]
            select_ratio = large["selection_ms"]["median"] / small["selection_ms"]["median"]
            verdict = "met" if ratio <= 2 else "NOT met"
            print(f"ratio {large['size']}/{small['size']}: sweep {ratio:.2f}", end="")
            print(f" (target <= 2: {verdict}), selection alone {select_ratio:.2f}")
        for run in runs:
            print(f"slowest statements of one sweep ({run['size']} assignments):")
            for line in run["slowest"]:
                print("  " + line)
        print(f"query plan of the selection ({runs[-1]['size']} assignments):")
        for line in runs[-1]["plan"]:
            print("  " + line)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"sweep benchmark {started}: {os.cpu_count()} CPUs, load {_load(load_before)}")
    print(f"due {args.due}, open ahead {args.open}, repeat {args.repeat} (+1 warm-up), rolled back")
    results: dict[str, list[dict[str, Any]]] = {}
    servers: dict[str, Any] = {}
    with ExitStack() as stack:
        for database in args.databases:
            for size in sorted(args.sizes):
                url = fresh_url(database, size, stack, servers, args)
                figures = measure(url, size, args)
                results.setdefault(database, []).append(figures)
                print(f"{database} {size}: inserted in {figures['insert_s']} s", flush=True)
    load_after = os.getloadavg()
    report(results)
    print(f"\nload average before {_load(load_before)}, after {_load(load_after)}")
    if args.json:
        header = {"date": started, "load": [load_before, load_after], "args": sys.argv[1:]}
        args.json.write_text(json.dumps({"header": header, "results": results}, indent=1))
    return 0


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    raise SystemExit(main())
