"""Notices (通报): a message to every liaison and head, or to those of chosen departments.

A supervisor names the addressees explicitly (``all``/``全体``, or departments by code or
name); a word that names no department is refused, never taken to mean everyone. The notice is
held as a draft and shown with its recipients until the supervisor presses Send or Cancel.

One outbox row per recipient (dedupe key per notice and recipient), so the delivery loop
paces them below Telegram's limits; the unfiled-inspection confirmation (and the veto) send
theirs through :func:`send` too.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import Department, User
from models.enums import Role
from services import audit, drafts, notify
from services.errors import InvalidInput, InvalidState, NotAllowed
from services.messages import notices as messages
from services.notify import Render
from services.rules import Rules
from services.users import Actor, holders

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


# The first word of /notice that addresses every liaison and head (lower case).
EVERYONE = frozenset({"all", "everyone", "全体", "全部", "所有"})
_SEPARATORS = re.compile(r"[,，、;；]+")
DRAFT_KIND = "notice"


@dataclass(frozen=True)
class Recipients:
    """Who a notice reaches, by department (people who hold two roles counted once)."""

    departments: tuple[tuple[Department, int], ...]  # each addressed department, its people
    everyone: bool  # addressed to every department, not chosen ones
    count: int  # different people

    @property
    def unreached(self) -> tuple[Department, ...]:
        """Addressed departments with no liaison or head to read it yet."""
        return tuple(d for d, people in self.departments if not people)


@dataclass(frozen=True)
class Preview:
    """A notice checked and held until its sender presses Send or Cancel."""

    token: str  # names this preview in its buttons (draft ids are reused on SQLite)
    text: str
    recipients: Recipients


def _active(session: Session) -> list[Department]:
    departments = session.exec(select(Department).where(col(Department.active))).all()
    return sorted(departments, key=lambda d: d.code)


def departments_named(session: Session, words: str) -> list[Department]:
    """The departments a comma- or 、-separated list names: each by its code, its Chinese
    or English name, or a part of a name that only one department's name contains."""
    active = _active(session)
    found: dict[int, Department] = {}
    for raw in _SEPARATORS.split(words):
        word = raw.strip().casefold()
        if not word:
            continue
        exact = [
            d
            for d in active
            if word in (d.code.casefold(), d.name_zh.casefold(), d.name_en.casefold())
        ]
        partial = exact or [
            d for d in active if word in d.name_zh.casefold() or word in d.name_en.casefold()
        ]
        if not partial:
            raise InvalidInput(
                "No department is called “{word}”. Departments: {known}. To send to every "
                "department, write /notice all <text>.",
                word=raw.strip(),
                known=messages.department_list(active),
            )
        if len(partial) > 1:
            raise InvalidInput(
                "“{word}” could be any of {names}: write the department's code.",
                word=raw.strip(),
                names=messages.department_list(partial),
            )
        department = partial[0]
        found.setdefault(department.id or 0, department)
    return list(found.values())


def recipients(session: Session, departments: Sequence[Department] | None) -> Recipients:
    """Who a notice to ``departments`` (None: every department) reaches."""
    addressed = list(departments) if departments is not None else _active(session)
    by_department = []
    for department in addressed:
        people = audience(session, [department.id] if department.id is not None else [])
        by_department.append((department, len(people)))
    ids = None if departments is None else [d.id for d in addressed if d.id is not None]
    return Recipients(
        departments=tuple(by_department),
        everyone=departments is None,
        count=len(audience(session, ids)),
    )


def _parse(session: Session, text: str) -> tuple[list[Department] | None, str]:
    """``<whom> <text>``: ``all`` (全体) or the departments, then the notice itself."""
    whom, body = [*re.split(r"\s+", text.strip(), maxsplit=1), "", ""][:2]
    body = body.strip()
    if not whom or not body:
        raise InvalidInput(
            "Usage: /notice <whom> <text>. Whom: all (全体) for every department, or "
            "departments by code or name, separated by commas, e.g. /notice {example} <text>. "
            "Departments: {known}.",
            example=",".join(d.code for d in _active(session)[:2]) or "all",
            known=messages.department_list(_active(session)),
        )
    if whom.casefold() in EVERYONE:
        return None, body
    return departments_named(session, whom), body


def prepare_notice(session: Session, *, actor: Actor, text: str, rules: Rules) -> Preview:
    """A supervisor's /notice, checked and held for Send or Cancel; nothing is sent yet."""
    _authorize(actor)
    departments, body = _parse(session, text)
    if len(body) > MAX_TEXT:
        raise InvalidInput("A notice can have at most {limit} characters.", limit=MAX_TEXT)
    token = secrets.token_urlsafe(9)
    data = {
        "text": body,
        "departments": None if departments is None else [d.id for d in departments],
        "token": token,
    }
    drafts.start(session, user_id=actor.id, kind=DRAFT_KIND, step="preview", data=data, rules=rules)
    return Preview(token=token, text=body, recipients=recipients(session, departments))


@dataclass(frozen=True)
class Decision:
    """What became of a held notice: sent (to how many), or cancelled."""

    sent: bool
    recipients: Recipients
    text: str


def decide_notice(
    session: Session, *, actor: Actor, token: str, send: bool, rules: Rules
) -> Decision:
    """Send or cancel the notice previewed as ``token``; it must be the actor's current one."""
    _authorize(actor)
    draft = drafts.current(session, user_id=actor.id, rules=rules)
    if draft is None or draft.kind != DRAFT_KIND or draft.data.get("token") != token:
        raise InvalidState(
            "This notice was already sent, cancelled or replaced by a newer one, or it waited "
            "too long. Nothing more was sent; write /notice again if needed."
        )
    body = str(draft.data["text"])
    ids = draft.data.get("departments")
    departments = None
    if ids is not None:
        departments = [d for d in _active(session) if d.id in ids]
    drafts.finish(session, user_id=actor.id)
    who = recipients(session, departments)
    if send:
        _send_now(session, actor=actor, body=body, departments=departments, rules=rules)
    return Decision(sent=send, recipients=who, text=body)


def _authorize(actor: Actor) -> None:
    if not actor.has(Role.SUPERVISOR):
        raise NotAllowed("Only the discipline commission's supervisors can send notices.")


def _send_now(
    session: Session,
    *,
    actor: Actor,
    body: str,
    departments: Sequence[Department] | None,
    rules: Rules,
) -> int:
    ids = [d.id for d in departments if d.id is not None] if departments is not None else None
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
    key = f"audit{event.id}"
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
