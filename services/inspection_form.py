"""The guided /inspect and /inspected forms, step by step, kept as database drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.i18n import N_
from models import Department, Draft, Inspection
from services import drafts, inspections
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.rules import Rules
from services.users import Actor

FILING = "inspect"
REPORT = "inspected"
drafts.name_draft(FILING, N_("inspection filing"))
drafts.name_draft(REPORT, N_("inspection report"))
FILING_STEPS = ("enterprise", "date", "purpose", "inspectors")


def _draft(session: Session, actor: Actor, kind: str, rules: Rules) -> Draft:
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != kind:
        raise InvalidState(
            "This form is no longer open. Send /{command} to start again.", command=kind
        )
    return draft


def start_filing(session: Session, *, actor: Actor, rules: Rules) -> Draft:
    """Begin a filing: the first question is the enterprise."""
    inspections.liaison_department(actor)  # refuses non-liaisons before any typing
    return drafts.start(session, user_id=actor.id, kind=FILING, step="enterprise", rules=rules)


@dataclass(frozen=True)
class FilingStep:
    """After one answer: the next step to ask, or the filed inspection."""

    step: str | None
    filed: Inspection | None = None


def filing_answer(session: Session, *, actor: Actor, text: str, rules: Rules) -> FilingStep:
    """Check and keep one typed answer; the last one files the inspection."""
    draft = _draft(session, actor, FILING, rules)
    text = text.strip()
    if not text:
        raise InvalidInput("Please answer with text.")
    step = draft.step
    if step == "enterprise":
        value = inspections.find_enterprise(session, text).credit_code
    elif step == "date":
        value = inspections.planned_day(text, rules=rules).isoformat()
    elif step == "purpose":
        value = _bounded(text, inspections.MAX_PURPOSE)
    else:
        data = {**draft.data, "inspectors": _bounded(text, inspections.MAX_INSPECTORS)}
        filed = inspections.file_inspection(
            session,
            actor=actor,
            enterprise=data["enterprise"],
            day=inspections.planned_day(data["date"], rules=rules),
            purpose=data["purpose"],
            inspectors=data["inspectors"],
            rules=rules,
        )
        drafts.finish(session, user_id=actor.id)
        return FilingStep(None, filed)
    following = FILING_STEPS[FILING_STEPS.index(step) + 1]
    drafts.advance(session, draft, step=following, rules=rules, **{step: value})
    return FilingStep(following)


def _bounded(text: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidInput("At most {limit} characters, please.", limit=limit)
    return text


def start_report(session: Session, *, actor: Actor, rules: Rules) -> list[Department]:
    """Begin a report: the departments to choose from."""
    if not actor.enterprise_ids():
        raise NotAllowed("Only an enterprise's contact can report an inspection.")
    drafts.start(session, user_id=actor.id, kind=REPORT, step="department", rules=rules)
    return inspections.departments(session)


def report_department(
    session: Session, *, actor: Actor, department: str | int, rules: Rules
) -> Department:
    """The department chosen (button) or typed (code or name); next the date."""
    draft = _draft(session, actor, REPORT, rules)
    if isinstance(department, int):
        dept = session.get(Department, department)
        if dept is None or not dept.active:
            raise InvalidState(
                "This choice is no longer open. Send /{command} to start again.", command=REPORT
            )
    else:
        dept = inspections.find_department(session, department)
    drafts.advance(session, draft, step="date", rules=rules, department_id=dept.id)
    return dept


def report_day(
    session: Session, *, actor: Actor, day: str | int, rules: Rules
) -> inspections.Reported:
    """The date typed, or chosen as days ago (button): the report is made."""
    draft = _draft(session, actor, REPORT, rules)
    if draft.step != "date":
        raise InvalidInput("Please choose the department with the buttons, or type its code.")
    if isinstance(day, int):
        when = inspections.local_today(rules) - timedelta(days=day)
    else:
        when = inspections.happened_day(day, rules=rules)
    reported = inspections.report_inspection(
        session, actor=actor, department=int(draft.data["department_id"]), day=when, rules=rules
    )
    drafts.finish(session, user_id=actor.id)
    return reported
