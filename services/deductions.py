"""Manual deductions by a supervisor (/deduct) and revoking any deduction (/revoke_deduction)."""

from __future__ import annotations

import uuid
from functools import partial

from sqlmodel import Session, select

from models import Deduction, Department
from models.enums import DeductionKind, Role
from services import audit, notify
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from services.messages import scores as messages
from services.rules import Rules
from services.users import Actor

MAX_POINTS = 100.0  # more than a whole base score is a typo


def _supervisor(actor: Actor) -> None:
    if not actor.has(Role.SUPERVISOR):
        raise NotAllowed("Only the discipline commission's supervisors can deduct points.")


def parse_points(text: str) -> float:
    """Points as typed: a positive number with at most one decimal, e.g. 2 or 0.5."""
    try:
        points = round(float(text), 1)
    except (ValueError, OverflowError):  # words, or inf
        points = 0.0
    if not 0 < points <= MAX_POINTS or points != float(text):
        raise InvalidInput("Points must be a number above 0 and at most 100, e.g. 2 or 0.5.")
    return points


def deduct(
    session: Session,
    *,
    actor: Actor,
    department_code: str,
    points: float,
    reason: str,
    rules: Rules,
    key: str | None = None,
) -> tuple[Deduction, Department]:
    """Record a manual deduction in the current half-year; the department's people are told."""
    _supervisor(actor)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("A deduction needs a reason.")
    code = department_code.strip()
    dept = session.exec(select(Department).where(Department.code == code)).first()
    if dept is None or dept.id is None:
        raise NotFound("There is no department {code}.", code=code)
    dedupe = f"manual:{key or uuid.uuid4().hex}"
    found = session.exec(select(Deduction).where(Deduction.dedupe_key == dedupe)).first()
    if found is not None:
        return found, dept  # the same message handled again
    now = rules.now()
    local = rules.calendar.local(now).date()
    row = Deduction(
        department_id=dept.id,
        kind=DeductionKind.MANUAL,
        points=points,
        year=local.year,
        half=1 if local.month <= 6 else 2,
        reason=reason,
        dedupe_key=dedupe,
        created_at=now,
        created_by_user_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="deduction.manual",
        entity="deductions",
        entity_id=row.id,
        data={"department": code, "points": points, "reason": reason},
        at=now,
    )
    _announce(session, row, dept, rules=rules, revoked=False)
    return row, dept


def revoke(
    session: Session, *, actor: Actor, deduction_id: int, reason: str, rules: Rules
) -> Deduction:
    """Take a deduction back (an appeal upheld, a mistake): it no longer counts anywhere."""
    _supervisor(actor)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Revoking a deduction needs a reason.")
    row = session.get(Deduction, deduction_id, with_for_update=True)
    if row is None:
        raise NotFound("There is no deduction #{id}.", id=deduction_id)
    if row.revoked_at is not None:
        raise InvalidState("Deduction #{id} was revoked already.", id=deduction_id)
    now = rules.now()
    row.revoked_at, row.revoked_reason = now, reason
    session.add(row)
    audit.record(
        session,
        actor_id=actor.id,
        action="deduction.revoke",
        entity="deductions",
        entity_id=row.id,
        data={"before": {"revoked_at": None}, "reason": reason},
        at=now,
    )
    dept = session.get(Department, row.department_id)
    assert dept is not None
    _announce(session, row, dept, rules=rules, revoked=True)
    return row


def _announce(
    session: Session, row: Deduction, dept: Department, *, rules: Rules, revoked: bool
) -> None:
    """The department's liaison and head learn of it, each in their language."""
    assert row.id is not None and dept.id is not None
    people = notify.liaisons_of(session, dept.id) + notify.heads_of(session, dept.id)
    notify.tell(
        session,
        people,
        rules=rules,
        template="deduction.revoked" if revoked else "deduction.manual",
        key=f"deduction:{row.id}:{'revoked' if revoked else 'manual'}",
        render=partial(messages.deduction_notice, row=row, department=dept, revoked=revoked),
    )
