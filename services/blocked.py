"""A user who blocked the bot: marked once, and the dispatchers are told once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.i18n import t
from bot.textsplit import escape
from models import User
from models.enums import Role
from services import audit, notify
from services.users import holders


def mark_blocked(session: Session, *, user_id: int, now: datetime, error: str) -> bool:
    """Record that Telegram refused messages to ``user_id``; False if already recorded."""
    user = session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return False
    user.blocked_at = now
    session.add(user)
    audit.record(
        session,
        actor_id=None,
        action="user.blocked",
        entity="users",
        entity_id=user.id,
        data={"error": error[:200]},
        at=now,
    )
    name = escape(user.display_name or str(user.telegram_id))

    def render(lang: str) -> tuple[str, None]:
        text = t(
            lang,
            "{name} has blocked the bot (or left Telegram): messages to them are not delivered "
            "until they write to the bot again.",
            name=f"<b>{name}</b>",
        )
        return "⚠️ " + text, None

    notify.tell(
        session,
        holders(session, Role.DISPATCHER),
        template="user_blocked",
        key=f"user-blocked:{user_id}:{now.isoformat()}",
        render=render,
        exclude=user_id,
    )
    return True
