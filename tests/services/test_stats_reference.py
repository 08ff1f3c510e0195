"""compute's grouped queries against a plain Python count over the same random assignments."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.db import Database
from bot.settings import Settings
from models import Assignment, Case, DeadlineMark, SupervisionOrder
from models.enums import AssignmentStatus, SupervisionStatus
from services import periods
from services.deadlines.clock import DONE, MISSED
from services.stats import Figures, compute
from services.stats.figures import CaseTally, Tally
from tests.conftest import _organised, _sqlite_copy
from tests.factories import at
from tests.rules import RULES
from tests.services.stats_world import NOW, World, build

RULES_NOW = RULES.at(NOW)
STATUSES = tuple(AssignmentStatus)
CATEGORIES = ("permit", "utility", "land", "dispute", "other")


def _maybe(
    rng: random.Random, moment: datetime, hours: int, *, surely: bool = False
) -> datetime | None:
    """Some time around ``moment`` (now and then a little before it), or often none."""
    if surely or rng.random() < 0.5:
        return moment + timedelta(minutes=rng.randrange(-60, hours * 60))
    return None


def _random_assignments(world: World, seed: int) -> None:
    """About 120 assignments around October 2026 in every state, some with a missed mark."""
    rng = random.Random(seed)
    parks = sorted(world.enterprises)
    departments = sorted(world.departments)
    for n in range(60):
        issued = at(2026, 9, 25, 0) + timedelta(minutes=rng.randrange(0, 45 * 24 * 60))
        case = world.case(rng.choice(parks), rng.choice(CATEGORIES), issued)
        for k in range(rng.randrange(1, 4)):
            status = rng.choice(STATUSES)
            a = world.assignment(
                f"R{n}-{k}",
                case,
                rng.choice(departments),
                issued,
                issued + timedelta(hours=rng.randrange(1, 20 * 24)),
                ack_due_at=issued + timedelta(hours=rng.randrange(1, 72)),
                status=status,
                acknowledged_at=_maybe(
                    rng, issued, 48, surely=status == AssignmentStatus.ACKNOWLEDGED
                ),
                completed_at=_maybe(
                    rng, issued, 30 * 24, surely=status == AssignmentStatus.COMPLETED
                ),
                returned_at=_maybe(rng, issued, 72, surely=status == AssignmentStatus.RETURNED),
                reopened_count=rng.choice((0, 0, 0, 1, 2)),
            )
            if rng.random() < 0.2:
                for version in range(rng.randrange(1, 3)):  # a missed mark per deadline version
                    world.session.add(
                        DeadlineMark(
                            assignment_id=a.id,  # type: ignore[arg-type]
                            clock=DONE,
                            version=version + 1,
                            point=MISSED,
                            outcome="done",
                            at=issued,
                        )
                    )
    world.session.commit()


def _reference(session: Session, period: periods.Period) -> dict[str, dict[str, Tally]]:
    """The README's definitions, one assignment at a time."""
    start, end = period.bounds(RULES_NOW.zone)
    now, calendar = RULES_NOW.now(), RULES_NOW.calendar
    missed = {
        m.assignment_id
        for m in session.exec(
            select(DeadlineMark).where(DeadlineMark.clock == DONE, DeadlineMark.point == MISSED)
        )
    }
    groups: dict[str, dict[str, Tally]] = {"department": {}, "category": {}, "park": {}}
    for a in session.exec(select(Assignment)).all():
        if not start <= a.issued_at < end or a.status == AssignmentStatus.CANCELLED:
            continue
        case = session.get(Case, a.case_id)
        assert case is not None
        status, is_open = (
            a.status,
            a.status in (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED),
        )
        completed = status == AssignmentStatus.COMPLETED
        late = (
            a.id in missed
            or (completed and a.completed_at is not None and a.completed_at > a.due_at)
            or (is_open and a.due_at < now)
        )
        answered = a.acknowledged_at or a.returned_at or a.completed_at
        one = Tally(
            issued=1,
            on_time=int(completed and not late),
            late=int(status != AssignmentStatus.RETURNED and late),
            open=int(is_open and not late),
            returned=int(status == AssignmentStatus.RETURNED),
            ack_on_time=int(answered is not None and answered <= a.ack_due_at),
            ack_decided=int(answered is not None or a.ack_due_at < now),
            returned_ever=int(a.returned_at is not None),
            reopened=int(a.reopened_count > 0),
            completed_ever=int(completed or a.reopened_count > 0),
            completed=int(completed),
        )
        if completed and a.completed_at is not None:
            one.working_days = calendar.working_time(a.issued_at, a.completed_at) / timedelta(
                days=1
            )
        department = a.department_id
        for kind, key in (
            ("department", department),
            ("category", case.category),
            ("park", case.park_id),
        ):
            groups[kind].setdefault(str(key), Tally()).add(one)
    return groups


