"""What one answer costs in the database: the services behind /report, /dispatch, /ack, /done.

Seeds the intake benchmark's world in a fresh SQLite (or given) database, then works ``--cases``
cases through the four steps, each as the bot runs it (resolve the user, then the service in
one transaction; then every queued message counts as delivered), and prints milliseconds (wall,
and the thread's CPU) and SQL statements per step; ``--profile`` adds the functions with the
most cumulative time.

    .venv/bin/python -m benchmarks.handler_cost --cases 40 [--profile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.intake.scripts import CATEGORIES, RESULT, description
from benchmarks.intake.world import (
    DISPATCH_DESKS,
    liaisons_by_department,
    prepare_database,
    simulated_enterprises,
)


class Tally:
    """Milliseconds and statements per step."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, list[int]] = defaultdict(list)
        self.count = 0

    def on_execute(self, *_args: Any) -> None:
        self.count += 1


def deliver_all(session: Any) -> None:
    """Every queued message counts as delivered, so live cards are edited as in the bot."""
    from sqlmodel import col, select

    from models import OutboxMessage
    from models.enums import OutboxStatus
    from models.types import utcnow
    from services import outbox

    pending = select(OutboxMessage.id).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
    for row_id in session.exec(pending).all():
        outbox.record_sent(session, row_id=row_id, message_id=row_id, now=utcnow())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--enterprises", type=int, default=20)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions")
    return parser.parse_args(argv)


class TgUser:
    """The few attributes of a Telegram user that resolving the acting user reads."""

    def __init__(self, telegram_id: int, language: str) -> None:
        self.id = telegram_id
        self.full_name = f"user {telegram_id}"
        self.username = None
        self.language_code = language


def stepper(
    db: Any, rules: Any, tally: Tally, profiler: cProfile.Profile | None
) -> Callable[..., Any]:
    """A function that runs one answer's services as the bot would, timing each part."""
    from handlers.common import _identify

    def step(name: str, telegram_id: int, fn: Callable[..., Any], **kwargs: Any) -> Any:
        start, before, cpu = time.perf_counter(), tally.count, time.thread_time()
        if profiler:
            profiler.enable()
        actor, _lang = db.call(
            _identify, tg_user=TgUser(telegram_id, "zh"), default_language=rules.default_language
        )
        middle, cpu_middle = time.perf_counter(), time.thread_time()
        tally.ms["identify"].append((middle - start) * 1000)
        tally.cpu["identify"].append((cpu_middle - cpu) * 1000)
        result = db.call(fn, actor=actor, rules=rules, **kwargs)
        if profiler:
            profiler.disable()
        tally.ms[name].append((time.perf_counter() - middle) * 1000)
        tally.cpu[name].append((time.thread_time() - cpu_middle) * 1000)
        tally.statements[name].append(tally.count - before)
        db.call(deliver_all)
        return result

    return step


def workload(step: Callable[..., Any], people: list[Any], count: int) -> None:
    """Each case reported, dispatched to one department, signed for and completed."""
    from services import assignments, cases
    from services.dispatch import form

    liaisons = liaisons_by_department()
    departments = list(liaisons)
    for index in range(count):
        person = people[index % len(people)]
        submitted = step(
            "report",
            person.telegram_id,
            cases.submit_case,
            category=CATEGORIES[index % len(CATEGORIES)],
            description=description(index, person.telegram_id),
            idempotency_key=f"msg:{person.telegram_id}:{index}",
        )
        dept = departments[index % len(departments)]
        issued = step(
            "dispatch",
            DISPATCH_DESKS[index % len(DISPATCH_DESKS)],
            form.dispatch_now,
            case_number=submitted.case.number,
            department_codes=[dept],
            deadline=None,
        )
        for assignment in issued:
            number = assignment.number
            step("ack", liaisons[dept], assignments.acknowledge, assignment_number=number)
            step(
                "done",
                liaisons[dept],
                assignments.complete,
                assignment_number=number,
                result=RESULT,
            )


def report(tally: Tally) -> None:
    print(
        f"{'step':<10}{'calls':>6}{'p50 ms':>9}{'mean ms':>9}{'max ms':>9}{'CPU ms':>9}{'SQL':>6}"
    )
    for name, values in tally.ms.items():
        sql = tally.statements.get(name)
        print(
            f"{name:<10}{len(values):>6}{statistics.median(values):>9.1f}"
            f"{statistics.fmean(values):>9.1f}{max(values):>9.1f}"
            f"{statistics.median(tally.cpu[name]):>9.1f}"
            f"{statistics.fmean(sql) if sql else 0:>6.0f}"
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)

    from bot.db import Database
    from bot.deps import make_rules
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'cost.db'}"
        people = simulated_enterprises(args.enterprises)
        prepare_database(url, people)
        rules = make_rules(load_settings(database={"url": url}))
        db = Database(url)
        tally = Tally()
        sa.event.listen(db.engine, "before_cursor_execute", tally.on_execute)
        profiler = cProfile.Profile() if args.profile else None
        workload(stepper(db, rules, tally, profiler), people, args.cases)
        db.dispose()
    report(tally)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
