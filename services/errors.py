"""Domain errors: each carries an English message id that handlers translate for the user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Phrase(str):
    """A parameter that is itself an English message id, translated along with the message."""


class Localized(str):
    """A parameter already written in each language (e.g. a list of department names).

    As a plain string it is the English text, so the exception's own message stays English.
    """

    def __new__(cls, by_language: dict[str, str]) -> Localized:
        made = super().__new__(cls, by_language["en"])
        made.by_language = by_language
        return made

    by_language: dict[str, str]

    def text(self, lang: str) -> str:
        return self.by_language.get(lang, self.by_language["en"])


class DomainError(Exception):
    """A refusal the user should read, not a bug."""

    def __init__(self, msgid: str, /, **params: Any) -> None:
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = params

    def translated(self, tr: Callable[..., str], lang: str = "en") -> str:
        """The message in the reader's language (``tr`` translates into ``lang``), with any
        Phrase parameters translated and Localized ones in that language too."""
        params = {k: _in(lang, tr, v) for k, v in self.params.items()}
        return tr(self.msgid, **params)


def _in(lang: str, tr: Callable[..., str], value: Any) -> Any:
    if isinstance(value, Phrase):
        return tr(value)
    if isinstance(value, Localized):
        return value.text(lang)
    return value


class NotFound(DomainError):
    """The thing named does not exist (or the user may not know it exists)."""


class NotAllowed(DomainError):
    """The acting user's roles do not allow this."""


class InvalidState(DomainError):
    """The record is no longer in a state where this makes sense (a stale button)."""


class InvalidInput(DomainError):
    """What the user typed cannot be used."""
