"""Outbox rows that send a picture or a document made when the row was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session, delete, select, update
from telegram.error import NetworkError

from bot.db import Database
from bot.outbox import OutboxWorker
from bot.pacing import Pacer
from models import OutboxFile, OutboxMessage, User
from models.enums import OutboxStatus
from services import outbox
from tests.rules import RULES

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class UploadBot:
    """Records uploads; the first ``fail`` calls raise a network error."""

    calls: list[tuple[str, int, bytes, str | None, str | None]] = field(default_factory=list)
    fail: int = 0

    async def _upload(self, method: str, chat_id: int, content: Any, **kw: Any) -> SimpleNamespace:
        if self.fail:
            self.fail -= 1
            raise NetworkError("connection reset")
        self.calls.append((method, chat_id, content, kw.get("caption"), kw.get("filename")))
        return SimpleNamespace(message_id=len(self.calls))

    async def send_photo(self, chat_id: int, photo: Any, **kw: Any) -> SimpleNamespace:
        return await self._upload("photo", chat_id, photo, **kw)

    async def send_document(self, chat_id: int, document: Any, **kw: Any) -> SimpleNamespace:
        return await self._upload("document", chat_id, document, **kw)


def _user(session: Session) -> User:
    user = User(telegram_id=5001, display_name="reader")
    session.add(user)
    session.flush()
    return user


def _queue(db: Database, user: User, kind: str, name: str, content: bytes) -> None:
    db.call(
        outbox.enqueue_file,
        user=user,
        template="test.file",
        kind=kind,
        filename=name,
        content=content,
        caption="图表",
        dedupe_key=f"test:{name}",
        not_before=NOW,
    )


def _worker(db: Database, bot: UploadBot, now: list[datetime]) -> OutboxWorker:
    pacer = Pacer(rate=1e9, burst=1e9, chat_rate=1e9, chat_burst=1e9)
    return OutboxWorker(db=db, bot=bot, clock=lambda: now[0], pacer=pacer, rules=RULES)  # type: ignore[arg-type]


async def test_photo_and_document_go_in_order_with_their_bytes(db: Database) -> None:
    user = db.call(_user)
    _queue(db, user, "photo", "chart.png", b"\x89PNG chart")
    _queue(db, user, "document", "book.xlsx", b"PK workbook")
    # Queued twice under the same key: still one row, one file.
    _queue(db, user, "document", "book.xlsx", b"PK workbook")
    bot = UploadBot(fail=1)
    now = [NOW]
    worker = _worker(db, bot, now)
    await worker.deliver_due(NOW)
    assert bot.calls == []  # the network failed: retried later, with the same bytes
    now[0] = NOW.replace(minute=5)
    await worker.deliver_due(now[0])
    assert bot.calls == [
        ("photo", 5001, b"\x89PNG chart", "图表", "chart.png"),
        ("document", 5001, b"PK workbook", "图表", "book.xlsx"),
    ]
    rows = db.call(lambda s: list(s.exec(select(OutboxMessage)).all()))
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert db.call(lambda s: len(s.exec(select(OutboxFile)).all())) == 2


async def test_a_row_without_its_file_fails_loudly(db: Database) -> None:
    user = db.call(_user)
    _queue(db, user, "photo", "chart.png", b"x")
    db.call(lambda s: s.exec(update(OutboxMessage).values(file_id=None)))  # type: ignore[call-overload]
    db.call(lambda s: s.exec(delete(OutboxFile)))  # type: ignore[call-overload]
    bot = UploadBot()
    await _worker(db, bot, [NOW]).deliver_due(NOW)
    row = db.call(lambda s: s.exec(select(OutboxMessage)).one())
    assert row.status == OutboxStatus.FAILED and "no file" in (row.last_error or "")
    assert bot.calls == []


def test_only_photos_and_documents(db: Database) -> None:
    user = db.call(_user)
    with pytest.raises(ValueError):
        _queue(db, user, "video", "clip.mp4", b"x")


async def test_a_shared_file_goes_to_each_reader_once_across_a_restart(db: Database) -> None:
    def readers(session: Session) -> list[User]:
        found = [User(telegram_id=tid, display_name=f"reader {tid}") for tid in (5001, 5002)]
        session.add_all(found)
        session.flush()
        return found

    for user in db.call(readers):
        db.call(
            outbox.enqueue_file,
            user=user,
            template="test.file",
            kind="photo",
            filename="chart.png",
            content=b"\x89PNG shared",
            dedupe_key=f"test:chart:{user.telegram_id}",
            share_key="test:chart",
            not_before=NOW,
        )
    assert db.call(lambda s: len(s.exec(select(OutboxFile)).all())) == 1
    bot = UploadBot(fail=1)  # the first upload fails: that row waits for its retry
    await _worker(db, bot, [NOW]).deliver_due(NOW)
    later = NOW.replace(minute=5)
    await _worker(db, bot, [later]).deliver_due(later)  # a restarted process
    await _worker(db, bot, [later]).deliver_due(later)  # and another: nothing more
    assert sorted(bot.calls) == [
        ("photo", 5001, b"\x89PNG shared", None, "chart.png"),
        ("photo", 5002, b"\x89PNG shared", None, "chart.png"),
    ]
    rows = db.call(lambda s: list(s.exec(select(OutboxMessage)).all()))
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
