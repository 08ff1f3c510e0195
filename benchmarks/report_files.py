"""Bytes the outbox stores for one month's report: chart and workbook for every reader.

A fresh SQLite database (migrated, organisation synced, demo seeded), a year of cases bulk
inserted as benchmarks/stats.py does (``--assignments``), readers added until ``--readers``
hold a reporting role, half of them reading Chinese, half English; then October 2026's report
is queued once with the real statistics attachments, and the stored files are counted.

    .venv/bin/python -m benchmarks.report_files
    .venv/bin/python -m benchmarks.report_files --readers 10 --assignments 24000
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

LANGS = ("zh", "en")
SENT_AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, Monday November 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks.report_files", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--assignments", type=int, default=24_000, help="in the whole year")
    return parser.parse_args(argv)


def add_readers(session: Session, count: int) -> dict[str, int]:
    """Supervisors added until ``count`` people get the report; languages alternate."""
    from models import RoleGrant, User
    from models.enums import Role
    from services.reports import _recipients
    from tests.rules import RULES

    for n in range(count - len(_recipients(session, RULES))):
        user = User(telegram_id=8_000_001 + n, display_name=f"reader {n}")
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(RoleGrant(user_id=user.id, role=Role.SUPERVISOR))
    session.flush()
    readers = [user for user, _own, _full in _recipients(session, RULES)]
    languages: dict[str, int] = {}
    for n, user in enumerate(readers):
        user.language = LANGS[n % len(LANGS)]
        languages[user.language] = languages.get(user.language, 0) + 1
    session.commit()
    return languages


def stored(session: Session) -> tuple[int, int, int]:
    """(outbox rows that send a file, stored files, bytes of their content)."""
    from models import OutboxFile, OutboxMessage

    rows = session.exec(
        select(func.count()).where(col(OutboxMessage.kind).in_(("photo", "document")))
    ).one()
    files, size = session.exec(
        select(func.count(), func.coalesce(func.sum(func.length(OutboxFile.content)), 0))
    ).one()
    return int(rows), int(files), int(size)


def main(argv: list[str] | None = None) -> None:
    from sqlmodel import Session

    from benchmarks.stats import bulk_insert
    from benchmarks.sweep import prepare
    from bot.db import make_engine
    from services import reports
    from tests.rules import RULES

    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reportfiles-") as work:
        url = f"sqlite:///{work}/duban.db"
        prepare(url)
        engine = make_engine(url)
        try:
            bulk_insert(engine, args.assignments)
            with Session(engine) as session:
                languages = add_readers(session, args.readers)
                owed = reports.send_due(
                    session, rules=RULES.at(SENT_AT), attachments=reports.stats_attachments
                )
                session.commit()
                rows, files, size = stored(session)
        finally:
            engine.dispose()
    shown = ", ".join(f"{n} {lang}" for lang, n in sorted(languages.items()))
    print(f"October 2026's report, {args.assignments} assignments in the year")
    print(f"readers: {owed} ({shown})")
    print(f"outbox rows sending a file: {rows}")
    print(f"files stored: {files}, {size} bytes ({size / 1024:.0f} KiB)")
    print(f"per reader: {size / max(owed, 1) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
