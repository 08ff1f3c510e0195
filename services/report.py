"""The guided /report conversation, step by step, kept as a database draft."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models import Draft, Project
from models.types import utcnow
from services import cases, drafts
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.users import Actor

KIND = "report"
drafts.name_draft(KIND, "problem report")


def _draft(session: Session, actor: Actor, now: datetime) -> Draft:
    draft = drafts.current(session, user_id=actor.id, now=now)
    if draft is None or draft.kind != KIND:
        raise InvalidState("This report form is no longer open. Send /report to start again.")
    return draft


def start(session: Session, *, actor: Actor, ttl: timedelta, now: datetime | None = None) -> Draft:
    """Begin a report: the first question is the category."""
    now = now or utcnow()
    cases.reporter_enterprise(session, actor, None)  # refuses non-contacts before any typing
    return drafts.start(
        session,
        user_id=actor.id,
        kind=KIND,
        step="category",
        data={"attachments": []},
        ttl=ttl,
        now=now,
    )


def choose_category(
    session: Session, *, actor: Actor, category: str, ttl: timedelta, now: datetime | None = None
) -> tuple[Draft, list[Project]]:
    """Record the category; next the project (if the enterprise has any) or the description."""
    now = now or utcnow()
    draft = _draft(session, actor, now)
    chosen = cases.parse_category(category)
    projects = cases.enterprise_projects(session, actor=actor)
    editing = draft.data.get("editing", False)
    if projects and not editing:
        step = "project"
    else:
        step = "summary" if editing else "description"
    draft = drafts.advance(session, draft, step=step, ttl=ttl, now=now, category=chosen.value)
    return draft, projects


def choose_project(
    session: Session, *, actor: Actor, project_id: int, ttl: timedelta, now: datetime | None = None
) -> Draft:
    """Record the project (0 = none)."""
    now = now or utcnow()
    draft = _draft(session, actor, now)
    if draft.step != "project":
        raise InvalidState("This choice is no longer open. Send /report to start again.")
    if project_id:
        project = session.get(Project, project_id)
        if project is None or project.enterprise_id not in actor.enterprise_ids():
            raise NotAllowed("That project is not one of your enterprise's projects.")
    step = "summary" if draft.data.get("description") else "description"
    return drafts.advance(
        session, draft, step=step, ttl=ttl, now=now, project_id=project_id or None
    )


def set_description(
    session: Session, *, actor: Actor, text: str, ttl: timedelta, now: datetime | None = None
) -> Draft:
    """The description typed at its question; text sent after it, until the user goes on
    (the attachments step), is more of it and is appended."""
    now = now or utcnow()
    draft = _draft(session, actor, now)  # locked: quick successive parts are appended in turn
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
        return drafts.advance(session, draft, ttl=ttl, now=now, description=description)
    if draft.step != "description":
        raise InvalidInput("Please answer the question above first.")
    description = cases.clean_description(text)
    return drafts.advance(
        session, draft, step="attachments", ttl=ttl, now=now, description=description
    )


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    item: dict[str, str],
    ttl: timedelta,
    now: datetime | None = None,
) -> Draft:
    """Keep a photo or document (by Telegram file_id) for the report."""
    now = now or utcnow()
    draft = _draft(session, actor, now)
    if draft.step not in ("attachments", "description", "summary"):
        raise InvalidInput("Please answer the question above first.")
    items: list[dict[str, Any]] = list(draft.data.get("attachments", []))
    if len(items) >= cases.MAX_ATTACHMENTS:
        raise InvalidInput("At most {limit} attachments per case.", limit=cases.MAX_ATTACHMENTS)
    items.append(item)
    return drafts.advance(session, draft, ttl=ttl, now=now, attachments=items)


def to_summary(
    session: Session, *, actor: Actor, ttl: timedelta, now: datetime | None = None
) -> Draft:
    now = now or utcnow()
    draft = _draft(session, actor, now)
    if not draft.data.get("description") or not draft.data.get("category"):
        raise InvalidInput("Please answer the question above first.")
    return drafts.advance(session, draft, step="summary", ttl=ttl, now=now)


def edit(
    session: Session, *, actor: Actor, part: str, ttl: timedelta, now: datetime | None = None
) -> Draft:
    """Go back to one part of the report; the rest is kept."""
    now = now or utcnow()
    draft = _draft(session, actor, now)
    steps = {"cat": "category", "desc": "description", "att": "attachments"}
    if part not in steps:
        raise InvalidInput("Unknown choice.")
    changes: dict[str, Any] = {"editing": part != "att"}
    if part == "att":
        changes["attachments"] = []
    return drafts.advance(session, draft, step=steps[part], ttl=ttl, now=now, **changes)


def submit(session: Session, *, actor: Actor, now: datetime | None = None) -> cases.Submitted:
    """File the case from the draft and close the draft, in one transaction."""
    now = now or utcnow()
    draft = _draft(session, actor, now)
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
        now=now,
    )
    drafts.finish(session, user_id=actor.id)
    return submitted


def current_summary(
    session: Session, *, actor: Actor, now: datetime | None = None
) -> dict[str, Any]:
    """What the draft holds, with the project's name, for the summary message."""
    draft = _draft(session, actor, now or utcnow())
    data = dict(draft.data)
    project = session.get(Project, data["project_id"]) if data.get("project_id") else None
    data["project_name"] = project.name if project else None
    data["step"] = draft.step
    return data


def cancel(session: Session, *, actor: Actor) -> bool:
    """Abandon the report form; nothing is submitted."""
    return drafts.finish(session, user_id=actor.id)
