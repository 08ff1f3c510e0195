"""Assessment of departments for a half-year or a year: scores, vetoes, the ranking."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import or_, tuple_
from sqlmodel import Session, col, func, select

from models import Assignment, Deduction, Department, SupervisionOrder, User
from models.enums import (
    COUNTY_ROLES,
    DEPARTMENT_ROLES,
    OVERSIGHT_ROLES,
    AssignmentStatus,
    DeductionKind,
)
from services.collation import name_key
from services.errors import InvalidInput, NotAllowed
from services.periods import Period
from services.rules import Rules
from services.users import Actor

# Who sees the whole ranking; a department's people see their own line.
BOARD_ROLES = (*COUNTY_ROLES, *OVERSIGHT_ROLES)
# Marks, not points: a veto rates the department unqualified, incompetence rates a person.
MARKS = (DeductionKind.INACTION_VETO, DeductionKind.INCOMPETENT)
_NOT_OVERDUE = (AssignmentStatus.RETURNED, AssignmentStatus.CANCELLED)


@dataclass(frozen=True)
class Item:
    """One deduction, traceable to what caused it."""

    id: int
    kind: DeductionKind
    points: float
    reason: str
    year: int
    half: int
    assignment: str | None = None  # the assignment order's number
    order: str | None = None  # the supervision order's number
    inspection_id: int | None = None
    person: str | None = None  # who was rated incompetent


@dataclass(frozen=True)
class Line:
    """One department's assessment in the ranking."""

    rank: int  # 1 + how many departments stand better (equals share a rank)
    department: Department
    score: float
    items: tuple[Item, ...]
    overdue: int  # assignments whose deadline in the period passed before completion
    vetoed: bool  # rated unqualified whatever the score
    bottom: bool  # marked as one of the last of the ranking (only if it lost something)
    tied: bool = False  # another department shares this rank

    @property
    def deducted(self) -> float:
        return sum(i.points for i in self.items if i.kind not in MARKS)

    @property
    def lost(self) -> bool:
        """Whether the department lost anything: points, or the veto."""
        return self.vetoed or self.deducted > 0

    @property
    def deductions(self) -> tuple[Item, ...]:
        """What counts against the department (points and the veto), not ratings of people."""
        return tuple(i for i in self.items if i.kind != DeductionKind.INCOMPETENT)

    @property
    def incompetent(self) -> tuple[str, ...]:
        """The people rated incompetent for the year (the liaison and head of a vetoed one)."""
        return tuple(dict.fromkeys(i.person for i in self.items if i.person))


@dataclass(frozen=True)
class Board:
    period: Period
    base: float
    lines: tuple[Line, ...]
    total: int  # departments ranked (a department's people see only their own lines)

    def line_of(self, department_id: int) -> Line | None:
        return next((x for x in self.lines if x.department.id == department_id), None)


def assessment_period(period: Period) -> Period:
    """Only half-years and years are assessed; anything else is refused with a reason."""
    if not period.is_assessment():
        raise InvalidInput(
            "Assessments are by half-year or year: write e.g. 2026H1 or 2026, not {period}.",
            period=period.code,
        )
    return period


def board(session: Session, *, period: Period, rules: Rules) -> Board:
    """Every department's score in the period, ranked: qualified first, by score, then fewer
    overdue assignments; departments equal in all three share a rank (listed by name in
    pinyin order here, in the reader's order by the renderers); vetoed departments last."""
    assessment_period(period)
    base = rules.assessment.base_score
    items = _items(session, period)
    overdue = _overdue(session, period, rules=rules)
    departments = session.exec(select(Department)).all()
    shown = [d for d in departments if d.active or items.get(d.id or 0)]
    lines = []
    for dept in shown:
        found = tuple(items.get(dept.id or 0, ()))
        vetoed = any(i.kind == DeductionKind.INACTION_VETO for i in found)
        points = sum(i.points for i in found if i.kind not in MARKS)
        late = overdue.get(dept.id or 0, 0)
        lines.append(Line(0, dept, base - points, found, late, vetoed, bottom=False))
    lines.sort(key=lambda x: (standing(x), name_key("zh", x.department), x.department.code))
    return Board(
        period=period, base=base, lines=ranked(lines, rules.assessment.bottom), total=len(lines)
    )


