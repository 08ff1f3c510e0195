"""Digests: a chat that fell behind gets the messages queued for it together, in one message.

Telegram allows about one message a second per chat. A dispatch desk told of every case can be
owed more than that (in a busy hour, or after a restart); sent one by one, the last would come
minutes late. A digest carries the unbroken run of queued rows that can share a message (text,
with or without buttons, no file) in their order. Each card in it is numbered (①, ②, …) and
its buttons carry the same number; a later state of one card edits the digest, showing the
other parts as they stand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models import LiveMessage, OutboxMessage
from models.enums import OutboxStatus
from services import outbox

SEPARATOR = "\n\n┈┈┈┈┈┈┈┈\n\n"
MARKERS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"  # one per card, so its buttons say whose they are
# Below Telegram's 4,096 characters: a card's later state may be longer than the one sent.
LIMIT = 3500
MOST_ROWS = 60  # rows looked at for one digest
BUNDLED = "sent in one message with outbox row"
_MARKER = re.compile(f"^[{MARKERS}] ")

Button = outbox.Button


@dataclass(frozen=True)
class Part:
    """One row's share of a digest, in the state it shows."""

    text: str
    buttons: list[list[Button]] | None
    card: bool  # numbered: it has buttons or may be edited


def can_share(row: OutboxMessage) -> bool:
    """Text with or without buttons, not yet partly sent: it can go out with others."""
    return (
        row.kind == "send"
        and not row.attachments
        and row.file_id is None
        and not row.parts_sent
        and len(row.text) <= LIMIT
    )


def is_card(row: OutboxMessage) -> bool:
    return bool(row.buttons) or row.live_key is not None


def compose(parts: Sequence[Part]) -> tuple[str, list[list[Button]] | None]:
    """The digest's text and keyboard: the parts in order, each card numbered."""
    texts: list[str] = []
    keyboard: list[list[Button]] = []
    cards = 0
    for part in parts:
        if not part.card:
            texts.append(part.text)
            continue
        marker = MARKERS[cards]
        cards += 1
        texts.append(f"{marker} {part.text}")
        for line in part.buttons or []:
            keyboard.append([{**b, "text": f"{marker} {b['text']}"} for b in line])
    return SEPARATOR.join(texts), keyboard or None


def split(shown: str) -> list[str]:
    """The parts of a digest as a chat shows it (its visible text), without their numbers."""
    return [_MARKER.sub("", part) for part in shown.split(SEPARATOR)]


def gather(
    session: Session, *, head: OutboxMessage, now: datetime
) -> tuple[list[Part], list[int], list[list[int]]]:
    """The parts of a digest led by ``head`` (leased by the caller), the rows it carries after
    ``head``, and per card among them the queued edits whose latest state it shows.

    Only the unbroken run of messages behind ``head``: a file, a row waiting for a retry or
    other markup ends it, so no message overtakes one queued before it. Edits of messages
    sent before are passed over (they stay queued and are applied next: an edit makes no
    new message, so it has no place among them to keep), unless a card is sent again under
    the key one of them edits. No other process claims a chat's later rows while an earlier
    one is pending, so the rows need no lease of their own. Rows are read, never changed here.
    """
    parts = [_part(head)]
    if head.seq is None:
        return parts, [], []
    keys = {head.live_key} if head.live_key else set()
    passed: set[str | None] = set()  # keys of the edits passed over
    size, cards = len(head.text) + 2, int(is_card(head))
    carried: list[int] = []
    shown: list[list[int]] = []
    for other in _queued_after(session, head):
        if other.kind == "edit" and other.next_attempt_at <= now:
            if other.live_key not in keys:  # else a later state of a card in this digest,
                passed.add(other.live_key)  # shown by it (below)
            continue
        if (
            not can_share(other)
            or other.parse_mode != head.parse_mode
            or other.next_attempt_at > now
            or (other.live_key is not None and other.live_key in keys | passed)
        ):
            break
        part, edits = latest(session, other)
        size += len(SEPARATOR) + len(part.text) + 2
        if size > LIMIT or (part.card and cards >= len(MARKERS)):
            break
        cards += int(part.card)
        parts.append(part)
        assert other.id is not None
        carried.append(other.id)
        if edits:
            shown.append(edits)
        if other.live_key:
            keys.add(other.live_key)
    return parts, carried, shown


def lead_after(session: Session, *, head: OutboxMessage, now: datetime) -> OutboxMessage | None:
    """The first message queued behind a run of edits led by ``head``, to send before them.

    A chat that fell behind gets what is new first: the edits (of messages it has already
    received) follow. None when no message can go first: a row that cannot share a message,
    one not yet due, or a card sent again under a key one of the edits changes.
    """
    passed: set[str | None] = {head.live_key}
    for other in _queued_after(session, head):
        if other.next_attempt_at > now:
            return None
        if other.kind == "edit":
            passed.add(other.live_key)
            continue
        if not can_share(other) or (other.live_key is not None and other.live_key in passed):
            return None
        session.expunge(other)  # the caller's copy: what it composes is never written back
        return other
    return None


