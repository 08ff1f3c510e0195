"""Escalation: a missed deadline (慢作为), the supervision order (督办), a missed order (不作为)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session

from models import Assignment, Case, Deduction, Department, SupervisionOrder, User
from models.enums import DeductionKind, EscalationStage, Role, SupervisionStatus
from services import audit, live, notices, notify
from services.cases import case_facts
from services.deadlines.clock import DONE, MISSED, SUPERVISION, has_order, marks, open_order
from services.deadlines.reminders import mark
from services.dispatch.orders import card_of
from services.messages import deadlines as messages
from services.messages.assignment import liaison_buttons
from services.rules import Rules
from services.users import holders


def _half(month: int) -> int:
    return 1 if month <= 6 else 2


def _miss(session: Session, assignment: Assignment, due: datetime, **extra: Any) -> messages.Miss:
    case = session.get(Case, assignment.case_id)
    assert case is not None
    return messages.Miss(
        number=assignment.number,
        department=session.get(Department, assignment.department_id),
        facts=case_facts(session, case),
        due=due,
        **extra,
    )


def _oversight(session: Session, case: Case) -> list[User]:
    """Dispatchers, supervisors and a major project's efficiency head."""
    return (
        holders(session, Role.DISPATCHER)
        + holders(session, Role.SUPERVISOR)
        + notify.efficiency_head(session, case)
    )


def overdue(session: Session, assignment: Assignment, folded: list[str], *, rules: Rules) -> int:
    """The completion deadline passed: slow action, everyone told, a supervision order."""
    now = rules.now()
    if now < assignment.due_at or MISSED in marks(session, assignment, DONE):
        return 0
    mark(session, assignment, DONE, MISSED, "done", now)
    case = session.get(Case, assignment.case_id)
    assert case is not None
    points = rules.sla(case.category).points_per_miss
    local = rules.calendar.local(assignment.due_at).date()
    session.add(
        Deduction(
            department_id=assignment.department_id,
            kind=DeductionKind.SLOW_ACTION,
            points=points,
            year=local.year,
            half=_half(local.month),
            reason=f"slow action: assignment {assignment.number} missed {local.isoformat()}",
            assignment_id=assignment.id,
            dedupe_key=f"slow:a{assignment.id}:v{assignment.deadline_version}",
            created_at=now,
        )
    )
    assignment.stage = EscalationStage.SLOW
    session.add(assignment)
    audit.record(
        session,
        actor_id=None,
        action="assignment.overdue",
        entity="assignments",
        entity_id=assignment.id,
        data={"points": points, "folded": folded},
        at=now,
    )
    miss = _miss(session, assignment, assignment.due_at, points=points, folded=tuple(folded))
    key = f"asg:{assignment.id}:overdue:v{assignment.deadline_version}"
    dept = assignment.department_id
    liaison_view = partial(messages.overdue, zone=rules.zone, miss=miss)
    notify.tell(
        session,
        notify.liaisons_of(session, dept),
        rules=rules,
        template="deadline.overdue",
        key=key,
        render=lambda lang: liaison_view(lang, buttons=liaison_buttons(lang, assignment)),
    )
    notify.tell(
        session,
        notify.heads_of(session, dept) + _oversight(session, case),
        rules=rules,
        template="deadline.overdue.office",
        key=key + ".office",
        render=liaison_view,
    )
    if has_order(session, assignment):
        pass  # a dispatcher issued one by hand before the sweep came round
    elif rules.supervision_orders == "auto":
        _issue(session, assignment, rules=rules, due=None, actor_id=None)
    else:
        _draft_order(session, assignment, miss, rules=rules)
    # One edit of the liaison's card for the whole step: overdue, and its order if issued.
    live.refresh_assignment_card(session, assignment, rules=rules)
    return 1


def supervision_due(session: Session, assignment: Assignment, *, rules: Rules) -> datetime:
    case = session.get(Case, assignment.case_id)
    assert case is not None
    return rules.calendar.add(rules.now(), rules.sla(case.category).supervision)


def _draft_order(
    session: Session, assignment: Assignment, miss: messages.Miss, *, rules: Rules
) -> None:
    due = supervision_due(session, assignment, rules=rules)
    assert assignment.id is not None
    notify.tell(
        session,
        holders(session, Role.DISPATCHER),
        rules=rules,
        template="deadline.supervision.draft",
        key=f"asg:{assignment.id}:supervision.draft",
        render=partial(
            messages.supervision_draft,
            zone=rules.zone,
            miss=miss,
            assignment_id=assignment.id,
            due=due,
        ),
    )


def issue_order(
    session: Session,
    assignment: Assignment,
    *,
    rules: Rules,
    due: datetime | None,
    actor_id: int | None,
) -> SupervisionOrder:
    """督办单: its own number, a new deadline, sent to the liaison and the head; card edited."""
    order = _issue(session, assignment, rules=rules, due=due, actor_id=actor_id)
    live.refresh_assignment_card(session, assignment, rules=rules)
    return order


