"""One-question conversations: a button asks for a text (a reason, a result, an answer).

The question is a database draft; the typed answer runs the action and closes the draft in
one transaction, so a refused answer leaves the question open for another try.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.i18n import N_
from models import Assignment, Draft
from models.enums import Satisfaction
from services import assignments, cases, confirmation, drafts, extensions, inspections
from services.errors import InvalidInput
from services.rules import Rules
from services.users import Actor

KIND = "prompt"
drafts.name_draft(KIND, "reply")


@dataclass(frozen=True)
class Answer:
    """What the typed answer brings to the action besides its text."""

    text: str
    files: list[dict[str, str]]
    rules: Rules
    idempotency_key: str | None


@dataclass(frozen=True)
class Action:
    """One prompt action: the check before asking, the question, the service call, the reply."""

    check: Callable[[Session, Actor, int, Rules], Any]  # refuses a stale button before typing
    run: Callable[[Session, Actor, int, Answer], Any]
    question: str  # asked after the button; {number} (or {question} for an answer)
    done: str  # said when the action ran; {number}
    button: str | None = None  # the assignment card's button that asks it, if any
    cancel_line: bool = False  # "(/cancel to stop)" goes on a line of its own


def _check_assignment(button: str) -> Callable[[Session, Actor, int, Rules], Any]:
    return lambda s, actor, target, _rules: assignments.check_action(
        s, actor=actor, assignment_id=target, action=button
    )


def _complete(s: Session, actor: Actor, target: int, a: Answer) -> Any:
    return assignments.complete(
        s,
        actor=actor,
        assignment_id=target,
        result=a.text,
        attachments=a.files,
        rules=a.rules,
    )


def _not_satisfied(s: Session, actor: Actor, target: int, a: Answer) -> Any:
    return confirmation.confirm(
        s,
        actor=actor,
        case_id=target,
        satisfaction=Satisfaction.UNSATISFIED,
        note=a.text,
        rules=a.rules,
    )


def _answer(s: Session, actor: Actor, target: int, a: Answer) -> Any:
    return cases.answer_question(
        s,
        actor=actor,
        note_id=target,
        answer=a.text,
        idempotency_key=a.idempotency_key,
        rules=a.rules,
    )


ASKED = N_("Your question was sent to the enterprise.")
ACTIONS: dict[str, Action] = {
    "return": Action(
        check=_check_assignment("ret"),
        run=lambda s, actor, target, a: assignments.return_assignment(
            s, actor=actor, assignment_id=target, reason=a.text, rules=a.rules
        ),
        question=N_(
            "Why is assignment {number} not your department's? Name the right "
            "department if you know it. (/cancel to stop)"
        ),
        done=N_("Assignment {number} was returned to the dispatcher."),
        button="ret",
    ),
    "progress": Action(
        check=_check_assignment("prog"),
        run=lambda s, actor, target, a: assignments.add_progress(
            s, actor=actor, assignment_id=target, text=a.text, rules=a.rules
        ),
        question=N_("Write the progress note for {number}. (/cancel to stop)"),
        done=N_("Progress note saved."),
        button="prog",
    ),
    "done": Action(
        check=_check_assignment("done"),
        run=_complete,
        question=N_(
            "Describe the result of {number}: what was done for the enterprise. "
            "Send photos or documents first if you have any. (/cancel to stop)"
        ),
        done=N_("Assignment {number} is completed. The enterprise and the office have been told."),
        button="done",
    ),
    "ask_a": Action(
        check=_check_assignment("ask"),
        run=lambda s, actor, target, a: cases.ask_enterprise(
            s, actor=actor, assignment_id=target, question=a.text, rules=a.rules
        ),
        question=N_("Write your question to the enterprise about {number}. (/cancel to stop)"),
        done=ASKED,
        button="ask",
    ),
    "ask_c": Action(
        check=lambda s, actor, target, _rules: cases.askable_case(s, actor=actor, case_id=target),
        run=lambda s, actor, target, a: cases.ask_enterprise(
            s, actor=actor, case_id=target, question=a.text, rules=a.rules
        ),
        question=N_("Write your question to the enterprise about case {number}."),
        done=ASKED,
        cancel_line=True,
    ),
    "decline": Action(
        check=lambda s, actor, target, _rules: cases.declinable_case(
            s, actor=actor, case_id=target
        ),
        run=lambda s, actor, target, a: cases.decline_case(
            s, actor=actor, case_id=target, reason=a.text, rules=a.rules
        ),
        question=N_("Why is case {number} declined? The enterprise will read your reason."),
        done=N_("Case {number} was declined; the enterprise has been told why."),
        cancel_line=True,
    ),
    "answer": Action(
        check=lambda s, actor, target, _rules: cases.question_for_reply(
            s, actor=actor, note_id=target
        ),
        run=_answer,
        question=N_("Your answer to: {question}"),
        done=N_("Your answer was sent."),
    ),
    "unsat": Action(
        check=lambda s, actor, target, _rules: confirmation.confirmable_case(
            s, actor=actor, case_id=target
        ),
        run=_not_satisfied,
        question=N_("What is still wrong with case {number}? Your answer goes to the departments."),
        done=N_("Thank you. Case {number} has been reopened and sent back to the departments."),
    ),
}


def _extend(s: Session, actor: Actor, target: int, a: Answer) -> Any:
    requested, reason = extensions.split_request(a.text)
    extensions.request_extension(
        s, actor=actor, assignment_id=target, requested=requested, reason=reason, rules=a.rules
    )
    return s.get(Assignment, target)


# Deadline changes: extend and pause are asked from the assignment card, deny from the
# office's decision buttons (its target is the request's id).
ACTIONS |= {
    "extend": Action(
        check=lambda s, actor, target, rules: extensions.check_request(
            s, actor=actor, assignment_id=target, rules=rules
        ),
        run=_extend,
        question=N_(
            "Write the new deadline for {number}, then the reason, e.g. "
            "2026-10-20 waiting for the survey report. (/cancel to stop)"
        ),
        done=N_("Your extension request for {number} was sent to the dispatchers."),
        button="ext",
    ),
    "pause": Action(
        check=lambda s, actor, target, rules: extensions.check_pause(
            s, actor=actor, assignment_id=target, rules=rules
        ),
        run=lambda s, actor, target, a: extensions.pause(
            s, actor=actor, assignment_id=target, reason=a.text, rules=a.rules
        ),
        question=N_(
            "What must the enterprise send for {number}? Your question goes to the enterprise "
            "and the clock stops until it answers. (/cancel to stop)"
        ),
        done=N_("The clock of {number} is paused; the enterprise has been asked."),
        button="pause",
    ),
    "deny_ext": Action(
        check=lambda s, actor, target, _rules: extensions.check_decision(
            s, actor=actor, change_id=target
        ),
        run=lambda s, actor, target, a: extensions.deny(
            s, actor=actor, change_id=target, reason=a.text, rules=a.rules
        ),
        question=N_("Why is the extension of {number} denied? The liaison will read your reason."),
        done=N_("The extension of {number} was denied; the liaison has been told why."),
        cancel_line=True,
    ),
}
# A supervisor dismisses a reported inspection (its target is the report's id).
ACTIONS["dismiss_insp"] = Action(
    check=lambda s, actor, target, _rules: inspections.check_dismiss(
        s, actor=actor, inspection_id=target
    ),
    run=lambda s, actor, target, a: inspections.dismiss(
        s, actor=actor, inspection_id=target, reason=a.text, rules=a.rules
    ),
    question=N_("Why is inspection report {number} dismissed? Your reason is recorded."),
    done=N_("Inspection report {number} was dismissed."),
    cancel_line=True,
)
BY_BUTTON = {action.button: name for name, action in ACTIONS.items() if action.button}


def ask(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: int,
    rules: Rules,
) -> Any:
    """Check the action is possible now, then open the question; returns the checked record."""
    if action not in ACTIONS:
        raise InvalidInput("Unknown choice.")
    record = ACTIONS[action].check(session, actor, target, rules)
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
    if action not in ACTIONS:
        raise InvalidInput("Unknown choice.")
    typed = Answer(
        text=text,
        files=draft.data.get("attachments", []),
        rules=rules,
        idempotency_key=idempotency_key,
    )
    result = ACTIONS[action].run(session, actor, target, typed)
    drafts.finish(session, user_id=actor.id)
    return action, result
