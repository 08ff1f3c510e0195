"""Cards stay current: a message that shows a state is edited wherever it was shown.

A state-showing message is sent under a live key (``asg:<id>:card``, ``case:<id>:new``,
``case:<id>:confirm``); the worker records where it landed (LiveMessage). A change of that
state queues, in the same transaction, one "edit" outbox row per chat showing it. Callers:
services (buttons and commands) and the deadline engine's sweep when it changes a stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import partial

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Assignment, Case, LiveMessage, OutboxMessage, User
from models.enums import OutboxStatus, Role
from services import outbox
from services.facts import card_of, case_attachments, case_facts
from services.messages import assignment as assignment_messages
from services.messages import case as case_messages
from services.messages import confirmation as confirmation_messages
from services.messages.common import Rendered
from services.rules import Rules
from services.users import holders, language_of

RenderFor = Callable[[User, str], Rendered]


def card_key(assignment_id: int) -> str:
    return f"asg:{assignment_id}:card"


def announcement_key(case_id: int) -> str:
    return f"case:{case_id}:new"


def form_key(case_id: int) -> str:
    return f"case:{case_id}:form"


def confirm_key(case_id: int) -> str:
    return f"case:{case_id}:confirm"


def remember(session: Session, *, live_key: str, chat_id: int, message_id: int) -> None:
    """An interactive reply shows the state of ``live_key``: later changes edit it too."""
    outbox.remember(session, live_key=live_key, chat_id=chat_id, message_id=message_id)


def showing(session: Session, live_key: str) -> list[int]:
    """The chats showing ``live_key``: delivered, or still on their way (edited after)."""
    found = session.execute(_SHOWING, {"showing_key": live_key}).scalars()
    return sorted(set(found))


_LIVE: sa.Table = LiveMessage.__table__  # type: ignore[attr-defined]
_OUTBOX: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
# One query, built once: it runs for every card a change refreshes.
_SHOWING = sa.union_all(
    sa.select(_LIVE.c.chat_id).where(_LIVE.c.live_key == sa.bindparam("showing_key")),
    sa.select(_OUTBOX.c.chat_id).where(
        _OUTBOX.c.live_key == sa.bindparam("showing_key"),
        _OUTBOX.c.kind == "send",
        _OUTBOX.c.status == OutboxStatus.PENDING.value,
    ),
)


def refresh(
    session: Session,
    *,
    live_key: str,
    template: str,
    rules: Rules,
    render: RenderFor,
    skip_chats: Sequence[int] = (),
) -> int:
    """Queue an edit of every message showing ``live_key``; how many were queued."""
    chats = [c for c in showing(session, live_key) if c not in skip_chats]
    if not chats:
        return 0
    people = session.exec(select(User).where(col(User.telegram_id).in_(chats))).all()
    stamp = f"{rules.now().timestamp():.6f}"
    edits = []
    for user in people:
        text, buttons = render(user, language_of(user, rules.default_language))
        # The content is part of the key: two changes in one instant are two edits, and
        # the same change refreshed twice is one.
        digest = hashlib.sha1(repr((text, buttons)).encode()).hexdigest()[:10]
        edits.append((user, text, buttons, f"edit:{live_key}:c{user.telegram_id}:{stamp}:{digest}"))
    outbox.expect(session, [key for *_rest, key in edits])
    count = 0
    for user, text, buttons, key in edits:
        queued = outbox.enqueue(
            session,
            user=user,
            template=template,
            text=text,
            buttons=buttons,
            dedupe_key=key,
            kind="edit",
            live_key=live_key,
        )
        count += queued is not None
    return count


def refresh_assignment_card(session: Session, assignment: Assignment, *, rules: Rules) -> int:
    """The assignment's card, wherever shown: status, deadline, the liaison's buttons."""
    assert assignment.id is not None
    card = card_of(session, assignment, rules)

    def render(user: User, lang: str) -> Rendered:
        text = assignment_messages.card_text(lang, card, zone=rules.zone)
        liaison = _is_liaison(session, user, assignment.department_id)
        return text, assignment_messages.liaison_buttons(lang, assignment) if liaison else None

    return refresh(
        session,
        live_key=card_key(assignment.id),
        template="assignment.card.edit",
        rules=rules,
        render=render,
    )


def refresh_case_announcement(
    session: Session, case: Case, *, rules: Rules, by: str | None = None, actor_chat: int = 0
) -> int:
    """The office's new-case announcement (and open dispatch forms): what became of it."""
    assert case.id is not None
    if by is None and case.status == "dispatched":
        by = _dispatcher(session, case)
    render = partial(
        case_messages.announcement,
        facts=case_facts(session, case),
        attachments=len(case_attachments(session, case.id)),
        by=by,
    )
    count = refresh(
        session,
        live_key=announcement_key(case.id),
        template="case.new.edit",
        rules=rules,
        render=lambda _user, lang: render(lang),
    )
    # A form the actor just used shows its own outcome; the others' forms are out of date.
    return count + refresh(
        session,
        live_key=form_key(case.id),
        template="case.new.edit",
        rules=rules,
        render=lambda _user, lang: render(lang),
        skip_chats=(actor_chat,),
    )


def refresh_confirmation(session: Session, case: Case, *, rules: Rules) -> int:
    """The enterprise's confirmation request: still asking, answered, or reopened."""
    assert case.id is not None
    render = partial(
        confirmation_messages.state,
        case_id=case.id,
        number=case.number,
        status=case.status,
        due=case.confirm_due_at,
        satisfaction=case.satisfaction or "",
        zone=rules.zone,
    )
    return refresh(
        session,
        live_key=confirm_key(case.id),
        template="case.confirm.edit",
        rules=rules,
        render=lambda _user, lang: render(lang),
    )


def _is_liaison(session: Session, user: User, department_id: int) -> bool:
    return any(h.id == user.id for h in holders(session, Role.LIAISON, department_id=department_id))


def _dispatcher(session: Session, case: Case) -> str | None:
    issuer = session.exec(
        select(User.display_name)
        .join(Assignment, col(Assignment.issued_by_user_id) == User.id)
        .where(Assignment.case_id == case.id)
        .order_by(col(Assignment.id))
    ).first()
    return issuer
