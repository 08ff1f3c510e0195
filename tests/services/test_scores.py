"""The assessment on hand-computed data: scores, revoked deductions, vetoes, ties, bottom three."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from models import Assignment, Deduction, Department, User
from models.enums import AssignmentStatus, DeductionKind
from services import periods, scores
from services.errors import InvalidInput, NotAllowed
from services.rules import Rules
from tests.factories import DISPATCHER, DRC_LIAISON, WANG, actor, at, dispatched

NOW = at(2026, 7, 15)
H1_ORDER = ["housing", "police", "gov", "water", "epb", "egov", "qts", "power", "drc", "land"]
YEAR_ORDER = ["housing", "police", "gov", "water", "egov", "epb", "qts", "power", "drc", "land"]
LAND_LIAISON, DRC_HEAD = 3008, 3101


def _ids(session: Session) -> dict[str, int]:
    return {d.code: d.id for d in session.exec(select(Department)).all() if d.id is not None}


def _user(session: Session, telegram_id: int) -> User:
    return session.exec(select(User).where(User.telegram_id == telegram_id)).one()


def _deduct(session: Session, dept: int, kind: DeductionKind, points: float, **kw: object) -> None:
    key = f"test:{dept}:{kind}:{points}:{kw.get('half', 1)}:{kw.get('user_id')}"
    values = {"year": 2026, "half": 1, "reason": f"{kind} test", **kw}
    session.add(
        Deduction(department_id=dept, kind=kind, points=points, dedupe_key=key, **values)  # type: ignore[arg-type]
    )


def arrange(db: Database, rules: Rules) -> dict[str, Assignment]:
    """Power late once (and still open), qts and epb on time, land vetoed; see the module."""
    _, (late,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("power",))
    _, (in_time,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("water",))
    _, (returned,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("drc",))

    def add(session: Session) -> None:
        ids = _ids(session)
        done = session.get(Assignment, in_time.id)
        assert done is not None
        done.status, done.completed_at = (
            AssignmentStatus.COMPLETED,
            done.due_at - timedelta(hours=1),
        )
        back = session.get(Assignment, returned.id)
        assert back is not None
        back.status = AssignmentStatus.RETURNED
        session.add_all([done, back])
        _deduct(session, ids["power"], DeductionKind.SLOW_ACTION, 2, assignment_id=late.id)
        _deduct(session, ids["qts"], DeductionKind.UNFILED_INSPECTION, 2)
        _deduct(session, ids["drc"], DeductionKind.MANUAL, 3)
        _deduct(session, ids["drc"], DeductionKind.MANUAL, 5, revoked_at=NOW, revoked_reason="x")
        _deduct(session, ids["epb"], DeductionKind.SLOW_ACTION, 2, half=2)
        _deduct(session, ids["land"], DeductionKind.SLOW_ACTION, 2)
        _deduct(session, ids["land"], DeductionKind.INACTION_VETO, 0)
        for person in (LAND_LIAISON, DRC_HEAD):  # the head is anyone's, for the listing
            user = _user(session, person)
            _deduct(session, ids["land"], DeductionKind.INCOMPETENT, 0, user_id=user.id)

    db.call(add)
    return {"late": late}


@pytest.fixture
def arranged(demo: Database, rules: Rules) -> dict[str, Assignment]:
    return arrange(demo, rules)


def test_half_year_scores_ties_veto_and_bottom_three(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=rules.at(NOW))
    assert [x.department.code for x in board.lines] == H1_ORDER
    assert [x.rank for x in board.lines] == list(range(1, 11))
    by = {x.department.code: x for x in board.lines}
    assert by["housing"].score == 100 and by["epb"].score == 100  # H2's deduction not counted
    assert by["drc"].score == 97  # the revoked 5 points do not count
    assert (by["qts"].score, by["qts"].overdue) == (98, 0)
    assert by["water"].overdue == 0  # its completed assignment was on time
    assert (by["power"].score, by["power"].overdue) == (98, 1)  # the tie goes to qts
    assert by["drc"].overdue == 0  # a returned assignment is not late
    land = by["land"]
    assert land.vetoed and land.score == 98 and land.rank == 10
    assert land.incompetent == ("杨联络员", "钱局长")
    assert [x.department.code for x in board.lines if x.bottom] == ["power", "drc", "land"]
    slow = by["power"].items[0]
    assert slow.assignment == arranged["late"].number and slow.points == 2
    assert by["power"].deducted == 2 and land.deducted == 2


def test_year_adds_both_halves(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    board = demo.call(scores.board, period=periods.parse("2026"), rules=rules.at(NOW))
    assert [x.department.code for x in board.lines] == YEAR_ORDER
    by = {x.department.code: x for x in board.lines}
    assert by["epb"].score == 98 and by["epb"].items[0].half == 2
    other = demo.call(scores.board, period=periods.parse("2026H2"), rules=rules.at(NOW))
    by2 = {x.department.code: x for x in other.lines}
    assert by2["epb"].score == 98 and by2["power"].score == 100 and not by2["land"].vetoed


def test_base_score_is_configurable(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    import dataclasses

    custom = dataclasses.replace(
        rules.at(NOW), assessment=dataclasses.replace(rules.assessment, base_score=60, bottom=1)
    )
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=custom)
    by = {x.department.code: x for x in board.lines}
    assert by["drc"].score == 57
    assert [x.department.code for x in board.lines if x.bottom] == ["land"]


@pytest.mark.parametrize("text", ["2026-06", "2026-01-01..2026-03-31"])
def test_only_half_years_and_years_are_assessed(demo: Database, rules: Rules, text: str) -> None:
    with pytest.raises(InvalidInput):
        demo.call(scores.board, period=periods.parse(text), rules=rules.at(NOW))


def test_who_sees_what(demo: Database, rules: Rules, arranged: dict[str, Assignment]) -> None:
    period, now = periods.parse("2026H1"), rules.at(NOW)
    whole = demo.call(scores.scoreboard, actor=actor(demo, DISPATCHER), period=period, rules=now)
    assert len(whole.lines) == whole.total == 10
    own = demo.call(scores.scoreboard, actor=actor(demo, DRC_LIAISON), period=period, rules=now)
    assert [(x.department.code, x.rank) for x in own.lines] == [("drc", 9)] and own.total == 10
    head = demo.call(scores.scoreboard, actor=actor(demo, DRC_HEAD), period=period, rules=now)
    assert [x.department.code for x in head.lines] == ["drc"]
    with pytest.raises(NotAllowed):
        demo.call(scores.scoreboard, actor=actor(demo, WANG), period=period, rules=now)
