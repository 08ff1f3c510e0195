"""The guided /report conversation, step by step, kept as a database draft."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from models import Draft, Project
from services import cases, drafts
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.rules import Rules
from services.users import Actor

KIND = "report"
drafts.name_draft(KIND, "problem report")


def _draft(session: Session, actor: Actor, rules: Rules) -> Draft:
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != KIND:
        raise InvalidState("This report form is no longer open. Send /report to start again.")
    return draft


def start(session: Session, *, actor: Actor, rules: Rules) -> Draft:
    """Begin a report: the first question is the category."""
    cases.reporter_enterprise(session, actor, None)  # refuses non-contacts before any typing
    return drafts.start(
        session,
        user_id=actor.id,
        kind=KIND,
        step="category",
        data={"attachments": []},
        rules=rules,
    )


def choose_category(
    session: Session, *, actor: Actor, category: str, rules: Rules
) -> tuple[Draft, list[Project]]:
    """Record the category; next the project (if the enterprise has any) or the description."""
    draft = _draft(session, actor, rules)
    chosen = cases.parse_category(category)
    projects = cases.enterprise_projects(session, actor=actor)
    editing = draft.data.get("editing", False)
    if projects and not editing:
        step = "project"
    else:
        step = "summary" if editing else "description"
    draft = drafts.advance(session, draft, step=step, rules=rules, category=chosen.value)
    return draft, projects


def choose_project(session: Session, *, actor: Actor, project_id: int, rules: Rules) -> Draft:
    """Record the project (0 = none)."""
    draft = _draft(session, actor, rules)
    if draft.step != "project":
        raise InvalidState("This choice is no longer open. Send /report to start again.")
    if project_id:
        project = session.get(Project, project_id)
        if project is None or project.enterprise_id not in actor.enterprise_ids():
            raise NotAllowed("That project is not one of your enterprise's projects.")
    step = "summary" if draft.data.get("description") else "description"
    return drafts.advance(session, draft, step=step, rules=rules, project_id=project_id or None)


def set_description(session: Session, *, actor: Actor, text: str, rules: Rules) -> Draft:
    """The description typed at its question; text sent after it, until the user goes on
    (the attachments step), is more of it and is appended."""
    draft = _draft(session, actor, rules)  # locked: quick successive parts are appended in turn
    earlier = draft.data.get("description") or ""
    if draft.step == "attachments" and earlier:
        part = (text or "").strip()
        if not part:
            raise InvalidInput("Please answer the question above first.")
        description = f"{earlier}\n{part}"
        if len(description) > cases.MAX_DESCRIPTION:
            raise InvalidInput(
                "That would make the description {length} characters long; at most {limit} "
                "are accepted. This last message was not added; the {kept} characters before "
                "it are kept. Continue with those, or send a shorter addition.",
                length=len(description),
                limit=cases.MAX_DESCRIPTION,
                kept=len(earlier),
            )
        return drafts.advance(session, draft, rules=rules, description=description)
    if draft.step != "description":
        raise InvalidInput("Please answer the question above first.")
    description = cases.clean_description(text)
    return drafts.advance(session, draft, step="attachments", rules=rules, description=description)


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    item: dict[str, str],
    rules: Rules,
) -> Draft:
    """Keep a photo or document (by Telegram file_id) for the report."""
    draft = _draft(session, actor, rules)
    if draft.step not in ("attachments", "description", "summary"):
        raise InvalidInput("Please answer the question above first.")
    items: list[dict[str, Any]] = list(draft.data.get("attachments", []))
    if len(items) >= cases.MAX_ATTACHMENTS:
        raise InvalidInput("At most {limit} attachments per case.", limit=cases.MAX_ATTACHMENTS)
    items.append(item)
    return drafts.advance(session, draft, rules=rules, attachments=items)


def to_summary(session: Session, *, actor: Actor, rules: Rules) -> Draft:
    draft = _draft(session, actor, rules)
    if not draft.data.get("description") or not draft.data.get("category"):
        raise InvalidInput("Please answer the question above first.")
    return drafts.advance(session, draft, step="summary", rules=rules)


def edit(session: Session, *, actor: Actor, part: str, rules: Rules) -> Draft:
    """Go back to one part of the report; the rest is kept."""
    draft = _draft(session, actor, rules)
    steps = {"cat": "category", "desc": "description", "att": "attachments"}
    if part not in steps:
        raise InvalidInput("Unknown choice.")
    changes: dict[str, Any] = {"editing": part != "att"}
    if part == "att":
        changes["attachments"] = []
    return drafts.advance(session, draft, step=steps[part], rules=rules, **changes)


def submit(session: Session, *, actor: Actor, rules: Rules) -> cases.Submitted:
    """File the case from the draft and close the draft, in one transaction."""
    draft = _draft(session, actor, rules)
    data = draft.data
    if not data.get("description") or not data.get("category"):
        raise InvalidInput("Please answer the question above first.")
    submitted = cases.submit_case(
        session,
        actor=actor,
        category=data["category"],
        description=data["description"],
        project_id=data.get("project_id"),
        attachments=data.get("attachments", []),
        idempotency_key=f"draft:{draft.id}:{draft.created_at.timestamp():.6f}",
        rules=rules,
    )
    drafts.finish(session, user_id=actor.id)
    return submitted


def current_summary(session: Session, *, actor: Actor, rules: Rules) -> dict[str, Any]:
    """What the draft holds, with the project's name, for the summary message."""
    draft = _draft(session, actor, rules)
    data = dict(draft.data)
    project = session.get(Project, data["project_id"]) if data.get("project_id") else None
    data["project_name"] = project.name if project else None
    data["step"] = draft.step
    return data


def cancel(session: Session, *, actor: Actor) -> bool:
    """Abandon the report form; nothing is submitted."""
    return drafts.finish(session, user_id=actor.id)
