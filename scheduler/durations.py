"""Durations as people write them in settings: ``20s``, ``30m``, ``4h``, ``3d``, ``10wd``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Unit = Literal["s", "m", "h", "d", "wd"]

_PATTERN = re.compile(r"^\s*(\d+)\s*(wd|s|m|h|d)\s*$")
_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Duration:
    """A span of time; ``wd`` (working days) only has a length once a calendar is applied."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str | int | Duration) -> Duration:
        """Parse ``'10wd'``; a bare integer means seconds."""
        if isinstance(text, Duration):
            return text
        if isinstance(text, int) and not isinstance(text, bool):
            if text < 0:
                raise ValueError("a duration cannot be negative")
            return cls(text, "s")
        if not isinstance(text, str):
            raise ValueError("expected a duration such as 20s, 30m, 4h, 3d or 10wd")
        match = _PATTERN.match(text)
        if not match:
            raise ValueError(
                f"{text!r} is not a duration; write a whole number and a unit: "
                "20s, 30m, 4h, 3d or 10wd (working days)"
            )
        # _PATTERN only matches the units of Unit; mypy cannot see that.
        return cls(int(match.group(1)), match.group(2))  # type: ignore[arg-type]

    @property
    def is_working_days(self) -> bool:
        return self.unit == "wd"

    def as_timedelta(self) -> timedelta:
        """Calendar length; working days have none without a calendar."""
        if self.unit == "wd":
            raise ValueError("working days need a calendar: use WorkCalendar.add()")
        return timedelta(seconds=self.amount * _SECONDS[self.unit])

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"
