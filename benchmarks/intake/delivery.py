"""Owed vs delivered: every outbox row in the database checked against the emulator's chats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Delivery:
    """What the outbox owed and what the emulator shows delivered."""

    owed: int = 0
    delivered: int = 0
    duplicates: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.delivered == self.owed

    def figures(self) -> dict[str, Any]:
        return {
            "owed": self.owed,
            "delivered": self.delivered,
            "missing": self.owed - self.delivered,
            "duplicates": self.duplicates,
            "outbox_by_status": self.by_status,
        }


def _visible(text: str, parse_mode: str | None) -> list[str]:
    """The texts a row shows in the chat: one per piece, as the emulator stores them."""
    from bot.textsplit import split_html, strip_tags
    from sandbox.textparse import EntityParseError, parse_html

    if parse_mode != "HTML":
        return [text.strip()]
    shown = []
    for piece in split_html(text):
        try:
            shown.append(parse_html(piece)[0].strip())
        except EntityParseError:  # the outbox falls back to plain text
            shown.append(strip_tags(piece).strip())
    return shown


def _rows(session: Any, final: bool) -> list[tuple[int, str, str | None, str]]:
    from sqlmodel import select

    from models import OutboxMessage

    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    # An edit adds no message. Seen as they arrived (``final`` False), messages show the text
    # they were sent with; read back from the chats afterwards, an edited one shows its last
    # edit's text instead.
    owed: list[tuple[int, str, str | None, str]] = []
    shown_at: dict[tuple[int, str], int] = {}
    edits: dict[tuple[int, str], list[Any]] = {}
    for r in rows:
        if r.kind == "edit" and r.live_key:
            edits.setdefault((r.chat_id, r.live_key), []).append(r)
    for r in rows:
        row = (r.chat_id, r.text, r.parse_mode, str(r.status))
        where = (r.chat_id, r.live_key) if r.live_key else None
        if r.kind == "edit":
            if final and where in shown_at and not r.last_error:
                owed[shown_at[where]] = row
            continue
        if where is not None:
            shown_at[where] = len(owed)
            # A card sent with edits already queued behind it shows the latest of them (the
            # outbox folds them into the send, settling them at the same instant and message).
            folded = [
                e
                for e in edits.get(where, ())
                if e.id > r.id
                and e.sent_at is not None
                and e.sent_at == r.sent_at
                and e.telegram_message_id == r.telegram_message_id
            ]
            if folded:
                row = (r.chat_id, folded[-1].text, folded[-1].parse_mode, str(r.status))
        owed.append(row)
    return owed


def outbox_rows(
    database_url: str, *, final: bool = False
) -> list[tuple[int, str, str | None, str]]:
    """(chat, text, parse_mode, status) of every message the outbox owed, oldest first."""
    from bot.db import Database

    db = Database(database_url)
    try:
        return db.call(_rows, final)
    finally:
        db.dispose()


def compare(rows: list[tuple[int, str, str | None, str]], seen: Counter) -> Delivery:
    """Match outbox rows to bot messages seen, by chat and visible text.

    ``seen`` counts (chat, text) of every bot message. A row is delivered when each of its
    pieces was seen; a piece seen more often than rows owe it is a duplicate.
    """
    from services import digests

    # A digest message carries several rows: each of them counts as seen.
    left: Counter[tuple[int, str]] = Counter()
    for (chat, text), n in seen.items():
        for part in digests.split(text):
            left[(chat, part.strip())] += n
    owed_keys: Counter[tuple[int, str]] = Counter()
    result = Delivery(owed=len(rows), by_status=dict(Counter(status for *_, status in rows)))
    for chat_id, text, parse_mode, _status in rows:
        keys = [(chat_id, shown) for shown in _visible(text, parse_mode)]
        owed_keys.update(keys)
        if all(left[key] > 0 for key in keys):
            result.delivered += 1
        for key in keys:
            left[key] = max(0, left[key] - 1)
    result.duplicates = sum(left[key] for key in owed_keys if left[key] > 0)
    return result
