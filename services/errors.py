"""Domain errors: each carries an English message id that handlers translate for the user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Phrase(str):
    """A parameter that is itself an English message id, translated along with the message."""


class DomainError(Exception):
    """A refusal the user should read, not a bug."""

    def __init__(self, msgid: str, /, **params: Any) -> None:
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = params

    def translated(self, tr: Callable[..., str]) -> str:
        """The message in the reader's language, with any Phrase parameters translated too."""
        params = {k: tr(v) if isinstance(v, Phrase) else v for k, v in self.params.items()}
        return tr(self.msgid, **params)


class NotFound(DomainError):
    """The thing named does not exist (or the user may not know it exists)."""


class NotAllowed(DomainError):
    """The acting user's roles do not allow this."""


class InvalidState(DomainError):
    """The record is no longer in a state where this makes sense (a stale button)."""


class InvalidInput(DomainError):
    """What the user typed cannot be used."""
