"""The statistics of a period, from a handful of GROUP BY queries (README: "Statistics")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from models import Assignment, Case, DeadlineMark, Deduction, Department, Park, SupervisionOrder
from models.enums import AssignmentStatus, CaseStatus, Satisfaction, SupervisionStatus
from services.deadlines.clock import DONE, MISSED
from services.messages.common import CATEGORY_NAMES
from services.periods import Period
from services.rules import Rules
from services.stats.figures import CaseTally, DeductionLine, Figures, Tally, Unit
from services.stats.workdays import DAY, DayTable, day_table, working_days

OPEN = (AssignmentStatus.ISSUED, AssignmentStatus.ACKNOWLEDGED)
RATINGS = ("satisfied", "mostly", "unsatisfied")


def _core(session: Session) -> Connection:
    """The session's connection: Core rows, without the ORM's per-row loading (a third of the
    time over a year of assignments)."""
    return session.connection()


def _count(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def compute(session: Session, *, period: Period, rules: Rules) -> Figures:
    """Cases, assignments, supervision orders, rates and deductions of ``period``."""
    now = rules.now()
    start, end = period.bounds(rules.zone)
    figures = Figures(period=period, computed_at=now, zone=str(rules.zone))
    figures.departments = _departments(session)
    figures.parks = _parks(session)
    _assignments(session, figures, start=start, end=end, rules=rules)
    _orders(session, figures, start=start, end=end)
    _cases(session, figures, start=start, end=end)
    figures.deductions = _deductions(session, figures, period=period, start=start, end=end)
    return figures


def _departments(session: Session) -> dict[str, Unit]:
    rows = session.exec(select(Department).order_by(col(Department.code))).all()
    return {d.code: Unit(d.code, d.name_zh, d.name_en) for d in rows}


def _parks(session: Session) -> dict[str, Unit]:
    rows = session.exec(select(Park).order_by(col(Park.code))).all()
    return {p.code: Unit(p.code, p.name_zh, p.name_en) for p in rows}


def category_unit(code: str) -> Unit:
    """A category named by the catalog's English id (the renderers translate it)."""
    return Unit(code, CATEGORY_NAMES.get(code, code), CATEGORY_NAMES.get(code, code))


