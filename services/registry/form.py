"""The guided registration of an enterprise and its projects in chat (a Draft)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.i18n import N_
from models import MAJOR_PROJECT_YUAN, Draft, Park, User
from models.enums import COUNTY_ROLES
from services import callbacks, drafts
from services.errors import InvalidInput, InvalidState
from services.onboarding import find_park
from services.registry.records import (
    Choice,
    ProjectInfo,
    Registered,
    allowed_park,
    allowed_parks,
    check_new_credit_code,
    create_enterprise,
    create_project,
    head_candidates,
    park_choice,
    person_choice,
    require_office,
)
from services.registry.values import clean_name, parse_flag, parse_investment
from services.rules import Rules
from services.users import Actor

DRAFT_KIND = "enterprise"
MAX_PROJECTS = 30
drafts.name_draft(DRAFT_KIND, N_("enterprise registration"))

# Steps of the guided registration, in order; "more" asks for another project or finish.
NAME, CREDIT, PARK, PROJECT, INVESTMENT, KEY, HEAD, MORE = (
    "name",
    "credit",
    "park",
    "project",
    "investment",
    "key",
    "head",
    "more",
)
DONE, CANCELLED = "done", "cancelled"
STALE = callbacks.STALE_TEXT


@dataclass(frozen=True)
class Prompt:
    """Where the guided registration stands, with what the next question needs."""

    step: str
    name: str | None = None
    credit_code: str | None = None
    park: Choice | None = None
    auto_park: bool = False  # chosen without asking: the officer's only park
    projects: tuple[ProjectInfo, ...] = ()
    current: ProjectInfo | None = None  # the project being entered
    parks: tuple[Choice, ...] = ()  # for the park step
    heads: tuple[Choice, ...] = ()  # for the efficiency-head step
    registered: Registered | None = None  # when done


# -- the guided registration (a Draft of kind "enterprise") --------------------------------


def begin_registration(session: Session, *, actor: Actor, rules: Rules) -> Prompt:
    """Start a guided registration (replacing whatever the user had half-done)."""
    require_office(actor)
    if not allowed_parks(session, actor):
        raise InvalidState("No park is assigned to you yet; ask the county optimization office.")
    drafts.start(session, user_id=actor.id, kind=DRAFT_KIND, step=NAME, rules=rules)
    return Prompt(step=NAME)


def registration_prompt(session: Session, *, actor: Actor, rules: Rules) -> Prompt:
    """The question the guided registration is waiting on (to ask again after bad input)."""
    return _prompt(session, actor, _draft(session, actor, rules))


def registration_text(session: Session, *, actor: Actor, text: str, rules: Rules) -> Prompt:
    """Apply typed ``text`` to the current step; bad input raises and leaves the draft as it was."""
    require_office(actor)
    draft = _draft(session, actor, rules)
    data = dict(draft.data)
    text = text.strip()
    if not text:
        raise InvalidInput("Please answer with text.")
    step = draft.step
    if step == NAME:
        return _advance(session, actor, draft, CREDIT, rules, name=clean_name(text))
    if step == CREDIT:
        code = check_new_credit_code(session, text)
        return _after_credit(session, actor, draft, rules, code)
    if step == PARK:
        park = find_park(session, text)
        # Stored rows have an id; SQLModel types it int | None.
        return _choose_park(session, actor, draft, rules, park.id)  # type: ignore[arg-type]
    if step in (PROJECT, MORE):
        name = _project_name(data, text)
        return _advance(session, actor, draft, INVESTMENT, rules, current={"name": name})
    if step == INVESTMENT:
        current = {**data["current"], "investment": parse_investment(text)}
        return _advance(session, actor, draft, KEY, rules, current=current)
    if step == KEY:
        return _set_key(session, actor, draft, rules, parse_flag(text))
    if step == HEAD:
        raise InvalidInput("Please choose with the buttons.")
    raise InvalidState(STALE)


def registration_button(
    session: Session,
    *,
    actor: Actor,
    action: str,
    value: str = "",
    rules: Rules,
) -> Prompt:
    """Apply a pressed button; one that does not fit the current step is refused as stale."""
    require_office(actor)
    draft = _draft(session, actor, rules)
    step = draft.step
    if action == "cancel":
        drafts.finish(session, user_id=actor.id)
        return Prompt(step=CANCELLED)
    if action == "park" and step == PARK:
        return _choose_park(session, actor, draft, rules, _int(value))
    if action == "key" and step == KEY and value in ("0", "1"):
        return _set_key(session, actor, draft, rules, value == "1")
    if action == "head" and step == HEAD:
        return _set_head(session, actor, draft, rules, _int(value))
    if action == "add" and step == MORE:
        return _advance(session, actor, draft, PROJECT, rules)
    if action == "finish" and step in (PROJECT, MORE):
        return _finish(session, actor, draft, rules.now())
    raise InvalidState(STALE)


def _int(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise InvalidState(STALE)
    return int(value)


def _draft(session: Session, actor: Actor, rules: Rules) -> Draft:
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != DRAFT_KIND:
        raise InvalidState("No registration is in progress. Send /enterprise to start one.")
    return draft


def _advance(
    session: Session,
    actor: Actor,
    draft: Draft,
    step: str,
    rules: Rules,
    **changes: Any,
) -> Prompt:
    draft = drafts.advance(session, draft, step=step, rules=rules, **changes)
    return _prompt(session, actor, draft)


def _after_credit(session: Session, actor: Actor, draft: Draft, rules: Rules, code: str) -> Prompt:
    allowed = allowed_parks(session, actor)
    if len(allowed) == 1 and not actor.has(*COUNTY_ROLES):
        # A park officer registers in their own park: no need to ask.
        return _advance(
            session,
            actor,
            draft,
            PROJECT,
            rules,
            credit_code=code,
            park_id=allowed[0].id,
            auto_park=True,
        )
    return _advance(session, actor, draft, PARK, rules, credit_code=code)


def _choose_park(
    session: Session, actor: Actor, draft: Draft, rules: Rules, park_id: int
) -> Prompt:
    park = allowed_park(session, actor, park_id)
    return _advance(session, actor, draft, PROJECT, rules, park_id=park.id, auto_park=False)


def _project_name(data: dict[str, Any], text: str) -> str:
    name = clean_name(text)
    projects = data.get("projects", [])
    if any(p["name"] == name for p in projects):
        raise InvalidInput("The project {name} is already on the list.", name=name)
    if len(projects) >= MAX_PROJECTS:
        raise InvalidInput("That is enough projects for one registration; press Finish.")
    return name


def _set_key(session: Session, actor: Actor, draft: Draft, rules: Rules, is_key: bool) -> Prompt:
    current = {**draft.data["current"], "is_key": is_key}
    if current["investment"] >= MAJOR_PROJECT_YUAN and head_candidates(
        session, park_id=draft.data["park_id"]
    ):
        return _advance(session, actor, draft, HEAD, rules, current=current)
    return _add_project(session, actor, draft, rules, current)


def _set_head(session: Session, actor: Actor, draft: Draft, rules: Rules, user_id: int) -> Prompt:
    current = dict(draft.data["current"])
    if user_id:
        candidates = {u.id for u in head_candidates(session, park_id=draft.data["park_id"])}
        if user_id not in candidates:
            raise InvalidState(STALE)
        current["head_user_id"] = user_id
    return _add_project(session, actor, draft, rules, current)


def _add_project(
    session: Session,
    actor: Actor,
    draft: Draft,
    rules: Rules,
    current: dict[str, Any],
) -> Prompt:
    projects = [*draft.data.get("projects", []), current]
    draft = drafts.advance(session, draft, step=MORE, rules=rules, projects=projects, current=None)
    return _prompt(session, actor, draft)


def _finish(session: Session, actor: Actor, draft: Draft, now: datetime) -> Prompt:
    """Create the enterprise and its projects together, re-checking what may have changed."""
    data = draft.data
    park = allowed_park(session, actor, data["park_id"])
    code = check_new_credit_code(session, data["credit_code"])
    enterprise = create_enterprise(
        session,
        actor_id=actor.id,
        name=data["name"],
        credit_code=code,
        park=park,
        now=now,
        source="chat",
    )
    # Stored rows have an id; SQLModel types it int | None.
    candidates = {u.id for u in head_candidates(session, park_id=park.id)}  # type: ignore[arg-type]
    infos: list[ProjectInfo] = []
    for item in data.get("projects", []):
        head_id = item.get("head_user_id")
        if head_id is not None and head_id not in candidates:
            raise InvalidState(
                "The chosen efficiency head of {name} is no longer a park officer of this park.",
                name=item["name"],
            )
        create_project(
            session,
            actor_id=actor.id,
            enterprise=enterprise,
            name=item["name"],
            investment_yuan=item["investment"],
            is_key=item["is_key"],
            head_user_id=head_id,
            now=now,
            source="chat",
        )
        infos.append(_project_info(session, item))
    drafts.finish(session, user_id=actor.id)
    assert enterprise.id is not None
    registered = Registered(
        id=enterprise.id,
        name=enterprise.name,
        credit_code=code,
        park=park_choice(park),
        projects=tuple(infos),
    )
    return Prompt(step=DONE, registered=registered)


def _project_info(session: Session, item: dict[str, Any]) -> ProjectInfo:
    head = session.get(User, item["head_user_id"]) if item.get("head_user_id") else None
    return ProjectInfo(
        name=item["name"],
        investment_yuan=item.get("investment"),
        is_key=item.get("is_key"),
        head=(head.display_name or f"#{head.id}") if head else None,
    )


def _prompt(session: Session, actor: Actor, draft: Draft) -> Prompt:
    data = draft.data
    park = session.get(Park, data["park_id"]) if data.get("park_id") else None
    projects = tuple(_project_info(session, item) for item in data.get("projects", []) if item)
    current = data.get("current")
    prompt = Prompt(
        step=draft.step,
        name=data.get("name"),
        credit_code=data.get("credit_code"),
        park=park_choice(park) if park else None,
        auto_park=bool(data.get("auto_park")),
        projects=projects,
        current=_project_info(session, current) if current else None,
    )
    if draft.step == PARK:
        choices = tuple(park_choice(p) for p in allowed_parks(session, actor))
        return replace(prompt, parks=choices)
    if draft.step == HEAD and park is not None:
        # Stored rows have an id; SQLModel types it int | None.
        people = head_candidates(session, park_id=park.id)  # type: ignore[arg-type]
        return replace(prompt, heads=tuple(person_choice(u) for u in people))
    return prompt
