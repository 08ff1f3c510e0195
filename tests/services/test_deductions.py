"""Manual deductions by a supervisor and revoking deductions: recorded, audited, announced."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.db import Database
from models import AuditEvent, Deduction
from models.enums import DeductionKind
from services import deductions, periods, scores
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.rules import Rules
from tests.factories import DISPATCHER, DRC_LIAISON, actor, at, templates_for

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="manual deductions and revokes are plain ORM writes by one writer",
)

SUPERVISOR, DRC_HEAD, EPB_LIAISON = 4001, 3101, 3003
NOW = at(2026, 9, 14)


def drc_score(db: Database, rules: Rules) -> float:
    board = db.call(scores.board, period=periods.parse("2026H2"), rules=rules)
    line = next(x for x in board.lines if x.department.code == "drc")
    return line.score


def audit_actions(db: Database) -> list[str]:
    return db.call(
        lambda s: list(
            s.exec(
                select(AuditEvent.action)
                .where(col(AuditEvent.entity) == "deductions")
                .order_by(col(AuditEvent.id))
            ).all()
        )
    )


def test_a_supervisor_deducts_and_revokes(demo: Database, rules: Rules) -> None:
    now = rules.at(NOW)
    row, dept = demo.call(
        deductions.deduct,
        actor=actor(demo, SUPERVISOR),
        department_code="drc",
        points=2.5,
        reason="材料反复退回",
        rules=now,
        key="msg:1:1",
    )
    assert (row.kind, row.points, row.year, row.half) == (DeductionKind.MANUAL, 2.5, 2026, 2)
    assert dept.code == "drc" and drc_score(demo, now) == 97.5
    assert templates_for(demo, DRC_LIAISON) == ["deduction.manual"]
    assert templates_for(demo, DRC_HEAD) == ["deduction.manual"]
    assert templates_for(demo, EPB_LIAISON) == []
    # The same message handled again records nothing more.
    again, _ = demo.call(
        deductions.deduct,
        actor=actor(demo, SUPERVISOR),
        department_code="drc",
        points=2.5,
        reason="材料反复退回",
        rules=now,
        key="msg:1:1",
    )
    assert again.id == row.id
    assert demo.call(lambda s: len(s.exec(select(Deduction)).all())) == 1

    assert row.id is not None
    revoked = demo.call(
        deductions.revoke,
        actor=actor(demo, SUPERVISOR),
        deduction_id=row.id,
        reason="申诉成立",
        rules=now,
    )
    assert revoked.revoked_at == NOW and revoked.revoked_reason == "申诉成立"
    assert drc_score(demo, now) == 100
    assert templates_for(demo, DRC_HEAD) == ["deduction.manual", "deduction.revoked"]
    assert "申诉成立" in demo.call(lambda s: s.exec(select(AuditEvent.data)).all()[-1]["reason"])
    assert audit_actions(demo) == ["deduction.manual", "deduction.revoke"]
    with pytest.raises(InvalidState):
        demo.call(
            deductions.revoke,
            actor=actor(demo, SUPERVISOR),
            deduction_id=row.id,
            reason="x",
            rules=now,
        )


def test_only_supervisors_deduct_or_revoke(demo: Database, rules: Rules) -> None:
    for who in (DISPATCHER, DRC_LIAISON):
        with pytest.raises(NotAllowed):
            demo.call(
                deductions.deduct,
                actor=actor(demo, who),
                department_code="drc",
                points=2,
                reason="x",
                rules=rules.at(NOW),
            )
        with pytest.raises(NotAllowed):
            demo.call(
                deductions.revoke, actor=actor(demo, who), deduction_id=1, reason="x", rules=rules
            )


def test_refusals(demo: Database, rules: Rules) -> None:
    boss = actor(demo, SUPERVISOR)
    with pytest.raises(NotFound):
        demo.call(
            deductions.deduct, actor=boss, department_code="nope", points=2, reason="x", rules=rules
        )
    with pytest.raises(InvalidInput):
        demo.call(
            deductions.deduct, actor=boss, department_code="drc", points=2, reason=" ", rules=rules
        )
    with pytest.raises(NotFound):
        demo.call(deductions.revoke, actor=boss, deduction_id=999, reason="x", rules=rules)


@pytest.mark.parametrize("text", ["0", "-1", "abc", "2.25", "101", "inf", "nan"])
def test_points_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        deductions.parse_points(text)


@pytest.mark.parametrize(("text", "value"), [("2", 2.0), ("0.5", 0.5), ("100", 100.0)])
def test_points_read(text: str, value: float) -> None:
    assert deductions.parse_points(text) == value
