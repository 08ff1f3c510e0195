"""The seed's year replayed through the services reproduces the seed's counts."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from bot.db import Database
from models import Assignment, Case, Deduction, Department, SupervisionOrder
from models.enums import AssignmentStatus, DeductionKind
from services import periods, scores
from tests.rules import RULES
from tests.services import seed_year


def test_the_seed_year_has_the_seeds_counts(demo: Database) -> None:
    year = seed_year.build(demo)

    def counts(session):  # type: ignore[no-untyped-def]
        rows = session.exec(
            select(Case.category, Assignment.status).join(Case, Case.id == Assignment.case_id)
        ).all()
        return Counter(str(c) for c, _ in rows), Counter(str(s) for _, s in rows)

    by_category, by_status = demo.call(counts)
    assert by_category == seed_year.SEED_COUNTS
    assert by_status == {AssignmentStatus.COMPLETED.value: 40}
    orders = demo.call(lambda s: s.exec(select(SupervisionOrder)).all())
    assert [o.id for o in orders] == [year.order.id]
    deductions = demo.call(
        lambda s: s.exec(
            select(Department.code, Deduction.kind, Deduction.points).join(
                Department, Department.id == Deduction.department_id
            )
        ).all()
    )
    assert sorted((c, str(k), p) for c, k, p in deductions) == [
        ("power", DeductionKind.SLOW_ACTION.value, 2.0),
        ("qts", DeductionKind.UNFILED_INSPECTION.value, 2.0),
    ]
    assert str(year.order.status) == "completed"  # met before its own deadline: no veto
    assert year.late is not None and year.late.status == AssignmentStatus.COMPLETED


def test_the_seed_half_year_ranking_has_both_late_departments_at_the_bottom(
    demo: Database,
) -> None:
    year = seed_year.build(demo)
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=RULES)
    by_code = {line.department.code: line for line in board.lines}
    assert by_code["power"].score == by_code["qts"].score == 98.0
    assert by_code["power"].bottom and by_code["qts"].bottom
    assert [line.department.code for line in board.lines if line.bottom][-2:] in (
        ["power", "qts"],
        ["qts", "power"],
    )
    assert sum(line.bottom for line in board.lines) == 3
    assert all(
        line.score == 100.0 for code, line in by_code.items() if code not in ("power", "qts")
    )
    assert not any(line.vetoed for line in board.lines)
    (late,) = by_code["power"].items
    assert year.late is not None and late.assignment == year.late.number  # traceable
    (unfiled,) = by_code["qts"].items
    assert unfiled.inspection_id is not None
