"""Button data, one codec: every inline button's callback data is made and read here.

Data is ``v1:<kind>:<action>[:<arg>...]``. Telegram gives it back untouched but anyone can
forge it, so decoding accepts only the exact grammar below (ASCII digits for ids, bounded
lengths) and refuses anything else with :class:`Stale`. Buttons sent before the version
prefix existed (``a:ack:5``, ``f:5:s``, ``d:5:t:3``) still decode: they sit in chats for
weeks and keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import N_

VERSION = "v1"
MAX_BYTES = 64  # Telegram's limit on callback_data
STALE_TEXT = N_("This button is not valid any more.")

ID = re.compile(r"[0-9]{1,12}")  # never str.isdigit(): it accepts ² and ١
FLAG = re.compile(r"[01]")
WORD = re.compile(r"[a-z_]{1,16}")
CODE = re.compile(r"[A-Za-z0-9_-]{8,60}")
_INT = (ID, FLAG)

ASSIGNMENT, CASE, DISPATCH, CONFIRM, QUESTION, REPORT, REGISTRY, JOIN = "acdfqrej"
SUPERVISION = "s"
EXTENSION = "x"
INSPECTION = "i"
NOTICE = "n"

# kind -> action -> the patterns of its arguments, in order
GRAMMAR: dict[str, dict[str, tuple[re.Pattern[str], ...]]] = {
    ASSIGNMENT: {a: (ID,) for a in ("card", "ack", "ret", "ask", "prog", "done", "ext", "pause")},
    CASE: {a: (ID,) for a in ("dsp", "ask", "dec")},
    DISPATCH: {"t": (ID, ID), "due": (ID, FLAG), "go": (ID,), "x": (ID,)},
    CONFIRM: {choice: (ID,) for choice in ("s", "m", "u")},
    QUESTION: {"rep": (ID,)},
    REPORT: {
        "cat": (WORD,),
        "prj": (ID,),
        "ed": (WORD,),
        **{a: () for a in ("next", "sum", "sub", "edit", "cancel")},
    },
    REGISTRY: {"p": (ID,), "k": (FLAG,), "h": (ID,), "i": (ID,), "a": (), "f": (), "x": ()},
    JOIN: {"y": (CODE,), "n": (CODE,)},
    SUPERVISION: {"iss": (ID,)},  # issue the drafted supervision order of an assignment
    EXTENSION: {"ok": (ID,), "no": (ID,)},  # approve or deny a deadline change
    # confirm a reported inspection as unfiled, dismiss it; the /inspected form's department
    # and day (days ago)
    INSPECTION: {"ok": (ID,), "no": (ID,), "dep": (ID,), "day": (ID,)},
    NOTICE: {"go": (CODE,), "x": (CODE,)},  # send or cancel a previewed notice (its token)
}


class Stale(ValueError):
    """Callback data this bot did not make, or no longer understands."""


@dataclass(frozen=True)
class Data:
    """Decoded button data: ids and flags as ints, words and codes as strings."""

    kind: str
    action: str
    args: tuple[int | str, ...]

    def id(self, index: int = 0) -> int:
        value = self.args[index]
        if not isinstance(value, int):
            raise Stale(self.action)
        return value

    def word(self, index: int = 0) -> str:
        return str(self.args[index])


def encode(kind: str, action: str, *args: int | str) -> str:
    """The callback data of one button; a value the decoder would refuse is a bug here."""
    data = ":".join([VERSION, kind, action, *map(str, args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    if decode(data) != Data(kind, action, tuple(args)):
        raise ValueError(f"callback data the decoder would not read back: {data!r}")
    return data


def decode(data: str | None, kind: str | None = None) -> Data:
    """Read callback data (of ``kind`` if given); anything malformed raises :class:`Stale`."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise Stale(data)
    parts = data.split(":")
    if parts[0] == VERSION:
        parts = parts[1:]
    else:
        parts = _legacy(parts)
    if len(parts) < 2 or (kind is not None and parts[0] != kind):
        raise Stale(data)
    actions = GRAMMAR.get(parts[0], {})
    shape = actions.get(parts[1])
    if shape is None or len(parts) != 2 + len(shape):
        raise Stale(data)
    args: list[int | str] = []
    for pattern, raw in zip(shape, parts[2:], strict=True):
        if not pattern.fullmatch(raw):
            raise Stale(data)
        args.append(int(raw) if pattern in _INT else raw)
    return Data(parts[0], parts[1], tuple(args))


def _legacy(parts: list[str]) -> list[str]:
    """Unversioned data from before the codec: the case id came before the action there."""
    if len(parts) == 3 and parts[0] == CONFIRM:  # f:<case>:<choice>
        return [CONFIRM, parts[2], parts[1]]
    if len(parts) == 4 and parts[0] == DISPATCH:  # d:<case>:<action>:<value>
        case, action, value = parts[1:]
        if action in ("t", "due"):
            return [DISPATCH, action, case, value]
        return [DISPATCH, action, case] if value == "0" else parts
    return parts


def pattern(kind: str) -> str:
    """The ``CallbackQueryHandler`` pattern for one kind (versioned or legacy data)."""
    return rf"^(?:{VERSION}:)?{re.escape(kind)}:"


def assignment(action: str, assignment_id: int) -> str:
    return encode(ASSIGNMENT, action, assignment_id)


def supervision(action: str, assignment_id: int) -> str:
    return encode(SUPERVISION, action, assignment_id)


def case(action: str, case_id: int) -> str:
    return encode(CASE, action, case_id)


def dispatch(action: str, case_id: int, value: int | None = None) -> str:
    return encode(DISPATCH, action, case_id, *(() if value is None else (value,)))


def confirm(choice: str, case_id: int) -> str:
    return encode(CONFIRM, choice, case_id)


def reply(note_id: int) -> str:
    return encode(QUESTION, "rep", note_id)


def report(action: str, arg: int | str | None = None) -> str:
    return encode(REPORT, action, *(() if arg is None else (arg,)))


def registry(action: str, arg: int | None = None) -> str:
    return encode(REGISTRY, action, *(() if arg is None else (arg,)))


def join(answer: str, code: str) -> str:
    return encode(JOIN, answer, code)


def extension(decision: str, change_id: int) -> str:
    return encode(EXTENSION, decision, change_id)


def inspection(action: str, value: int) -> str:
    return encode(INSPECTION, action, value)


def notice(action: str, token: str) -> str:
    return encode(NOTICE, action, token)
