"""The deadline engine: reminders, escalation and accountability, derived by the sweep."""

from services.deadlines.clock import paused_since, refresh_next_check

__all__ = ["paused_since", "refresh_next_check"]
