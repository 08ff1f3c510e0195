"""Reminders owed by the sweep: the sign-for reminder and the plan before the deadline.

Each point is marked (DeadlineMark) in the transaction that queues its message, so it is sent
once per assignment and deadline version. A person's reminders of one sweep make one digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from models import Assignment, DeadlineMark, User
from models.enums import AssignmentStatus
from scheduler.deadlines import time_left
from scheduler.reminders import due_reminders
from services import outbox
from services.deadlines.clock import ACK, DONE, MISSED, marks, reminder_plan, version
from services.messages import deadlines as messages
from services.messages.assignment import Card
from services.notify import heads_of, liaisons_of
from services.rules import Rules
from services.users import language_of


def mark(
    session: Session, assignment: Assignment, clock: str, point: str, outcome: str, now: datetime
) -> None:
    """Record a point as dealt with; a second sweep doing the same fails on the unique key."""
    session.add(
        DeadlineMark(
            assignment_id=assignment.id,  # type: ignore[arg-type]  # stored rows have an id
            clock=clock,
            version=version(assignment, clock),
            point=point,
            outcome=outcome,
            at=now,
        )
    )
    session.flush()


@dataclass
class Owed:
    """Reminders owed per reader at one sweep, and reminder points folded away per assignment."""

    reminders: list[tuple[User, messages.Reminder]] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)

    def add(self, users: list[User], item: messages.Reminder) -> None:
        self.reminders += [(user, item) for user in users]


def ack_reminder(
    session: Session, assignment: Assignment, card: Card, owed: Owed, *, rules: Rules
) -> int:
    """Not signed for by the ack deadline: remind the liaison, copy the head (once)."""
    now = rules.now()
    if assignment.status != AssignmentStatus.ISSUED or now < assignment.ack_due_at:
        return 0
    if MISSED in marks(session, assignment, ACK):
        return 0
    if now >= assignment.due_at:
        # The completion deadline has passed too: the overdue message says it instead.
        mark(session, assignment, ACK, MISSED, "folded", now)
        owed.folded.append(ACK)
        return 1
    mark(session, assignment, ACK, MISSED, "sent", now)
    left = time_left(rules.calendar, now=now, due_at=assignment.due_at)
    dept = assignment.department_id
    owed.add(liaisons_of(session, dept), messages.Reminder(card, ACK, left))
    owed.add(heads_of(session, dept), messages.Reminder(card, ACK, left, copy=True))
    return 1


def plan_reminders(
    session: Session, assignment: Assignment, card: Card, owed: Owed, *, rules: Rules
) -> int:
    """The category's reminders before the deadline: the latest due one, the older skipped."""
    now = rules.now()
    plan = reminder_plan(session, assignment, rules=rules)
    due = due_reminders(plan, now=now, sent=marks(session, assignment, DONE))
    for point in due.superseded:
        mark(session, assignment, DONE, point.id, "superseded", now)
    for point in due.lost:
        mark(session, assignment, DONE, point.id, "folded", now)
        owed.folded.append(point.id)
    if due.send is None:
        return len(due.superseded) + len(due.lost)
    mark(session, assignment, DONE, due.send.id, "sent", now)
    left = time_left(rules.calendar, now=now, due_at=assignment.due_at)
    dept = assignment.department_id
    owed.add(liaisons_of(session, dept), messages.Reminder(card, DONE, left))
    if due.send.last:
        owed.add(heads_of(session, dept), messages.Reminder(card, DONE, left, copy=True))
    return 1 + len(due.superseded) + len(due.lost)


def send_digests(
    session: Session,
    reminders: list[tuple[User, messages.Reminder]],
    *,
    rules: Rules,
    render: Callable[..., messages.Rendered] = messages.reminders,
) -> int:
    """One message per reader with all of that reader's reminders of this sweep."""
    by_user: dict[int, tuple[User, list[messages.Reminder]]] = {}
    for user, item in reminders:
        if user.id is not None:
            by_user.setdefault(user.id, (user, []))[1].append(item)
    stamp = f"{rules.now().timestamp():.0f}"
    count = 0
    for uid, (user, items) in by_user.items():
        # Two instances sweeping at one instant claim different assignments: the key names them.
        what = ",".join(f"{i.card.assignment.id}{i.clock}" for i in items)
        digest = hashlib.sha256(what.encode()).hexdigest()[:12]
        lang = language_of(user, rules.default_language)
        text, buttons = render(lang, items=items, zone=rules.zone)
        queued = outbox.enqueue(
            session,
            user=user,
            template="deadline.reminder",
            text=text,
            buttons=buttons,
            dedupe_key=f"remind:{stamp}:u{uid}:{digest}",
        )
        count += queued is not None
    return count