def _queued_after(session: Session, head: OutboxMessage) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.chat_id) == head.chat_id,
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                col(OutboxMessage.seq) > head.seq,
            )
            .order_by(col(OutboxMessage.seq))
            .limit(MOST_ROWS)
        )
    )


def latest(session: Session, row: OutboxMessage) -> tuple[Part, list[int]]:
    """The row's part in its latest queued state, and the edits that state settles."""
    later = outbox.later_states(session, row=row)
    if not later:
        return _part(row), []
    last = later[-1]
    return Part(last.text, last.buttons, True), [e.id for e in later if e.id is not None]


def record_carried(
    session: Session, *, row_ids: Sequence[int], head_id: int, message_id: int, now: datetime
) -> None:
    """Settle the rows that went out in the digest of ``head_id``; cards remember where."""
    if not row_ids:
        return
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(list(row_ids)))
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            attempts=col(OutboxMessage.attempts) + 1,
            telegram_message_id=message_id,
            last_error=f"{BUNDLED} {head_id}",
            lease_owner=None,
            lease_until=None,
        )
        .returning(col(OutboxMessage.chat_id), col(OutboxMessage.live_key))
        .execution_options(synchronize_session=False)
    )
    for chat_id, live_key in session.exec(statement).all():
        if live_key:
            outbox.remember(
                session, live_key=live_key, chat_id=chat_id, message_id=message_id, at=now
            )


def with_new_state(
    session: Session, *, edit: OutboxMessage, message_id: int
) -> tuple[str, list[list[Button]] | None, list[list[int]]]:
    """What message ``message_id`` shows once ``edit`` is applied, and the other edits that
    call applies too (per card, to record as shown).

    The edit itself; or, for a card in a digest, the digest with that card's part replaced,
    each other card in its latest state (an edit of it still queued is applied by the same
    call) and the notices as they were.
    """
    sent = list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.chat_id) == edit.chat_id,
                col(OutboxMessage.telegram_message_id) == message_id,
                col(OutboxMessage.kind) == "send",
                col(OutboxMessage.status) == OutboxStatus.SENT,
            )
            .order_by(col(OutboxMessage.seq))
        )
    )
    if len(sent) < 2 or not any(row.live_key == edit.live_key for row in sent):
        return edit.text, edit.buttons, []
    others = {row.live_key for row in sent if row.live_key and row.live_key != edit.live_key}
    states = _card_states(session, chat_id=edit.chat_id, keys=others, message_id=message_id)
    parts, also = [], []
    for row in sent:
        if row.live_key == edit.live_key:
            parts.append(Part(edit.text, edit.buttons, True))
        elif row.live_key:
            shown, queued = states.get(row.live_key, (None, []))
            parts.append(Part(shown.text, shown.buttons, True) if shown else _part(row))
            also += [queued] if queued else []
        else:
            parts.append(_part(row))
    text, buttons = compose(parts)
    return text, buttons, also


def _part(row: OutboxMessage) -> Part:
    return Part(row.text, row.buttons, is_card(row))


def _card_states(
    session: Session, *, chat_id: int, keys: set[str], message_id: int
) -> dict[str, tuple[OutboxMessage, list[int]]]:
    """Per card of digest ``message_id``: the state it is to show, and its queued edits' ids.

    Its latest queued edit (applied by the same call) if the card still lives in this
    message; else its last edit applied to the message. A card with neither is left out.
    One query for the cards' edits and one for where they live, whatever their number.
    """
    if not keys:
        return {}
    lives = session.exec(
        select(LiveMessage.live_key).where(
            LiveMessage.chat_id == chat_id,
            col(LiveMessage.live_key).in_(keys),
            LiveMessage.message_id == message_id,
        )
    ).all()
    edits = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.live_key).in_(keys),
            col(OutboxMessage.kind) == "edit",
            or_(
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                (col(OutboxMessage.status) == OutboxStatus.SENT)
                & (col(OutboxMessage.telegram_message_id) == message_id)
                & or_(
                    col(OutboxMessage.last_error).is_(None),
                    col(OutboxMessage.last_error).contains("not modified"),
                ),
            ),
        )
        .order_by(col(OutboxMessage.seq))
    ).all()
    states: dict[str, tuple[OutboxMessage, list[int]]] = {}
    for key in keys:
        mine = [e for e in edits if e.live_key == key]
        # A card shown in a newer message since: its queued edits are that message's.
        queued = [e for e in mine if e.status == OutboxStatus.PENDING] if key in lives else []
        applied = [e for e in mine if e.status == OutboxStatus.SENT]
        if queued:
            states[key] = (queued[-1], [e.id for e in queued if e.id is not None])
        elif applied:
            states[key] = (applied[-1], [])
    return states