def _issue(
    session: Session,
    assignment: Assignment,
    *,
    rules: Rules,
    due: datetime | None,
    actor_id: int | None,
) -> SupervisionOrder:
    """The order itself and the messages announcing it."""
    now = rules.now()
    due = due or supervision_due(session, assignment, rules=rules)
    order = SupervisionOrder(
        number=f"{assignment.number}-D",
        assignment_id=assignment.id,  # type: ignore[arg-type]  # stored rows have an id
        issued_at=now,
        issued_by_user_id=actor_id,
        due_at=due,
    )
    session.add(order)
    session.flush()
    assignment.stage = EscalationStage.SUPERVISED
    session.add(assignment)
    audit.record(
        session,
        actor_id=actor_id,
        action="supervision.issue",
        entity="supervision_orders",
        entity_id=order.id,
        data={"number": order.number, "due_at": due.isoformat()},
        at=now,
    )
    _announce(session, assignment, order, rules=rules, by_hand=actor_id is not None)
    return order


def _announce(
    session: Session,
    assignment: Assignment,
    order: SupervisionOrder,
    *,
    rules: Rules,
    by_hand: bool,
) -> None:
    """The order to the liaison (with buttons), copies to the head (and, when the sweep issued
    it, to the office, which has not seen its number yet), and plain words to the enterprise."""
    due = order.due_at
    office = rules.offices.optimization
    card = card_of(session, assignment, rules)
    key = f"sup:{order.id}:issued"
    dept = assignment.department_id
    case = session.get(Case, assignment.case_id)
    assert case is not None
    shown = partial(
        messages.supervision_issued, zone=rules.zone, order=order.number, due=due, card=card
    )
    notify.tell(
        session,
        notify.liaisons_of(session, dept),
        rules=rules,
        template="deadline.supervision",
        key=key,
        render=partial(shown, office=office),
    )
    notify.tell(
        session,
        notify.heads_of(session, dept) + ([] if by_hand else _oversight(session, case)),
        rules=rules,
        template="deadline.supervision.copy",
        key=key + ".copy",
        render=partial(
            messages.supervision_copy,
            zone=rules.zone,
            order=order.number,
            due=due,
            card=card,
            office=office,
        ),
    )
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="deadline.supervision.enterprise",
        key=key + ".enterprise",
        render=partial(
            messages.supervision_for_enterprise,
            miss=_miss(session, assignment, assignment.due_at, points=0),
            order=order.number,
            due=due,
            zone=rules.zone,
            office=office,
        ),
    )


def _record_inaction(
    session: Session,
    assignment: Assignment,
    order: SupervisionOrder,
    people: list[User],
    *,
    now: datetime,
    rules: Rules,
) -> None:
    """The department's veto for the year, and an incompetence mark for each of its people."""
    local = rules.calendar.local(order.due_at)
    reason = f"inaction: supervision order {order.number} missed"

    def record(kind: DeductionKind, user_id: int | None, key: str) -> None:
        session.add(
            Deduction(
                department_id=assignment.department_id,
                user_id=user_id,
                kind=kind,
                year=local.year,
                half=_half(local.month),
                reason=reason,
                assignment_id=assignment.id,
                supervision_order_id=order.id,
                dedupe_key=key,
                created_at=now,
            )
        )

    record(DeductionKind.INACTION_VETO, None, f"veto:o{order.id}")
    for person in {p.id: p for p in people}.values():
        record(DeductionKind.INCOMPETENT, person.id, f"incompetent:o{order.id}:u{person.id}")


def veto(session: Session, assignment: Assignment, *, rules: Rules) -> int:
    """The supervision order's deadline passed: inaction, a veto and incompetence ratings."""
    now = rules.now()
    order = open_order(session, assignment)
    if order is None or now < order.due_at:
        return 0
    mark(session, assignment, SUPERVISION, MISSED, "done", now)
    order.status = SupervisionStatus.MISSED
    order.missed_at = now
    assignment.stage = EscalationStage.INACTION
    session.add_all([order, assignment])
    year = rules.calendar.local(order.due_at).year
    dept = assignment.department_id
    people = notify.liaisons_of(session, dept) + notify.heads_of(session, dept)
    _record_inaction(session, assignment, order, people, now=now, rules=rules)
    audit.record(
        session,
        actor_id=None,
        action="supervision.missed",
        entity="supervision_orders",
        entity_id=order.id,
        data={"year": year},
        at=now,
    )
    case = session.get(Case, assignment.case_id)
    assert case is not None
    miss = _miss(session, assignment, assignment.due_at, points=0)
    notify.tell(
        session,
        people + _oversight(session, case),
        rules=rules,
        template="deadline.veto",
        key=f"sup:{order.id}:missed",
        render=partial(
            messages.vetoed,
            zone=rules.zone,
            order=order.number,
            miss=miss,
            due=order.due_at,
            year=year,
        ),
    )
    notify.tell(
        session,
        notify.contacts_for(session, case),
        rules=rules,
        template="deadline.veto.enterprise",
        key=f"sup:{order.id}:missed.enterprise",
        render=partial(
            messages.veto_for_enterprise,
            miss=miss,
            order=order.number,
            due=order.due_at,
            zone=rules.zone,
        ),
    )
    notices.send(
        session,
        key=f"veto:sup{order.id}",
        render=partial(
            messages.veto_notice,
            order=order.number,
            miss=miss,
            year=year,
            office=rules.offices.supervisors,
        ),
        rules=rules,
        template="notice.veto",
        told_already=people,
    )
    live.refresh_assignment_card(session, assignment, rules=rules)
    return 1
