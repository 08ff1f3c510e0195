"""The seed's year replayed through the services reproduces the seed's counts."""

from __future__ import annotations

import io
from collections import Counter

import openpyxl
from sqlmodel import select

from bot.db import Database
from bot.i18n import t
from models import Assignment, Case, Deduction, Department, SupervisionOrder
from models.enums import AssignmentStatus, DeductionKind
from services import periods, scores, stats
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
    # Three marks are asked for, but only two departments lost points: nobody at full marks
    # is named among the last (the seed's third was a department this replay does not have).
    assert sum(line.bottom for line in board.lines) == 2
    assert all(
        line.score == 100.0 for code, line in by_code.items() if code not in ("power", "qts")
    )
    assert not any(line.vetoed for line in board.lines)
    (late,) = by_code["power"].items
    assert year.late is not None and late.assignment == year.late.number  # traceable
    (unfiled,) = by_code["qts"].items
    assert unfiled.inspection_id is not None


def test_the_seed_year_statistics_reproduce_the_seeds_figures(demo: Database) -> None:
    seed_year.build(demo)
    figures = demo.call(stats.compute, period=periods.parse("2026"), rules=RULES)
    assert {code: tally.issued for code, tally in figures.by_category.items()} == (
        seed_year.SEED_COUNTS
    )
    assert figures.assignments.issued == 40
    assert figures.assignments.completed == 40
    assert figures.assignments.late == 1  # the power bureau's pole-line relocation
    assert figures.by_department["power"].late == 1
    assert figures.assignments.on_time == 39
    assert figures.supervision_orders == 1
    assert figures.supervision_missed == 0
    assert sorted((d.department.code, d.points) for d in figures.deductions) == [
        ("power", 2.0),
        ("qts", 2.0),
    ]
    assert figures.cases.received == 37  # Kunhao's permit went to four departments at once
    assert figures.cases.closed == figures.cases.satisfied == 37
    # The workbook a reader downloads holds the same deductions.
    book = openpyxl.load_workbook(io.BytesIO(stats.workbook_xlsx(figures, lang="zh")))
    sheet = book[t("zh", "Deductions")]
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[1] in ("power", "qts")]
    assert sorted((row[1], row[3], row[4], row[5]) for row in rows) == [
        ("power", 2, 2026, 1),
        ("qts", 2, 2026, 1),
    ]
