"""Half-finished conversations, kept in the database so a restart loses nothing."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from models import Draft, User
from services import outbox
from services.messages import drafts as draft_messages
from services.rules import Rules
from services.users import language_of


def current(session: Session, *, user_id: int, rules: Rules) -> Draft | None:
    """The user's live draft, if any (an expired one counts as none).

    The row is locked for the rest of the transaction: updates are handled concurrently, so
    two quick taps (Submit twice, two toggles on the dispatch form) would otherwise both act
    on the same draft; the second now waits for the first and sees what it left.
    """
    draft = session.exec(select(Draft).where(Draft.user_id == user_id).with_for_update()).first()
    if draft is None or draft.expires_at <= rules.now():
        return None
    return draft


def start(
    session: Session,
    *,
    user_id: int,
    kind: str,
    step: str,
    data: dict[str, Any] | None = None,
    rules: Rules,
) -> Draft:
    """Begin a conversation, replacing whatever the user had half-done before."""
    now = rules.now()
    existing = session.exec(select(Draft).where(Draft.user_id == user_id)).first()
    if existing is not None:
        session.delete(existing)
        session.flush()
    draft = Draft(
        user_id=user_id,
        kind=kind,
        step=step,
        data=dict(data or {}),
        created_at=now,
        updated_at=now,
        expires_at=now + rules.conversation_ttl,
    )
    session.add(draft)
    session.flush()
    return draft


def advance(
    session: Session,
    draft: Draft,
    *,
    step: str | None = None,
    rules: Rules,
    **changes: Any,
) -> Draft:
    """Move to ``step`` and merge ``changes`` into the draft's data; renews its expiry."""
    now = rules.now()
    draft = session.merge(draft)
    if step is not None:
        draft.step = step
    if changes:
        draft.data = {**draft.data, **changes}  # a new dict, so the JSON column is saved
    draft.updated_at = now
    draft.expires_at = now + rules.conversation_ttl
    session.add(draft)
    return draft


def finish(session: Session, *, user_id: int) -> bool:
    """Forget the user's draft; True if there was one."""
    draft = session.exec(select(Draft).where(Draft.user_id == user_id)).first()
    if draft is None:
        return False
    session.delete(draft)
    return True


def expire(session: Session, *, rules: Rules) -> int:
    """Drop drafts past their expiry and tell each user what was abandoned."""
    now = rules.now()
    expired = session.exec(select(Draft).where(Draft.expires_at <= now)).all()
    for draft in expired:
        user = session.get(User, draft.user_id)
        if user is not None:
            lang = language_of(user, rules.default_language)
            outbox.enqueue(
                session,
                user=user,
                template="draft.expired",
                text=draft_messages.expired(lang, what=DRAFT_NAMES.get(draft.kind))[0],
                dedupe_key=f"draft:{draft.id}:expired:{draft.created_at.timestamp():.6f}",
            )
        session.delete(draft)
    return len(expired)


DRAFT_NAMES: dict[str, str] = {}


def name_draft(kind: str, msgid: str) -> None:
    """Register how a draft kind is called in the expiry note (an English message id)."""
    DRAFT_NAMES[kind] = msgid
