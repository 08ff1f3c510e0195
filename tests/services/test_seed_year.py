"""The seed's year replayed through the services reproduces the seed's counts."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from bot.db import Database
from models import Assignment, Case, Deduction, Department, SupervisionOrder
from models.enums import AssignmentStatus, DeductionKind
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
    assert [(c, str(k), p) for c, k, p in deductions] == [
        ("power", DeductionKind.SLOW_ACTION.value, 2.0)
    ]
    assert str(year.order.status) == "completed"  # met before its own deadline: no veto
    assert year.late is not None and year.late.status == AssignmentStatus.COMPLETED