def standing(line: Line) -> tuple[bool, float, int]:
    """What ranks a department (smaller is better); equal standings share a rank."""
    return (line.vetoed, -line.score, line.overdue)


def ranked(lines: list[Line], bottom: int) -> tuple[Line, ...]:
    """``lines`` (best first) with their shared ranks and the bottom marks.

    The marks go to the last ``bottom`` departments that lost something, and to every
    department tied with the last of those; a department that lost nothing is never marked.
    """
    standings = [standing(x) for x in lines]
    losers = [n for n, x in enumerate(lines) if x.lost]
    chosen = losers[-bottom:] if bottom > 0 else []
    boundary = standings[chosen[0]] if chosen else None
    out = []
    for n, line in enumerate(lines):
        rank = standings.index(standings[n]) + 1
        tied = standings.count(standings[n]) > 1
        marked = boundary is not None and line.lost and standings[n] >= boundary
        out.append(replace(line, rank=rank, tied=tied, bottom=marked))
    return tuple(out)


def _items(session: Session, period: Period) -> dict[int, list[Item]]:
    """The period's standing deductions by department, oldest first."""
    halves = period.halves()
    query = (
        select(Deduction, Assignment.number, SupervisionOrder.number, User.display_name)
        .outerjoin(Assignment, col(Assignment.id) == Deduction.assignment_id)
        .outerjoin(SupervisionOrder, col(SupervisionOrder.id) == Deduction.supervision_order_id)
        .outerjoin(User, col(User.id) == Deduction.user_id)
        .where(
            col(Deduction.revoked_at).is_(None),
            tuple_(col(Deduction.year), col(Deduction.half)).in_(halves),
        )
        .order_by(col(Deduction.created_at), col(Deduction.id))
    )
    found: dict[int, list[Item]] = defaultdict(list)
    for row, assignment, order, person in session.exec(query).all():
        assert row.id is not None
        found[row.department_id].append(
            Item(
                id=row.id,
                kind=DeductionKind(row.kind),
                points=row.points,
                reason=row.reason,
                year=row.year,
                half=row.half,
                assignment=assignment,
                order=order,
                inspection_id=row.inspection_id,
                person=person if row.kind == DeductionKind.INCOMPETENT else None,
            )
        )
    return found


def _overdue(session: Session, period: Period, *, rules: Rules) -> dict[int, int]:
    """Per department: assignments due in the period (up to now) that were not done in time."""
    start, end = period.bounds(rules.zone)
    until: datetime = min(end, rules.now())
    late = or_(
        col(Assignment.completed_at).is_(None),
        col(Assignment.completed_at) > col(Assignment.due_at),
    )
    query = (
        select(Assignment.department_id, func.count())
        .where(
            col(Assignment.due_at) >= start,
            col(Assignment.due_at) < until,
            col(Assignment.status).not_in(_NOT_OVERDUE),
            late,
        )
        .group_by(col(Assignment.department_id))
    )
    return {dept: count for dept, count in session.exec(query).all()}


def scoreboard(session: Session, *, actor: Actor, period: Period, rules: Rules) -> Board:
    """/scoreboard: the whole ranking for the county's offices, one's own line for a department."""
    whole = board(session, period=period, rules=rules)
    if actor.has(*BOARD_ROLES):
        return whole
    own = actor.department_ids(*DEPARTMENT_ROLES)
    if not own:
        raise NotAllowed(
            "The scoreboard is for supervisors, dispatchers, and departments' liaisons and heads."
        )
    lines = tuple(line for line in whole.lines if line.department.id in own)
    return Board(period=whole.period, base=whole.base, lines=lines, total=whole.total)
