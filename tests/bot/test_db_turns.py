"""Units of work on one SQLite file take turns in this process instead of polling its lock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select

from bot.db import Database, upgrade
from models import InboxUpdate


def two_connections(tmp_path: Path) -> tuple[Database, Database]:
    """The handlers' and the inbox's databases on one SQLite file."""
    url = f"sqlite:///{tmp_path}/turns.db"
    upgrade(url)
    return Database(url), Database(url)


def store_and_hold(writing: threading.Event, release: threading.Event) -> Callable[[Session], None]:
    """A unit that writes an update, says so, and keeps its transaction open until released."""

    def store(session: Session) -> None:
        session.add(InboxUpdate(update_id=1, payload={}))
        session.flush()
        writing.set()
        release.wait(10)

    return store


def test_units_of_work_on_one_sqlite_file_take_turns(tmp_path: Path) -> None:
    # The handlers', the inbox's and the outbox's connections: a unit of one waits for the
    # unit under way on another, then starts at once (SQLite alone makes it sleep and retry).
    handlers, inbox = two_connections(tmp_path)
    writing, release = threading.Event(), threading.Event()
    stored: list[list[int]] = []

    def look(session: Session) -> None:
        stored.append(list(session.exec(select(InboxUpdate.update_id)).all()))

    first = threading.Thread(target=inbox.call, args=(store_and_hold(writing, release),))
    second = threading.Thread(target=handlers.call, args=(look,))
    try:
        first.start()
        assert writing.wait(10)
        second.start()
        second.join(0.3)
        assert second.is_alive() and stored == []  # waiting for its turn, not reading yet
        release.set()
        first.join(10)
        second.join(10)
        assert stored == [[1]]  # it began after the first unit had committed
        # A unit inside another on the same thread is part of its turn: no waiting on itself.
        assert handlers.call(lambda _s: inbox.call(lambda s: s.get(InboxUpdate, 1))) is not None
    finally:
        release.set()
        handlers.dispose()
        inbox.dispose()


async def test_a_long_read_takes_no_turn(tmp_path: Path) -> None:
    # A year's statistics read for seconds; the inbox and the outbox write meanwhile.
    handlers, inbox = two_connections(tmp_path)
    writing, release = threading.Event(), threading.Event()

    def look(session: Session) -> list[int]:
        return list(session.exec(select(InboxUpdate.update_id)).all())

    first = threading.Thread(target=inbox.call, args=(store_and_hold(writing, release),))
    try:
        first.start()
        assert writing.wait(10)
        async with asyncio.timeout(5):
            assert await handlers.read(look) == []  # done while the write is still open
        release.set()
        first.join(10)
        assert inbox.call(look) == [1]
    finally:
        release.set()
        first.join(10)
        handlers.dispose()
        inbox.dispose()


def test_other_databases_and_memory_take_no_turns() -> None:
    # PostgreSQL has row locks and many writers; an in-memory SQLite is one connection's own.
    for url in ("sqlite://", "postgresql+psycopg://u@127.0.0.1:1/x"):
        database = Database(url)
        try:
            assert database._turn is None
        finally:
            database.dispose()


async def test_a_free_turn_runs_on_the_loop_and_a_taken_one_never_stalls_it(tmp_path: Path) -> None:
    # An answer's short units run right on the event loop; while another thread's unit holds
    # the file, the next one waits on the database thread and the bot goes on meanwhile.
    handlers, inbox = two_connections(tmp_path)
    loop_thread = threading.get_ident()
    writing, release = threading.Event(), threading.Event()

    def look(session: Session) -> tuple[int, list[int]]:
        return threading.get_ident(), list(session.exec(select(InboxUpdate.update_id)).all())

    first = threading.Thread(target=inbox.call, args=(store_and_hold(writing, release),))
    try:
        assert await handlers.run(look) == (loop_thread, [])
        first.start()
        assert writing.wait(10)
        waiting = asyncio.create_task(handlers.run(look))
        await asyncio.sleep(0.2)  # the loop turns (a blocked loop would free it only after 10 s)
        assert not waiting.done()
        release.set()
        async with asyncio.timeout(10):
            thread, stored = await waiting
        assert thread != loop_thread and stored == [1]
    finally:
        release.set()
        first.join(10)
        handlers.dispose()
        inbox.dispose()
