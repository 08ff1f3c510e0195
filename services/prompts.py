"""One-question conversations: a button asks for a text (a reason, a result, an answer).

The question is a database draft; the typed answer runs the action and closes the draft in
one transaction, so a refused answer leaves the question open for another try.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from models import Draft
from models.enums import Satisfaction
from services import assignments, cases, confirmation, drafts
from services.errors import InvalidInput
from services.rules import Rules
from services.users import Actor

KIND = "prompt"
drafts.name_draft(KIND, "reply")

# action -> the check run before asking (so a stale button is refused before any typing)
CHECKS: dict[str, Callable[..., Any]] = {
    "return": lambda s, actor, target: assignments.check_action(
        s, actor=actor, assignment_id=target, action="ret"
    ),
    "progress": lambda s, actor, target: assignments.check_action(
        s, actor=actor, assignment_id=target, action="prog"
    ),
    "done": lambda s, actor, target: assignments.check_action(
        s, actor=actor, assignment_id=target, action="done"
    ),
    "ask_a": lambda s, actor, target: assignments.check_action(
        s, actor=actor, assignment_id=target, action="ask"
    ),
    "ask_c": lambda s, actor, target: cases.askable_case(s, actor=actor, case_id=target),
    "decline": lambda s, actor, target: cases.declinable_case(s, actor=actor, case_id=target),
    "answer": lambda s, actor, target: cases.question_for_reply(s, actor=actor, note_id=target),
    "unsat": lambda s, actor, target: confirmation.confirmable_case(s, actor=actor, case_id=target),
}


def ask(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: int,
    rules: Rules,
) -> Any:
    """Check the action is possible now, then open the question; returns the checked record."""
    if action not in CHECKS:
        raise InvalidInput("Unknown choice.")
    record = CHECKS[action](session, actor, target)
    drafts.start(
        session,
        user_id=actor.id,
        kind=KIND,
        step=action,
        data={"target": target, "attachments": []},
        rules=rules,
    )
    return record


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    item: dict[str, str],
    rules: Rules,
) -> int:
    """Attach a file to the pending answer (only a completion takes files)."""
    draft = _draft(session, actor, rules)
    if draft.step != "done":
        raise InvalidInput("Please answer with text.")
    items = [*draft.data.get("attachments", []), item]
    if len(items) > cases.MAX_ATTACHMENTS:
        raise InvalidInput("At most {limit} attachments per case.", limit=cases.MAX_ATTACHMENTS)
    drafts.advance(session, draft, rules=rules, attachments=items)
    return len(items)


def _draft(session: Session, actor: Actor, rules: Rules) -> Draft:
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != KIND:
        raise InvalidInput("Nothing is waiting for an answer from you.")
    return draft


def answer(
    session: Session,
    *,
    actor: Actor,
    text: str,
    idempotency_key: str | None = None,
    rules: Rules,
) -> tuple[str, Any]:
    """Run the pending action with ``text``; returns (action, what the service returned)."""
    draft = _draft(session, actor, rules)
    action, target = draft.step, draft.data["target"]
    files = draft.data.get("attachments", [])
    result: Any
    if action == "return":
        result = assignments.return_assignment(
            session, actor=actor, assignment_id=target, reason=text, rules=rules
        )
    elif action == "progress":
        result = assignments.add_progress(
            session, actor=actor, assignment_id=target, text=text, rules=rules
        )
    elif action == "done":
        result = assignments.complete(
            session,
            actor=actor,
            assignment_id=target,
            result=text,
            attachments=files,
            rules=rules,
        )
    elif action == "ask_a":
        result = cases.ask_enterprise(
            session, actor=actor, assignment_id=target, question=text, rules=rules
        )
    elif action == "ask_c":
        result = cases.ask_enterprise(
            session, actor=actor, case_id=target, question=text, rules=rules
        )
    elif action == "decline":
        result = cases.decline_case(session, actor=actor, case_id=target, reason=text, rules=rules)
    elif action == "answer":
        result = cases.answer_question(
            session,
            actor=actor,
            note_id=target,
            answer=text,
            idempotency_key=idempotency_key,
            rules=rules,
        )
    elif action == "unsat":
        result = confirmation.confirm(
            session,
            actor=actor,
            case_id=target,
            satisfaction=Satisfaction.UNSATISFIED,
            note=text,
            rules=rules,
        )
    else:
        raise InvalidInput("Unknown choice.")
    drafts.finish(session, user_id=actor.id)
    return action, result
