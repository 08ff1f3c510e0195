"""Telegram glue, one module per role or feature; every handler is registered here."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    conversation,
    department,
    dispatch,
    extensions,
    history,
    inspections,
    invitations,
    oversight,
    prompts,
    registry,
    report,
    scores,
    start,
    stats,
    updates,
)


def register_all(app: Application) -> None:
    """Register every handler module, in the order they must see updates."""
    updates.register(app)
    start.register(app)
    invitations.register(app)
    registry.register(app)
    report.register(app)
    dispatch.register(app)
    department.register(app)
    oversight.register(app)
    stats.register(app)
    extensions.register(app)
    scores.register(app)
    history.register(app)
    prompts.register(app)
    inspections.register(app)
    # Feature modules register here, before the conversation router (it takes any text).
    conversation.register(app)
