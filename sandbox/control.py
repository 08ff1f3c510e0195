"""What the bot side lends the emulator in sandbox mode: its clock, the sweep, a demo reset.

The emulator knows nothing of the bot; `duban sandbox` plugs an implementation in. Without
one (the emulator alone, or any build with a real token) there is no clock to move.
"""

from __future__ import annotations

from typing import Any, Protocol


class ControlError(Exception):
    """A refused request, answered with an HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SandboxControl(Protocol):
    """Runs on the emulator's event loop; each method may hop to the bot's loop."""

    async def clock(self) -> dict[str, Any]:
        """{"now", "local", "offset_seconds", "next_deadline"}."""
        ...

    async def advance(self, body: dict[str, Any]) -> dict[str, Any]:
        """Move the clock forward as ``body`` says, run the sweep; {"now", "moved_seconds"}."""
        ...

    async def reset(self) -> dict[str, Any]:
        """A fresh demo: empty chats and files, a fresh demo database, the clock at real time."""
        ...
