"""The deadline engine: reminders, escalation and accountability, derived by the sweep."""

from services.deadlines.clock import refresh_next_check

__all__ = ["refresh_next_check"]
