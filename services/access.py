"""Who may see and do what with a case or an assignment; checked on every action."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Assignment, Case
from models.enums import COUNTY_ROLES, OVERSIGHT_ROLES, Role
from services.errors import InvalidState, NotAllowed, NotFound
from services.users import Actor


def can_manage(actor: Actor, case: Case) -> bool:
    """Dispatch, decline or question a case: its park's officers, dispatchers, admins."""
    if actor.has(*COUNTY_ROLES):
        return True
    return actor.has(Role.PARK_OFFICER) and case.park_id in actor.park_ids()


def can_view(session: Session, actor: Actor, case: Case) -> bool:
    if can_manage(actor, case) or actor.has(*OVERSIGHT_ROLES):
        return True
    if case.enterprise_id in actor.enterprise_ids():
        return True
    departments = actor.department_ids()
    if not departments:
        return False
    found = session.exec(
        select(Assignment.id).where(
            Assignment.case_id == case.id,
            col(Assignment.department_id).in_(departments),
        )
    ).first()
    return found is not None


def case_by_number(session: Session, actor: Actor, number: str) -> Case:
    """The case the actor named; unknown and invisible cases look the same to them."""
    case = session.exec(select(Case).where(Case.number == number.strip())).first()
    if case is None or not can_view(session, actor, case):
        raise NotFound("There is no case {number} that you can see.", number=number.strip())
    return case


def case_by_id(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or not can_view(session, actor, case):
        raise NotFound("That case does not exist or is not yours to see.")
    return case


def find_case(
    session: Session, actor: Actor, *, case_id: int | None = None, case_number: str | None = None
) -> Case:
    """A case by its database id (from a button) or by its number (typed by a person)."""
    if case_id is not None:
        return case_by_id(session, actor, case_id)
    if case_number is not None:
        return case_by_number(session, actor, case_number)
    raise TypeError("find_case needs case_id or case_number")


def managed_case(
    session: Session, actor: Actor, *, case_id: int | None = None, case_number: str | None = None
) -> Case:
    case = find_case(session, actor, case_id=case_id, case_number=case_number)
    if not can_manage(actor, case):
        raise NotAllowed(
            "Only the park's efficiency office and the optimization office can do this."
        )
    return case


def assignment_by_number(session: Session, actor: Actor, number: str) -> Assignment:
    assignment = session.exec(_BY_NUMBER, params={"number": number.strip()}).first()
    return _visible_assignment(session, actor, assignment, number.strip())


_BY_NUMBER = select(Assignment).where(Assignment.number == sa.bindparam("number"))  # built once


def assignment_by_id(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    return _visible_assignment(session, actor, session.get(Assignment, assignment_id), None)


def find_assignment(
    session: Session,
    actor: Actor,
    *,
    assignment_id: int | None = None,
    assignment_number: str | None = None,
) -> Assignment:
    """An assignment by its database id (from a button) or by its number (typed by a person)."""
    if assignment_id is not None:
        return assignment_by_id(session, actor, assignment_id)
    if assignment_number is not None:
        return assignment_by_number(session, actor, assignment_number)
    raise TypeError("find_assignment needs assignment_id or assignment_number")


def _visible_assignment(
    session: Session, actor: Actor, assignment: Assignment | None, number: str | None
) -> Assignment:
    if assignment is not None:
        case = session.get(Case, assignment.case_id)
        if case is not None and (
            assignment.department_id in actor.department_ids() or can_view(session, actor, case)
        ):
            return assignment
    if number:
        raise NotFound("There is no assignment {number} that you can see.", number=number)
    raise NotFound("That assignment does not exist or is not yours to see.")


def liaison_assignment(session: Session, actor: Actor, assignment: Assignment) -> Assignment:
    """Only the department's liaison acts on an assignment (the liaison may not delegate)."""
    if assignment.department_id not in actor.department_ids(Role.LIAISON):
        raise NotAllowed(
            "Only the liaison of the assigned department can act on assignment {number}.",
            number=assignment.number,
        )
    return assignment


def open_assignment(
    session: Session, actor: Actor, assignment_id: int | None, assignment_number: str | None
) -> Assignment:
    """The liaison's own assignment, still open (issued or signed for)."""
    found = find_assignment(
        session, actor, assignment_id=assignment_id, assignment_number=assignment_number
    )
    assignment = liaison_assignment(session, actor, found)
    if assignment.status not in ("issued", "acknowledged"):
        raise InvalidState("Assignment {number} is no longer open.", number=assignment.number)
    return assignment
