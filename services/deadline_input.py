"""A deadline someone typed that the calendar refused, as the refusal they read."""

from __future__ import annotations

from scheduler.calendar import DeadlineError, DeadlineInPast, DeadlineTooFar
from services.errors import InvalidInput


def refusal(exc: DeadlineError) -> InvalidInput:
    """The same words wherever a deadline is typed (dispatch form, extension request)."""
    if isinstance(exc, DeadlineInPast):
        return InvalidInput("The deadline must be in the future.")
    if isinstance(exc, DeadlineTooFar):
        return InvalidInput("A deadline can be at most a year ahead.")
    return InvalidInput(
        "I could not read that deadline. Write a number of working days (5wd or "
        "5个工作日), calendar days (3d), or a date (2026-12-15 or 12月15日)."
    )