def _in_period(column: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(column >= start, column < end)


def _flag(condition: Any, name: str) -> Any:
    return sa.case((condition, 1), else_=0).label(name)


def _assignment_flags(now: datetime) -> tuple[tuple[Any, ...], Any]:
    """Per assignment, a 0/1 column for each count of a Tally after ``issued``, over the
    assignments joined to their missed marks."""
    a = Assignment
    missed = (
        select(DeadlineMark.assignment_id)
        .where(DeadlineMark.clock == DONE, DeadlineMark.point == MISSED)
        .distinct()
        .subquery()
    )
    status = col(a.status)
    late = sa.or_(
        missed.c.assignment_id.is_not(None),
        sa.and_(status == AssignmentStatus.COMPLETED, col(a.completed_at) > col(a.due_at)),
        sa.and_(status.in_(OPEN), col(a.due_at) < now),
    )
    answered = sa.func.coalesce(a.acknowledged_at, a.returned_at, a.completed_at)
    completed = status == AssignmentStatus.COMPLETED
    conditions = (
        sa.and_(completed, sa.not_(late)),
        sa.and_(status != AssignmentStatus.RETURNED, late),
        sa.and_(status.in_(OPEN), sa.not_(late)),
        status == AssignmentStatus.RETURNED,
        sa.and_(answered.is_not(None), answered <= col(a.ack_due_at)),
        sa.or_(answered.is_not(None), col(a.ack_due_at) < now),
        col(a.returned_at).is_not(None),
        col(a.reopened_count) > 0,
        sa.or_(completed, col(a.reopened_count) > 0),
    )
    flags = tuple(_flag(c, n) for c, n in zip(conditions, TALLY_FIELDS[1:], strict=True))
    return flags, missed


TALLY_FIELDS = (
    "issued",
    "on_time",
    "late",
    "open",
    "returned",
    "ack_on_time",
    "ack_decided",
    "returned_ever",
    "reopened",
    "completed_ever",
)


def _assignments(
    session: Session, figures: Figures, *, start: datetime, end: datetime, rules: Rules
) -> None:
    """The period's assignments per (department, category, park), with their working days to
    completion where the zone's days are all 24 hours long."""
    dialect = session.get_bind().dialect.name
    issued = _epoch(col(Assignment.issued_at), dialect)
    completed = _epoch(col(Assignment.completed_at), dialect)
    in_period = _in_period(col(Assignment.issued_at), start, end)
    done = (in_period, col(Assignment.status) == AssignmentStatus.COMPLETED)
    table = _day_table(session, start, in_period, rules=rules)
    flags, missed = _assignment_flags(rules.now())
    rows = (
        sa.select(
            col(Assignment.department_id).label("department"),
            col(Case.category).label("category"),
            col(Case.park_id).label("park"),
            *flags,
        )
        .select_from(Assignment)
        .join(Case, col(Case.id) == Assignment.case_id)
        .outerjoin(missed, missed.c.assignment_id == Assignment.id)
        .where(in_period, col(Assignment.status) != AssignmentStatus.CANCELLED)
    )
    fields: tuple[str, ...] = TALLY_FIELDS
    if table is not None:
        rows = _with_working_days(rows, table, issued, completed, dialect)
        fields = (*TALLY_FIELDS, "completed", "working_days")
    # The 0/1 values first, then the sums: grouped directly, SQLite sorts every assignment's
    # raw columns (and walks the department index to save part of that sort), which took
    # twice as long. OFFSET 0 keeps the subquery apart (a co-routine; PostgreSQL: a fence).
    each = rows.offset(0).subquery()
    keys = (each.c.department, each.c.category, each.c.park)
    query = sa.select(
        *keys, sa.func.count(), *(sa.func.sum(each.c[name]) for name in fields[1:])
    ).group_by(*keys)
    connection = _core(session)
    with _temporary_days(connection, table):
        grouped = connection.execute(query).all()
    departments, parks = _codes(connection, Department), _codes(connection, Park)
    for dept_id, category, park_id, *counts in grouped:
        values = dict(zip(fields, counts, strict=True))
        seconds = float(values.pop("working_days", 0) or 0)
        tally = Tally(**{name: int(n or 0) for name, n in values.items()})
        tally.working_days = seconds / DAY
        for groups, key in (
            (figures.by_department, departments[dept_id]),
            (figures.by_category, category),
            (figures.by_park, parks[park_id]),
        ):
            groups.setdefault(key, Tally()).add(tally)
        figures.assignments.add(tally)
    if table is None:
        _working_days_numpy(session, figures, issued, completed, done, rules=rules)


def _codes(connection: Connection, unit: type[Department] | type[Park]) -> dict[int | None, str]:
    """Each department's (or park's) code by id."""
    rows = connection.execute(sa.select(col(unit.id), col(unit.code))).all()
    return {id_: code for id_, code in rows}


def _epoch(column: Any, dialect: str) -> Any:
    """An instant as seconds since the epoch, computed by the database (no row objects)."""
    if dialect == "sqlite":  # stored as UTC text; julianday reads it
        return (sa.func.julianday(column) - JULIAN_EPOCH) * 86_400.0
    return sa.cast(sa.extract("epoch", column), sa.Float)


JULIAN_EPOCH = 2440587.5  # julianday('1970-01-01')


def _day_table(
    session: Session, start: datetime, in_period: Any, *, rules: Rules
) -> DayTable | None:
    """The days from the period's first to the last completion of its assignments: a completed
    assignment's issue and completion fall within them when the completion is the later."""
    # One bound, on the stored text: min/max of both instants as epoch seconds took SQLite's
    # julianday on every row (a fifth of a second over a year).
    last = (
        _core(session)
        .execute(sa.select(sa.func.max(col(Assignment.completed_at))).where(in_period))
        .scalar_one()
    )
    if last is None:
        return None
    first = start.timestamp()
    return day_table(rules.calendar, first, max(first, last.timestamp()))


@contextmanager
def _temporary_days(connection: Connection, table: DayTable | None) -> Iterator[None]:
    """The day table as a temporary table with a primary key, for the length of one query
    (SQLite would scan a VALUES list once per assignment)."""
    if table is None:
        yield
        return
    DAYS.drop(connection, checkfirst=True)
    DAYS.create(connection)
    try:
        connection.execute(sa.insert(DAYS), table.rows())
        yield
    finally:
        DAYS.drop(connection)


# Not in the models' metadata: it exists only during one query, on one connection.
DAYS = sa.Table(
    "stats_working_days",
    sa.MetaData(),
    sa.Column("i", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("b", sa.Float),
    sa.Column("w", sa.Float),
    prefixes=["TEMPORARY"],
)


def _with_working_days(
    query: Any, table: DayTable, issued: Any, completed: Any, dialect: str
) -> Any:
    """``query`` with two more columns: completed (0/1), and the working seconds from issue to
    completion, each instant looked up in the day table."""
    on_issue, on_completion = DAYS.alias("issue_day"), DAYS.alias("completion_day")
    relative_s, relative_c = issued - table.origin, completed - table.origin

    def day(relative: Any) -> Any:  # a completed one's instants are within the table
        whole = relative / DAY if dialect == "sqlite" else sa.func.floor(relative / DAY)
        return sa.cast(whole, sa.Integer)

    def until(relative: Any, row: Any) -> Any:
        return row.c.b + row.c.w * (relative - row.c.i * DAY)

    is_done = col(Assignment.status) == AssignmentStatus.COMPLETED
    worked = until(relative_c, on_completion) - until(relative_s, on_issue)
    return (
        query.outerjoin(on_issue, sa.and_(is_done, on_issue.c.i == day(relative_s)))
        .outerjoin(on_completion, sa.and_(is_done, on_completion.c.i == day(relative_c)))
        .add_columns(
            _flag(is_done, "completed"),
            sa.case((sa.and_(is_done, completed > issued), worked), else_=0.0).label(
                "working_days"
            ),
        )
    )


def _add_working_days(figures: Figures, key: tuple[str, str, str], count: int, days: float) -> None:
    dept, category, park = key
    for tally in (
        figures.by_department[dept],
        figures.by_category[category],
        figures.by_park[park],
        figures.assignments,
    ):
        tally.completed += count
        tally.working_days += days


def _working_days_numpy(
    session: Session,
    figures: Figures,
    issued: Any,
    completed: Any,
    where: tuple[Any, ...],
    *,
    rules: Rules,
) -> None:
    """Each completed assignment's two instants, looked up in numpy (zones with clock changes)."""
    query = (
        sa.select(col(Department.code), col(Case.category), col(Park.code), issued, completed)
        .select_from(Assignment)
        .join(Case, col(Case.id) == Assignment.case_id)
        .join(Department, col(Department.id) == Assignment.department_id)
        .join(Park, col(Park.id) == Case.park_id)
        .where(*where)
    )
    rows = _core(session).execute(query).all()
    if not rows:
        return
    depts, categories, parks, starts, ends = zip(*rows, strict=True)
    days = working_days(rules.calendar, np.array(starts, float), np.array(ends, float))
    groups: dict[tuple[str, str, str], int] = {}
    index = np.array(
        [groups.setdefault(key, len(groups)) for key in zip(depts, categories, parks, strict=True)]
    )
    counts = np.bincount(index, minlength=len(groups))
    sums = np.bincount(index, weights=days, minlength=len(groups))
    for key, n in groups.items():
        _add_working_days(figures, key, int(counts[n]), float(sums[n]))


def _orders(session: Session, figures: Figures, *, start: datetime, end: datetime) -> None:
    """Supervision orders issued in the period, per department, category and park (every
    breakdown adds up to the total); and how many were missed."""
    query = (
        sa.select(
            col(Assignment.department_id),
            col(Case.category),
            col(Case.park_id),
            sa.func.count(),
            _count(col(SupervisionOrder.status) == SupervisionStatus.MISSED),
        )
        .select_from(SupervisionOrder)
        .join(Assignment, col(Assignment.id) == SupervisionOrder.assignment_id)
        .join(Case, col(Case.id) == Assignment.case_id)
        .where(_in_period(col(SupervisionOrder.issued_at), start, end))
        .group_by(col(Assignment.department_id), col(Case.category), col(Case.park_id))
    )
    connection = _core(session)
    departments, parks = _codes(connection, Department), _codes(connection, Park)
    for dept_id, category, park_id, issued, missed in connection.execute(query).all():
        for groups, key in (
            (figures.by_department, departments[dept_id]),
            (figures.by_category, category),
            (figures.by_park, parks[park_id]),
        ):
            groups.setdefault(key, Tally()).supervision_orders += int(issued)
        figures.assignments.supervision_orders += int(issued)
        figures.supervision_orders += int(issued)
        figures.supervision_missed += int(missed or 0)


def _cases(session: Session, figures: Figures, *, start: datetime, end: datetime) -> None:
    """Cases received in the period, per category and park, with their answers and ratings."""
    status, rating = col(Case.status), col(Case.satisfaction)
    query = (
        sa.select(
            col(Case.category),
            col(Park.code),
            sa.func.count(),
            _count(sa.or_(col(Case.dispatched_at).is_not(None), status == CaseStatus.DECLINED)),
            _count(col(Case.dispatched_at).is_not(None)),
            _count(status == CaseStatus.DECLINED),
            _count(status == CaseStatus.CLOSED),
            _count(rating == Satisfaction.SATISFIED),
            _count(rating == Satisfaction.MOSTLY),
            _count(rating == Satisfaction.UNSATISFIED),
        )
        .select_from(Case)
        .join(Park, col(Park.id) == Case.park_id)
        .where(_in_period(col(Case.created_at), start, end))
        .group_by(col(Case.category), col(Park.code))
    )
    names = ("received", "responded", "dispatched", "declined", "closed", *RATINGS)
    for category, park, *counts in _core(session).execute(query).all():
        tally = CaseTally(**{n: int(c or 0) for n, c in zip(names, counts, strict=True)})
        figures.cases_by_category.setdefault(category, CaseTally()).add(tally)
        figures.cases_by_park.setdefault(park, CaseTally()).add(tally)
        figures.cases.add(tally)


def _deductions(
    session: Session, figures: Figures, *, period: Period, start: datetime, end: datetime
) -> list[DeductionLine]:
    """Deductions not revoked: by assessment half for a half or a year, else by creation."""
    if period.is_assessment():
        halves: Iterable[tuple[int, int]] = period.halves()
        where = sa.or_(
            *(sa.and_(col(Deduction.year) == y, col(Deduction.half) == h) for y, h in halves)
        )
    else:
        where = _in_period(col(Deduction.created_at), start, end)
    d = Deduction
    rows = (
        _core(session)
        .execute(
            sa.select(
                col(Department.code),
                col(d.kind),
                col(d.points),
                col(d.year),
                col(d.half),
                col(d.reason),
                col(Assignment.number),
                col(d.created_at),
            )
            .select_from(d)
            .join(Department, col(Department.id) == d.department_id)
            .outerjoin(Assignment, col(Assignment.id) == d.assignment_id)
            .where(where, col(d.revoked_at).is_(None))
            .order_by(col(d.created_at), col(d.id))
        )
        .all()
    )
    return [
        DeductionLine(figures.departments[code], kind, points, year, half, reason, number, at)
        for code, kind, points, year, half, reason, number, at in rows
    ]
