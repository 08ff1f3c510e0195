"""Every figure of services.stats on the hand-made October of stats_world (SQLite, PostgreSQL)."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import Session

from bot.db import Database
from scheduler.calendar import WorkCalendar
from services import periods
from services.errors import NotAllowed
from services.stats import Figures, Rate, compute
from services.stats.report import figures_for, period_of
from services.stats.workdays import working_days
from tests.factories import DISPATCHER, DRC_LIAISON, actor, at
from tests.rules import RULES
from tests.services.stats_world import NOW, build

RULES_NOW = RULES.at(NOW)


@pytest.fixture
def october(db: Database, session: Session) -> Figures:
    build(session)
    return db.call(compute, period=periods.parse("2026-10"), rules=RULES_NOW)


def counts(tally: object) -> tuple[int, ...]:
    return tuple(getattr(tally, n) for n in ("issued", "on_time", "late", "open", "returned"))


def test_assignments_by_state(october: Figures) -> None:
    # A8 is cancelled and A9 was issued in September: neither counts in October.
    assert counts(october.assignments) == (7, 1, 3, 2, 1)


def test_assignments_by_department_category_and_park(october: Figures) -> None:
    by_dept = {code: counts(t) for code, t in october.by_department.items() if t.issued}
    assert by_dept == {
        "drc": (3, 1, 0, 1, 1),
        "power": (2, 0, 2, 0, 0),
        "qts": (1, 0, 0, 1, 0),
        "gov": (1, 0, 1, 0, 0),
    }
    assert {c: t.issued for c, t in october.by_category.items()} == {
        "permit": 3,
        "utility": 2,
        "land": 1,
        "other": 1,
    }
    assert {p: t.issued for p, t in october.by_park.items()} == {"JH": 3, "HLK": 2, "MS": 2}


def test_supervision_orders(october: Figures) -> None:
    assert october.supervision_orders == 2
    assert october.supervision_missed == 1
    assert october.by_department["power"].supervision_orders == 2


def test_on_time_acknowledgement(october: Figures) -> None:
    # A1, A3, A5 (a return in time), A6, A7 answered in time; A2 late; A4 never, time passed.
    assert october.assignments.ack_rate == Rate(5, 7)
    assert october.assignments.ack_rate.percent() == "71.4%"


def test_on_time_completion(october: Figures) -> None:
    # A1 in time; A2 completed late, A3 open past due, A7 missed its first deadline.
    assert october.assignments.completion_rate == Rate(1, 4)
    assert october.by_department["drc"].completion_rate == Rate(1, 1)
    assert october.by_department["power"].completion_rate.percent() == "0.0%"


def test_return_and_reopen(october: Figures) -> None:
    assert october.assignments.return_rate == Rate(1, 7)
    # Completed at least once: A1, A2, A7 and the reopened A6.
    assert october.assignments.reopen_rate == Rate(1, 4)


def test_average_working_days(october: Figures) -> None:
    # A1 Mon 10:00 to Wed 10:00 = 2; A2 Mon 10:00 to the next Mon 10:00 = 5; A7 Thu 10:00 to
    # Tue 10:00 = 3 (the weekend does not count).
    assert october.assignments.completed == 3
    assert october.assignments.average_working_days == pytest.approx(10 / 3)
    assert october.by_department["power"].average_working_days == pytest.approx(5.0)


def test_zones_with_clock_changes_count_working_days_the_same(
    db: Database, october: Figures, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where days are not all 24 hours the instants are looked up in numpy, not by the database.
    module = importlib.import_module("services.stats.compute")  # the package re-exports compute
    monkeypatch.setattr(module, "day_table", lambda *args: None)
    again = db.call(compute, period=periods.parse("2026-10"), rules=RULES_NOW)
    assert again.assignments.completed == 3
    assert again.assignments.average_working_days == pytest.approx(10 / 3)
    for code, tally in october.by_department.items():
        assert again.by_department[code].completed == tally.completed
        assert again.by_department[code].working_days == pytest.approx(tally.working_days)


def test_cases_and_the_12345_rates(october: Figures) -> None:
    cases = october.cases
    assert cases.received == 8
    assert {c: t.received for c, t in october.cases_by_category.items()} == {
        "permit": 4,
        "utility": 2,
        "land": 1,
        "other": 1,
    }
    assert {p: t.received for p, t in october.cases_by_park.items()} == {
        "JH": 4,
        "HLK": 2,
        "MS": 2,
    }
    assert cases.response_rate == Rate(7, 8)  # the new case has no answer yet
    assert cases.resolution_rate == Rate(3, 6)  # closed of dispatched
    # One satisfied, one mostly, one not; the default confirmation is not a rating.
    assert cases.satisfaction_rate == Rate(1.9, 3)
    assert cases.satisfaction_rate.percent() == "63.3%"


def test_deductions_of_a_month_by_their_time(october: Figures) -> None:
    # The revoked one and November's do not count.
    assert [(d.department.code, d.assignment) for d in october.deductions] == [("power", "A2")]
    assert october.deducted_points == 2


def test_year_and_half_count_deductions_by_assessment_half(db: Database, session: Session) -> None:
    build(session)
    year = db.call(compute, period=periods.parse("2026"), rules=RULES_NOW)
    second = db.call(compute, period=periods.parse("2026H2"), rules=RULES_NOW)
    assert [d.department.code for d in year.deductions] == ["drc", "power", "qts"]
    assert [d.department.code for d in second.deductions] == ["power", "qts"]
    assert year.assignments.issued == 8  # A9 (September) too
    assert year.cases.received == 9


def test_a_range_counts_by_local_day(db: Database, session: Session) -> None:
    build(session)
    figures = db.call(compute, period=periods.parse("2026-10-12..2026-10-15"), rules=RULES_NOW)
    assert figures.assignments.issued == 3  # A1, A2, A7
    assert figures.cases.received == 3


def test_an_empty_period_has_no_rates(db: Database) -> None:
    figures = db.call(compute, period=periods.parse("2030-01"), rules=RULES_NOW)
    assert figures.assignments.issued == 0
    assert figures.assignments.completion_rate.value is None
    assert figures.assignments.completion_rate.percent() == "—"
    assert figures.cases.satisfaction_rate.value is None
    assert figures.assignments.average_working_days is None


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_working_days_agree_with_the_calendar(zone: str) -> None:
    # New York: days of 23 and 25 hours where the clocks change.
    calendar = WorkCalendar(tz=zone)
    rng = random.Random(zone)
    starts = [
        at(2026, 1, 1, 0) + timedelta(minutes=rng.randrange(0, 700 * 24 * 60)) for _ in range(300)
    ]
    ends = [s + timedelta(minutes=rng.randrange(-60, 40 * 24 * 60)) for s in starts]
    found = working_days(
        calendar,
        np.array([s.timestamp() for s in starts]),
        np.array([e.timestamp() for e in ends]),
    )
    expected = [
        calendar.working_time(s, e) / timedelta(days=1) for s, e in zip(starts, ends, strict=True)
    ]
    assert list(found) == pytest.approx(expected, abs=1e-9)


def test_only_overseers_get_statistics(demo: Database) -> None:
    period = periods.parse("2026-10")
    figures = demo.call(figures_for, actor=actor(demo, DISPATCHER), period=period, rules=RULES)
    assert figures.period == period
    with pytest.raises(NotAllowed):
        demo.call(figures_for, actor=actor(demo, DRC_LIAISON), period=period, rules=RULES)


def test_no_period_means_this_month_in_the_configured_zone() -> None:
    # 1 November 2026 00:30 in Shanghai is still 31 October in UTC.
    assert period_of(None, rules=RULES.at(at(2026, 11, 1, 0, 30))).code == "2026-11"
    assert period_of(" 2026H1 ", rules=RULES_NOW).code == "2026H1"
