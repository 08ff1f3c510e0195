"""Audit appends a second: one writer and concurrent writers, with and without the chain.

Each transaction is what a service does: change something, record the audit event, queue its
messages (three outbox rows); its commit seals the event, holding the chain's head until the
COMMIT is done (services/audit.py). The baseline is the same transaction without the audit
event (four outbox rows), so the difference is the cost of the chain and of serialising at
the head. Runs on a throwaway PostgreSQL server (tests/pgserver.py) by default, or on SQLite.

    .venv/bin/python -m benchmarks.audit [--database sqlite] [--seconds 5] [--writers 4]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable

from sqlmodel import Session

from bot.db import Database, upgrade
from models import OutboxMessage
from services import audit

_runs = itertools.count(1)  # keeps dedupe keys apart between measurements


def _messages(session: Session, n: int, count: int) -> None:
    for i in range(count):
        session.add(OutboxMessage(chat_id=1, template="bench", text="x", dedupe_key=f"b{n}:{i}"))


def chained(session: Session, n: int) -> None:
    audit.record(session, actor_id=None, action="bench", entity="bench", entity_id=n % 1_000_000)
    _messages(session, n, 3)


def unchained(session: Session, n: int) -> None:
    _messages(session, n, 4)


def measure(
    db: Database, work: Callable[[Session, int], None], writers: int, seconds: float
) -> float:
    """Transactions a second committed by ``writers`` threads over ``seconds``."""
    counts = [0] * writers
    stop = time.monotonic() + seconds
    base = next(_runs) * 100_000_000

    def writer(w: int) -> None:
        while time.monotonic() < stop:
            db.call(work, base + w * 10_000_000 + counts[w])
            counts[w] += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def run(url: str, seconds: float, writers: int) -> list[tuple[str, float]]:
    upgrade(url)
    db = Database(url, pool_size=writers + 1)
    try:
        figures = []
        for name, work in (("with audit event", chained), ("without (baseline)", unchained)):
            for n in (1, writers):
                figures.append((f"{name}, {n} writer(s)", measure(db, work, n, seconds)))
        verdict = db.call(audit.verify)
        assert verdict.broken is None, verdict.broken
        figures.append(("events verified", float(verdict.count)))
        return figures
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audit", description=__doc__)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args(argv)
    pg = None
    try:
        if args.database == "postgres":
            from tests.pgserver import PgServer

            pg = PgServer().start()
            url = pg.create_database("audit_bench")
        else:
            url = f"sqlite:///{tempfile.mkdtemp(prefix='duban-audit-')}/audit.db"
        figures = run(url, args.seconds, args.writers)
    finally:
        if pg is not None:
            pg.stop()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"audit append benchmark ({args.database}, {args.seconds:g} s each, load {load}):")
    for name, value in figures:
        print(f"  {name:<36} {value:10.1f}" + ("" if "verified" in name else " transactions/s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