def _keyed_by_id(figures: Figures, session: Session) -> dict[str, dict[str, Tally]]:
    from models import Department, Park

    department_ids = {d.code: str(d.id) for d in session.exec(select(Department))}
    park_ids = {p.code: str(p.id) for p in session.exec(select(Park))}
    return {
        "department": {department_ids[k]: v for k, v in figures.by_department.items() if v.issued},
        "category": dict(figures.by_category),
        "park": {park_ids[k]: v for k, v in figures.by_park.items()},
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_grouped_figures_match_a_plain_count(db: Database, session: Session, seed: int) -> None:
    world = build(session)
    _random_assignments(world, seed)
    for text in ("2026-10", "2026"):
        period = periods.parse(text)
        figures = db.call(compute, period=period, rules=RULES_NOW)
        expected = _reference(session, period)
        found = _keyed_by_id(figures, session)
        assert found.keys() == expected.keys()
        for kind, tallies in expected.items():
            assert sorted(found[kind]) == sorted(tallies), kind
            for key, tally in tallies.items():
                got = found[kind][key]
                assert got.working_days == pytest.approx(tally.working_days, abs=1e-9)
                got.working_days = tally.working_days = 0.0
                got.supervision_orders = 0  # counted by the orders' own query
                assert got == tally, (kind, key)


# -- every breakdown adds up to its total (issue 17) ---------------------------------------


def _random_orders(world: World, seed: int, share: float) -> None:
    """Supervision orders on a random ``share`` of the assignments, some of them missed."""
    rng = random.Random(seed)
    ordered = set(world.session.exec(select(SupervisionOrder.assignment_id)).all())
    for n, a in enumerate(world.session.exec(select(Assignment)).all()):
        if a.id not in ordered and rng.random() < share:
            issued = a.due_at + timedelta(hours=rng.randrange(1, 48))
            world.session.add(
                SupervisionOrder(
                    number=f"{a.number}-D{n}",
                    assignment_id=a.id,  # type: ignore[arg-type]
                    issued_at=issued,
                    due_at=issued + timedelta(days=2),
                    status=rng.choice(tuple(SupervisionStatus)),
                )
            )
    world.session.commit()


def _sums(groups: dict[str, Tally]) -> Tally:
    total = Tally()
    for tally in groups.values():
        total.add(tally)
    return total


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10**6), share=st.sampled_from([0.0, 0.1, 0.5]))
def test_every_breakdown_adds_up_to_its_total(
    _migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[..., Settings],
    seed: int,
    share: float,
) -> None:
    url = _sqlite_copy(_migrated_sqlite, tmp_path_factory.mktemp("stats") / "world.db")
    database = _organised(url, settings_factory)
    try:
        with Session(database.engine) as session:
            world = build(session)
            _random_assignments(world, seed)
            _random_orders(world, seed, share)
        for text in ("2026-10", "2026H2", "2026"):
            figures = database.call(compute, period=periods.parse(text), rules=RULES_NOW)
            for groups in (figures.by_department, figures.by_category, figures.by_park):
                summed, total = _sums(groups), figures.assignments
                # Sums of fractions of days differ in the last bits by the order of adding.
                assert summed.working_days == pytest.approx(total.working_days, rel=1e-12)
                summed.working_days = total.working_days
                assert summed == total, text
            assert figures.assignments.supervision_orders == figures.supervision_orders
            for cases in (figures.cases_by_category, figures.cases_by_park):
                total = CaseTally()
                for tally in cases.values():
                    total.add(tally)
                assert total == figures.cases, text
    finally:
        database.dispose()
