"""The seed's year, built through the services: 40 assignments, one supervision order.

DOMAIN.md: 25 permits, 6 water and power, 2 land, 3 disputes, 4 other; the power bureau late
once (the Yaodu Avenue North pole-line relocation), which brought the year's one supervision
order; every assignment completed; and the quality supervision bureau's unfiled inspection
(it sampled Kunhao's products without filing first), confirmed by the supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.db import Database
from models import Assignment, Case, Department, SupervisionOrder, User
from models.enums import Satisfaction
from services import assignments, cases, confirmation, inspections
from services.deadlines.sweep import sweep
from services.dispatch import orders
from services.rules import Rules
from services.users import Actor, load_actor
from tests.factories import at
from tests.rules import RULES

CONTACT, DISPATCHER, SUPERVISOR = 1001, 2002, 4001
LIAISON = {
    "gov": 3001,
    "drc": 3002,
    "epb": 3003,
    "egov": 3004,
    "power": 3005,
    "water": 3006,
    "police": 3007,
    "land": 3008,
}
# (category, departments) per case: Kunhao's permit to four departments, then one each.
PERMITS = [("permit", ("gov", "drc", "epb", "egov"))] + [
    ("permit", (code,)) for code in ["drc", "epb", "gov", "egov", "land", "water", "police"] * 3
]
UTILITIES = [("utility", (code,)) for code in ["power", "water", "power", "water", "power"]]
LATE = ("utility", ("power",))  # the pole-line relocation: late once
LAND = [("land", ("land",)), ("land", ("land",))]
DISPUTES = [("dispute", ("police",)), ("dispute", ("gov",)), ("dispute", ("police",))]
OTHER = [("other", ("gov",)), ("other", ("drc",)), ("other", ("egov",)), ("other", ("epb",))]
PLAN = PERMITS + UTILITIES + LAND + DISPUTES + OTHER
SEED_COUNTS = {"permit": 25, "utility": 6, "land": 2, "dispute": 3, "other": 4}


@dataclass
class Year:
    """What was built: the cases and the late assignment, for the tests' own checks."""

    cases: list[Case] = field(default_factory=list)
    late: Assignment | None = None
    order: SupervisionOrder | None = None


def _actor(db: Database, telegram_id: int) -> Actor:
    def load(session: Session) -> Actor:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        return load_actor(session, user)

    return db.call(load)


def _liaison(db: Database, assignment: Assignment) -> Actor:
    code = db.call(lambda s: s.get(Department, assignment.department_id).code)
    return _actor(db, LIAISON[code])


def _handle(
    db: Database, category: str, codes: tuple[str, ...], when: datetime, rules: Rules
) -> tuple[Case, list[Assignment]]:
    """Report, dispatch, sign for (within the hour) and return the fresh assignments."""
    submitted = db.call(
        cases.submit_case,
        actor=_actor(db, CONTACT),
        category=category,
        description=f"{category} 诉求 {when.isoformat()}",
        idempotency_key=f"seed:{when.isoformat()}",
        rules=rules.at(when),
    )
    issued = db.call(
        orders.dispatch_case,
        actor=_actor(db, DISPATCHER),
        case_id=submitted.case.id,
        department_codes=list(codes),
        rules=rules.at(when + timedelta(minutes=10)),
    )
    for a in issued:
        db.call(
            assignments.acknowledge,
            actor=_liaison(db, a),
            assignment_id=a.id,
            rules=rules.at(when + timedelta(minutes=40)),
        )
    return submitted.case, issued


def _finish(db: Database, case: Case, issued: list[Assignment], when: datetime, rules: Rules):
    for a in issued:
        db.call(
            assignments.complete,
            actor=_liaison(db, a),
            assignment_id=a.id,
            result="已办结",
            rules=rules.at(when),
        )
    db.call(
        confirmation.confirm,
        actor=_actor(db, CONTACT),
        case_id=case.id,
        satisfaction=Satisfaction.SATISFIED,
        rules=rules.at(when + timedelta(hours=1)),
    )


def build(db: Database, *, rules: Rules = RULES) -> Year:
    """The year's 40 assignments, one case a working day from Monday 2026-03-02, all done."""
    year = Year()
    day = at(2026, 3, 2, 9)
    for category, codes in PLAN:
        case, issued = _handle(db, category, codes, day, rules)
        _finish(db, case, issued, day + timedelta(hours=4), rules)
        year.cases.append(case)
        day = _next_working(day, rules)
    case, issued = _handle(db, *LATE, day, rules)
    late = issued[0]
    past_due = late.due_at + timedelta(minutes=5)
    db.call(sweep, rules=rules.at(past_due))  # overdue: 2 points off, the supervision order
    _finish(db, case, issued, past_due + timedelta(hours=2), rules)
    db.call(sweep, rules=rules.at(past_due + timedelta(days=30)))  # nothing else is due
    year.cases.append(case)
    year.late = db.call(lambda s: s.get(Assignment, late.id))
    year.order = db.call(
        lambda s: s.exec(
            select(SupervisionOrder).where(SupervisionOrder.assignment_id == late.id)
        ).one()
    )
    _unfiled_inspection(db, at(2026, 4, 15, 10), rules)
    return year


def _unfiled_inspection(db: Database, when: datetime, rules: Rules) -> None:
    """Kunhao reports the quality bureau's visit of the day before; nobody had filed it."""
    reported = db.call(
        inspections.report_inspection,
        actor=_actor(db, CONTACT),
        department="qts",
        day=(when - timedelta(days=1)).astimezone(rules.zone).date(),
        rules=rules.at(when),
    )
    assert not reported.matched
    db.call(
        inspections.confirm_unfiled,
        actor=_actor(db, SUPERVISOR),
        inspection_id=reported.inspection.id,
        rules=rules.at(when + timedelta(hours=2)),
    )


def _next_working(day: datetime, rules: Rules) -> datetime:
    """09:00 local on the next working day."""
    local = day.astimezone(rules.zone)
    following = local + timedelta(days=1)
    while not rules.calendar.is_workday(following.date()):
        following += timedelta(days=1)
    return following.astimezone(day.tzinfo)
