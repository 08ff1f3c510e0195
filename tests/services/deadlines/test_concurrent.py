"""Two sweeps at once on PostgreSQL: every step is taken by one of them, once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database, upgrade
from bot.settings import load_settings
from models import Assignment, Deduction, OutboxMessage, SupervisionOrder
from services.deadlines.sweep import sweep
from services.demo import seed_demo
from services.dispatch import orders
from services.errors import InvalidState
from services.org import sync_organisation
from tests.rules import RULES
from tests.services.deadlines.world import (
    DISPATCHER,
    DRC,
    DRC_HEAD,
    MONDAY,
    SUPERVISOR,
    actor,
    dispatch,
    sent_to,
    submit,
)

# These finish in seconds; a lock that is never released fails them within a minute.
pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]
MINUTE = timedelta(minutes=1)


@pytest.fixture
def pg_world(pg_url: str) -> Iterator[Database]:
    upgrade(pg_url)
    db = Database(pg_url)
    org = load_settings().organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    db.call(seed_demo)
    yield db
    db.dispose()


def count(db: Database, model: type) -> int:
    return db.call(lambda s: len(s.exec(select(model)).all()))


def test_a_sweep_skips_what_another_sweep_holds(pg_world: Database) -> None:
    issued = dispatch(pg_world, codes=("drc", "epb"))
    rules = RULES.at(issued[0].due_at + MINUTE)
    with Session(pg_world.engine) as first, Session(pg_world.engine) as second:
        taken = sweep(first, rules=rules)  # holds its rows, not committed yet
        skipped = sweep(second, rules=rules)
        second.commit()
        first.commit()
    assert taken > 0 and skipped == 0
    assert count(pg_world, Deduction) == 2 and count(pg_world, SupervisionOrder) == 2
    for who in (DRC, DRC_HEAD, SUPERVISOR):
        assert len(sent_to(pg_world, who, "deadline.overdue")) == 1 + (who == SUPERVISOR)


def test_two_sweeps_started_together_take_each_step_once(pg_world: Database) -> None:
    issued = [
        a
        for i in range(4)
        for a in dispatch(pg_world, at=MONDAY + i * MINUTE, codes=("drc", "epb"))
    ]
    rules = RULES.at(max(a.due_at for a in issued) + MINUTE)
    start = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        start.wait()
        results.append(pg_world.call(sweep, rules=rules))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert count(pg_world, Deduction) == len(issued)
    assert count(pg_world, SupervisionOrder) == len(issued)
    keys = pg_world.call(lambda s: s.exec(select(OutboxMessage.dedupe_key)).all())
    assert len(keys) == len(set(keys))
    assert len(sent_to(pg_world, SUPERVISOR, "deadline.overdue")) == len(issued)


def test_two_dispatches_of_one_case_at_once_issue_one_order(pg_world: Database) -> None:
    # Two dispatchers (or one update handled twice) at the same moment: the second waits for
    # the first and is told the case is assigned already, rather than a second order or a crash.
    case = submit(pg_world, key="twice")
    case_id = case.id
    dispatcher = actor(pg_world, DISPATCHER)

    def issue(session: Session) -> list[Assignment]:
        return orders.dispatch_case(
            session,
            actor=dispatcher,
            case_id=case_id,
            department_codes=["drc"],
            rules=RULES.at(MONDAY),
        )

    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            pg_world.call(issue)
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    with Session(pg_world.engine) as first:
        issue(first)  # holds the case until it commits
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1)
        first.commit()
    racer.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], InvalidState), outcome
    assert "already assigned" in outcome[0].msgid
    numbers = pg_world.call(
        lambda s: s.exec(select(Assignment.number).where(Assignment.case_id == case_id)).all()
    )
    assert numbers == [f"{case.number}-1"]
