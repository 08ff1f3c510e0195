"""The dispatch form: choose departments and a deadline, then issue (a database draft)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models import Assignment, Department, Draft
from scheduler.calendar import DeadlineError
from services import drafts
from services.deadline_input import refusal
from services.dispatch import orders
from services.errors import InvalidInput, InvalidState
from services.rules import Rules
from services.users import Actor

KIND = "dispatch"
drafts.name_draft(KIND, "dispatch")


@dataclass(frozen=True)
class Form:
    """What the dispatch keyboard shows."""

    options: orders.DispatchOptions
    selected: list[str]
    due_at: datetime  # the chosen deadline, or the category's default
    custom_due: bool
    step: str  # "choose" or "deadline" (waiting for a typed deadline)


def _form(
    session: Session,
    actor: Actor,
    draft: Draft,
    rules: Rules,
) -> Form:
    options = orders.dispatch_options(
        session, actor=actor, case_id=draft.data["case_id"], rules=rules
    )
    due = draft.data.get("due_at")
    return Form(
        options=options,
        selected=list(draft.data.get("selected", [])),
        due_at=datetime.fromisoformat(due) if due else options.default_due,
        custom_due=bool(due),
        step=draft.step,
    )


def _parse_deadline(rules: Rules, text: str) -> datetime:
    """What a dispatcher typed as a deadline, or a refusal that shows the accepted forms."""
    try:
        return rules.calendar.parse_deadline(text, now=rules.now())
    except DeadlineError as exc:
        raise refusal(exc) from None


def _draft(session: Session, actor: Actor, case_id: int, rules: Rules) -> Draft:
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != KIND or draft.data.get("case_id") != case_id:
        raise InvalidState(
            "This dispatch form is no longer open. Press Dispatch on the case again."
        )
    return draft


def open_form(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    rules: Rules,
) -> Form:
    """Start dispatching a case with the category's default departments pre-selected."""
    options = orders.dispatch_options(session, actor=actor, case_id=case_id, rules=rules)
    draft = drafts.start(
        session,
        user_id=actor.id,
        kind=KIND,
        step="choose",
        data={"case_id": options.case.id, "selected": options.preselected},
        rules=rules,
    )
    return _form(session, actor, draft, rules)


def toggle(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    department_id: int,
    rules: Rules,
) -> Form:
    draft = _draft(session, actor, case_id, rules)
    dept = session.get(Department, department_id)
    if dept is None or not dept.active:
        raise InvalidInput("Unknown choice.")
    selected = list(draft.data.get("selected", []))
    if dept.code in selected:
        selected.remove(dept.code)
    else:
        selected.append(dept.code)
    draft = drafts.advance(session, draft, step="choose", rules=rules, selected=selected)
    return _form(session, actor, draft, rules)


def ask_deadline(session: Session, *, actor: Actor, case_id: int, rules: Rules) -> None:
    """The next text from this user is the deadline."""
    drafts.advance(session, _draft(session, actor, case_id, rules), step="deadline", rules=rules)


def set_deadline(
    session: Session,
    *,
    actor: Actor,
    text: str | None,
    case_id: int | None = None,
    rules: Rules,
) -> Form:
    """A typed deadline (5wd, 3天, 12-15 ...), or None for the category's default."""
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    stale = case_id is not None and draft is not None and draft.data.get("case_id") != case_id
    if draft is None or draft.kind != KIND or stale:
        raise InvalidState(
            "This dispatch form is no longer open. Press Dispatch on the case again."
        )
    due = _parse_deadline(rules, text).isoformat() if text is not None else None
    draft = drafts.advance(session, draft, step="choose", rules=rules, due_at=due)
    return _form(session, actor, draft, rules)


def issue(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    rules: Rules,
) -> list[Assignment]:
    """Issue the assignments chosen on the form and close it."""
    draft = _draft(session, actor, case_id, rules)
    form = _form(session, actor, draft, rules)
    issued = orders.dispatch_case(
        session,
        actor=actor,
        case_id=case_id,
        department_codes=form.selected,
        due_at=form.due_at if form.custom_due else None,
        rules=rules,
    )
    drafts.finish(session, user_id=actor.id)
    return issued


def close(session: Session, *, actor: Actor, case_id: int, rules: Rules) -> None:
    """Cancel the open dispatch form; nothing is issued."""
    _draft(session, actor, case_id, rules)
    drafts.finish(session, user_id=actor.id)


def dispatch_now(
    session: Session,
    *,
    actor: Actor,
    case_number: str,
    department_codes: list[str],
    deadline: str | None,
    rules: Rules,
) -> list[Assignment]:
    """The one-line /dispatch: departments and an optional typed deadline."""
    due = _parse_deadline(rules, deadline) if deadline else None
    return orders.dispatch_case(
        session,
        actor=actor,
        case_number=case_number,
        department_codes=department_codes,
        due_at=due,
        rules=rules,
    )
