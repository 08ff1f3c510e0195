"""Notices (通报): a message to every liaison and head, or to those of chosen departments.

One outbox row per recipient (dedupe key per notice and recipient), so the delivery loop
paces them below Telegram's limits; the unfiled-inspection confirmation (and the veto) send
theirs through :func:`send` too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from models import Department, User
from models.enums import Role
from services import audit, notify
from services.errors import InvalidInput, NotAllowed
from services.messages import notices as messages
from services.notify import Render
from services.rules import Rules
from services.users import Actor, holders

_CODES = re.compile(r"[A-Za-z0-9_-]+(,[A-Za-z0-9_-]*)+")
MAX_TEXT = 3000  # leaves room for the header within Telegram's 4096 characters


def audience(session: Session, department_ids: Sequence[int] | None = None) -> list[User]:
    """Every active liaison and head, or those of ``department_ids``; each person once."""
    people: dict[int, User] = {}
    for role in (Role.LIAISON, Role.HEAD):
        if department_ids is None:
            found = holders(session, role)
        else:
            found = [u for d in department_ids for u in holders(session, role, department_id=d)]
        people.update((u.id, u) for u in found if u.id is not None)
    return sorted(people.values(), key=lambda u: u.id or 0)


def send(
    session: Session,
    *,
    key: str,
    render: Render,
    rules: Rules,
    department_ids: Sequence[int] | None = None,
    template: str = "notice",
    told_already: Collection[User] = (),
) -> int:
    """Queue the notice ``key`` for its audience; how many rows were queued (0 if sent before).

    ``told_already``: people the change itself just told (a vetoed department's liaison and
    head read the veto message); they are not sent the same news twice.
    """
    skip = {u.id for u in told_already}
    return notify.tell(
        session,
        [u for u in audience(session, department_ids) if u.id not in skip],
        rules=rules,
        template=template,
        key=f"notice:{key}",
        render=render,
    )


def departments_named(session: Session, codes: str) -> list[Department]:
    """The active departments of a comma-separated list of codes; unknown ones are named."""
    wanted = [c.strip() for c in codes.replace("，", ",").split(",") if c.strip()]
    active = session.exec(select(Department).where(col(Department.active))).all()
    by_code = {d.code.lower(): d for d in active}
    unknown = [c for c in wanted if c.lower() not in by_code]
    if unknown:
        raise InvalidInput(
            "Unknown department code: {codes}. Known codes: {known}.",
            codes=", ".join(unknown),
            known=", ".join(sorted(d.code for d in active)),
        )
    return list({by_code[c.lower()].id: by_code[c.lower()] for c in wanted}.values())


def split_notice(session: Session, text: str) -> tuple[list[Department] | None, str]:
    """``<codes> <text>`` or ``<text>``: a first word with commas must be all codes; a single
    word is a code only if a department has it (else it begins the text)."""
    first, _, rest = text.strip().partition(" ")
    listed = first.replace("，", ",")
    if rest.strip() and "," in listed and _CODES.fullmatch(listed):
        return departments_named(session, listed), rest.strip()
    known = session.exec(
        select(Department).where(col(Department.active), Department.code == first)
    ).first()
    if known is not None and rest.strip():
        return [known], rest.strip()
    return None, text.strip()


def send_notice(
    session: Session,
    *,
    actor: Actor,
    text: str,
    rules: Rules,
    idempotency_key: str | None = None,
) -> int:
    """A supervisor's /notice: ``[<dept codes>] <text>``; returns how many people it goes to."""
    if not actor.has(Role.SUPERVISOR):
        raise NotAllowed("Only the discipline commission's supervisors can send notices.")
    departments, body = split_notice(session, text)
    if not body:
        raise InvalidInput(
            "Usage: /notice <text> to every liaison and head, or /notice <dept codes> <text>, "
            "e.g. /notice qts,power <text>."
        )
    if len(body) > MAX_TEXT:
        raise InvalidInput("A notice can have at most {limit} characters.", limit=MAX_TEXT)
    ids = [d.id for d in departments if d.id is not None] if departments else None
    event = audit.record(
        session,
        actor_id=actor.id,
        action="notice.send",
        entity="notices",
        entity_id=None,
        data={"text": body, "departments": [d.code for d in departments or []]},
        at=rules.now(),
    )
    session.flush()
    people = audience(session, ids)
    key = idempotency_key or f"audit{event.id}"
    send(
        session,
        key=key,
        render=lambda lang: messages.notice(lang, text=body, office=rules.offices.supervisors),
        rules=rules,
        department_ids=ids,
    )
    event.data = {**(event.data or {}), "recipients": len(people), "key": key}
    session.add(event)
    return len(people)
