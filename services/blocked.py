"""A user who blocked the bot: marked once, and the dispatchers are told once."""

from __future__ import annotations

from functools import partial

from sqlmodel import Session

from models import User
from models.enums import Role
from services import audit, notify
from services.messages import delivery as delivery_messages
from services.rules import Rules
from services.users import holders


def mark_blocked(session: Session, *, user_id: int, error: str, rules: Rules) -> bool:
    """Record that Telegram refused messages to ``user_id``; False if already recorded."""
    now = rules.now()
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
    notify.tell(
        session,
        holders(session, Role.DISPATCHER),
        rules=rules,
        template="user_blocked",
        key=f"user-blocked:{user_id}:{now.isoformat()}",
        render=partial(delivery_messages.blocked, name=user.display_name or str(user.telegram_id)),
        exclude=user_id,
    )
    return True
