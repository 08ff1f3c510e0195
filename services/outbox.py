"""Messages the system owes people, queued in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from models import OutboxMessage, User
from models.types import utcnow

Button = dict[str, str]  # {"text": label, "data": callback_data}


def enqueue(
    session: Session,
    *,
    user: User,
    template: str,
    text: str,
    dedupe_key: str,
    buttons: Sequence[Sequence[Button]] | None = None,
    attachments: Sequence[dict[str, str]] | None = None,
    parse_mode: str | None = "HTML",
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Queue ``text`` for ``user`` once per ``dedupe_key``; None if it was queued before."""
    existing = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return None
    if user.id is None:
        session.flush()
    message = OutboxMessage(
        chat_id=user.telegram_id,
        user_id=user.id,
        template=template,
        text=text,
        parse_mode=parse_mode,
        buttons=[list(row) for row in buttons] if buttons else None,
        attachments=list(attachments) if attachments else None,
        dedupe_key=dedupe_key,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(message)
    return message
