"""The deadline sweep: what is due now, each step once, in order, whatever the downtime."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Assignment
from services.deadlines import escalation, reminders
from services.deadlines.clock import OPEN, due_ids, paused_since, refresh_next_check
from services.dispatch.orders import card_of
from services.rules import Rules

log = logging.getLogger(__name__)
BATCH = 500  # assignments per sweep; the rest are still due at the next one


def _claim(session: Session, ids: list[int]) -> list[Assignment]:
    """Lock the due rows; rows another sweep holds are skipped (PostgreSQL; SQLite serialises)."""
    if not ids:
        return []
    return list(
        session.exec(
            select(Assignment)
            .where(col(Assignment.id).in_(ids))
            .order_by(col(Assignment.id))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
    )


def _advance(
    session: Session, assignment: Assignment, owed: reminders.Owed, *, rules: Rules
) -> int:
    """Every step now due for one assignment, in the order the clocks run."""
    steps = 0
    if assignment.status in OPEN and paused_since(session, assignment) is None:
        card = card_of(session, assignment, rules)
        steps += reminders.ack_reminder(session, assignment, card, owed, rules=rules)
        steps += reminders.plan_reminders(session, assignment, card, owed, rules=rules)
        steps += escalation.overdue(session, assignment, owed.folded, rules=rules)
    steps += escalation.veto(session, assignment, rules=rules)
    refresh_next_check(session, assignment, rules=rules)
    return steps


def _open_transaction(session: Session) -> None:
    """Make the savepoints below nest inside one transaction on SQLite too.

    pysqlite's legacy transaction control sends no BEGIN before a SELECT, so the first
    SAVEPOINT would start the transaction and its RELEASE commit it: an assignment's reminder
    marks would be saved before the digest that carries them is queued, and a crash in between
    would lose those reminders. BEGIN IMMEDIATE opens the transaction first (and takes the
    write lock a sweep needs anyway); pysqlite then commits it with the session.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def sweep(session: Session, *, rules: Rules, limit: int = BATCH) -> int:
    """Perform the due reminders and escalations; returns the number of steps taken."""
    _open_transaction(session)
    now = rules.now()
    owed_reminders = []
    steps = 0
    for assignment in _claim(session, due_ids(session, now=now, limit=limit)):
        owed = reminders.Owed()
        try:
            with session.begin_nested():
                steps += _advance(session, assignment, owed, rules=rules)
        except IntegrityError:
            # Another sweep took these steps first (its marks are unique): leave them to it.
            log.info("assignment %s was swept elsewhere", assignment.id)
            continue
        owed_reminders += owed.reminders
    reminders.send_digests(session, owed_reminders, rules=rules)
    return steps
