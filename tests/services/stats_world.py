"""A small hand-made October 2026 for the statistics tests; the expected figures are in comments.

Assignments issued in October (A8 cancelled, A9 issued in September):
  A1 drc   permit  JH   signed for in time, completed in time, 2.0 working days
  A2 power utility JH   signed for late, completed late (5.0 working days), order issued 10-17
  A3 power utility HLK  signed for in time, open past its deadline, order issued 10-26 (missed)
  A4 qts   permit  HLK  never signed for (its sign-for time passed), deadline in November
  A5 drc   permit  JH   returned the same day (a return answers in time)
  A6 drc   land    MS   completed once, reopened, open again with a November deadline
  A7 gov   other   MS   completed before its extended deadline, but missed the first one
                        (3.0 working days)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import (
    Assignment,
    Case,
    DeadlineMark,
    Deduction,
    Department,
    Enterprise,
    Park,
    SupervisionOrder,
    User,
)
from models.enums import AssignmentStatus, CaseStatus, Satisfaction, SupervisionStatus
from tests.factories import at, credit_code, eod

NOW = at(2026, 11, 10, 10)


@dataclass
class World:
    session: Session
    reporter: int = 0
    enterprises: dict[str, int] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    assignments: dict[str, Assignment] = field(default_factory=dict)
    count: int = 0

    def case(
        self,
        park: str,
        category: str,
        created: datetime,
        *,
        status: CaseStatus = CaseStatus.DISPATCHED,
        satisfaction: Satisfaction | None = None,
        dispatched: bool = True,
    ) -> Case:
        self.count += 1
        case = Case(
            number=f"C{self.count}",
            enterprise_id=self.enterprises[park],
            park_id=self.session.exec(select(Park).where(Park.code == park)).one().id,  # type: ignore[arg-type]
            reporter_user_id=self.reporter,
            category=category,  # type: ignore[arg-type]
            description="x",
            status=status,
            created_at=created,
            dispatched_at=created if dispatched else None,
            satisfaction=satisfaction,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def assignment(
        self, name: str, case: Case, dept: str, issued: datetime, due: datetime, **values: object
    ) -> Assignment:
        ack_due = issued + timedelta(days=1, hours=8)  # the next day's 18:00 when issued at 10
        a = Assignment(
            number=name,
            case_id=case.id,  # type: ignore[arg-type]
            department_id=self.departments[dept],
            issued_at=issued,
            ack_due_at=values.pop("ack_due_at", ack_due),  # type: ignore[arg-type]
            due_at=due,
            **values,  # type: ignore[arg-type]
        )
        self.session.add(a)
        self.session.flush()
        self.assignments[name] = a
        return a


def build(session: Session) -> World:
    """Write the October world; returns it (commits)."""
    user = User(telegram_id=99_001, display_name="reporter")
    session.add(user)
    session.flush()
    world = World(session=session, reporter=user.id)  # type: ignore[arg-type]
    for n, park in enumerate(session.exec(select(Park).order_by(col(Park.code))).all()):
        e = Enterprise(name=f"E{park.code}", credit_code=credit_code(900 + n), park_id=park.id)  # type: ignore[arg-type]
        session.add(e)
        session.flush()
        world.enterprises[park.code] = e.id  # type: ignore[assignment]
    world.departments = {d.code: d.id for d in session.exec(select(Department)).all()}  # type: ignore[misc]
    _cases_and_assignments(world)
    _orders_and_deductions(world)
    session.commit()
    return world


def _cases_and_assignments(w: World) -> None:
    done, sat, mostly, unsat = (
        AssignmentStatus.COMPLETED,
        Satisfaction.SATISFIED,
        Satisfaction.MOSTLY,
        Satisfaction.UNSATISFIED,
    )
    closed = CaseStatus.CLOSED
    c1 = w.case("JH", "permit", at(2026, 10, 12, 9), status=closed, satisfaction=sat)
    c2 = w.case("JH", "utility", at(2026, 10, 12, 9), status=closed, satisfaction=mostly)
    c3 = w.case("HLK", "utility", at(2026, 10, 20, 9))
    c4 = w.case("HLK", "permit", at(2026, 10, 28, 9))
    c5 = w.case("MS", "land", at(2026, 10, 22, 9), satisfaction=unsat)
    c6 = w.case("MS", "other", at(2026, 10, 15, 9), status=closed)  # confirmed by default
    w.case("JH", "permit", at(2026, 10, 5, 9), status=CaseStatus.DECLINED, dispatched=False)
    w.case("JH", "permit", at(2026, 10, 30, 9), status=CaseStatus.NEW, dispatched=False)
    c9 = w.case("MS", "other", at(2026, 9, 30, 9), status=closed, satisfaction=sat)
    w.assignment(
        "A1", c1, "drc", at(2026, 10, 12, 10), eod(2026, 10, 16), status=done,
        acknowledged_at=at(2026, 10, 12, 11), completed_at=at(2026, 10, 14, 10),
    )  # fmt: skip
    w.assignment(
        "A2", c2, "power", at(2026, 10, 12, 10), eod(2026, 10, 16), status=done,
        acknowledged_at=at(2026, 10, 14, 9), completed_at=at(2026, 10, 19, 10),
    )  # fmt: skip
    w.assignment(
        "A3", c3, "power", at(2026, 10, 20, 10), eod(2026, 10, 23),
        status=AssignmentStatus.ACKNOWLEDGED, acknowledged_at=at(2026, 10, 20, 12),
    )  # fmt: skip
    w.assignment("A4", c4, "qts", at(2026, 10, 28, 10), eod(2026, 11, 20))
    w.assignment(
        "A5", c1, "drc", at(2026, 10, 21, 10), eod(2026, 10, 30),
        status=AssignmentStatus.RETURNED, returned_at=at(2026, 10, 21, 15),
    )  # fmt: skip
    w.assignment(
        "A6", c5, "drc", at(2026, 10, 22, 10), eod(2026, 11, 30),
        status=AssignmentStatus.ACKNOWLEDGED, acknowledged_at=at(2026, 10, 22, 11),
        reopened_count=1,
    )  # fmt: skip
    w.assignment(
        "A7", c6, "gov", at(2026, 10, 15, 10), eod(2026, 10, 25), status=done,
        acknowledged_at=at(2026, 10, 15, 11), completed_at=at(2026, 10, 20, 10),
    )  # fmt: skip
    w.assignment(
        "A8", c4, "gov", at(2026, 10, 28, 10), eod(2026, 11, 20),
        status=AssignmentStatus.CANCELLED,
    )  # fmt: skip
    w.assignment(
        "A9", c9, "drc", at(2026, 9, 30, 10), eod(2026, 10, 12), status=done,
        acknowledged_at=at(2026, 9, 30, 11), completed_at=at(2026, 10, 9, 10),
    )  # fmt: skip


def _orders_and_deductions(w: World) -> None:
    a = w.assignments
    w.session.add(
        DeadlineMark(
            assignment_id=a["A7"].id,  # type: ignore[arg-type]
            clock="done",
            version=1,
            point="missed",
            outcome="done",
            at=at(2026, 10, 19, 18),
        )
    )
    for name, issued, status in (
        ("A2", at(2026, 10, 17, 9), SupervisionStatus.COMPLETED),
        ("A3", at(2026, 10, 26, 9), SupervisionStatus.MISSED),
    ):
        w.session.add(
            SupervisionOrder(
                number=f"{name}-D",
                assignment_id=a[name].id,  # type: ignore[arg-type]
                issued_at=issued,
                due_at=issued,
                status=status,
            )
        )
    deductions = (
        ("power", "slow_action", at(2026, 10, 17, 9), 2, "A2", None),
        ("qts", "unfiled_inspection", at(2026, 11, 3, 9), 2, None, None),
        ("gov", "slow_action", at(2026, 10, 20, 9), 2, "A7", at(2026, 10, 21, 9)),  # revoked
        ("drc", "slow_action", at(2026, 3, 3, 9), 2, None, None),  # first half
    )
    for n, (dept, kind, created, points, number, revoked) in enumerate(deductions):
        w.session.add(
            Deduction(
                department_id=w.departments[dept],
                kind=kind,  # type: ignore[arg-type]
                points=points,
                year=2026,
                half=1 if created.month <= 6 else 2,
                reason=f"{kind} {dept}",
                assignment_id=a[number].id if number else None,
                dedupe_key=f"test:{n}",
                created_at=created,
                revoked_at=revoked,
            )
        )
