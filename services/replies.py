"""Answers owed after a commit: what Telegram failed to take is queued in the outbox."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import Session

from models import User
from services.outbox import Button, enqueue


def owe(
    session: Session,
    *,
    update_id: int,
    chat_id: int,
    user_id: int,
    pieces: Sequence[str],
    buttons: Sequence[Sequence[Button]] | None,
    html: bool,
) -> int:
    """Queue each piece once per update (a redelivery queues nothing new); how many were new."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    queued = 0
    for i, piece in enumerate(pieces):
        digest = hashlib.sha256(piece.encode()).hexdigest()[:16]
        row = enqueue(
            session,
            user=user,
            template="reply",
            text=piece,
            dedupe_key=f"reply:{update_id}:{digest}",
            buttons=buttons if i == len(pieces) - 1 else None,
            parse_mode="HTML" if html else None,
            chat_id=chat_id,  # the chat the update came from
        )
        queued += row is not None
    return queued
