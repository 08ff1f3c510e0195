"""This process in the database: a heartbeat row, and in polling mode the one-poller lock."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from bot.db import Database
from models import ProcessLock
from models.types import utcnow

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=5)
# A heartbeat older than this means the process is gone (it beats every HEARTBEAT).
STALE = timedelta(seconds=20)
INSTANCE_PREFIX = "instance:"


class AlreadyRunning(RuntimeError):
    """Another process polls for this bot on this database."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Instance:
    """One running bot process, as the database sees it."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.host = (host or socket.gethostname())[:255]
        self.pid = pid or os.getpid()
        self.polling_lock: str | None = None  # the lock's name once held
        self._pg_lock: sa.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def postgres(self) -> bool:
        return self.db.url.startswith("postgresql")

    def _alive(self, row: ProcessLock, now: datetime) -> bool:
        if row.owner == self.owner:
            return True
        if row.heartbeat_at < now - STALE:
            return False
        # On this machine a process id answers at once: a killed process needs no wait.
        return row.host != self.host or pid_alive(row.pid)

    # -- registration and heartbeat ------------------------------------------------------------

    def register(self) -> None:
        """Write this process's heartbeat row (others read it to know who is alive)."""
        self.db.call(self._upsert, INSTANCE_PREFIX + self.owner)

    def _upsert(self, session: Session, name: str) -> None:
        now = self.clock()
        row = session.get(ProcessLock, name)
        row = row or ProcessLock(name=name, owner=self.owner, host=self.host, pid=self.pid)
        row.owner, row.host, row.pid, row.heartbeat_at = self.owner, self.host, self.pid, now
        session.add(row)

    def beat(self) -> None:
        def touch(session: Session) -> None:
            session.exec(
                update(ProcessLock)
                .where(ProcessLock.owner == self.owner)  # type: ignore[arg-type]
                .values(heartbeat_at=self.clock())
            )

        self.db.call(touch)

    async def start_heartbeat(self) -> None:
        self._task = asyncio.create_task(self._beat_loop(), name="heartbeat")

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                await self.db.offload(self.beat)
            except Exception:
                log.exception("could not record the heartbeat")

    def live_owners(self, session: Session) -> set[str]:
        """Owners whose leases must be respected: this process, and others still alive."""
        if self.polling_lock is not None:
            return {self.owner}  # the only poller: every other lease is a dead process's
        now = self.clock()
        rows = session.exec(
            select(ProcessLock).where(col(ProcessLock.name).startswith(INSTANCE_PREFIX))
        ).all()
        return {row.owner for row in rows if self._alive(row, now)}

    # -- the polling lock ------------------------------------------------------------------------

    def acquire_polling(self, bot_id: str) -> None:
        """Become the one process polling for ``bot_id``, or raise AlreadyRunning."""
        name = f"polling:{bot_id}"
        if self.postgres:
            # A session lock dies with its connection, so a killed process frees it at once.
            connection = self.db.engine.connect()
            connection.detach()  # closing it must end the session, not return it to the pool
            got = connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(name)}
            ).scalar()
            connection.commit()
            if not got:
                connection.close()
                raise AlreadyRunning(self._holder(name))
            self._pg_lock = connection
        elif not self.db.call(self._take_row, name):
            raise AlreadyRunning(self._holder(name))
        self.db.call(self._upsert, name)
        self.polling_lock = name

    def _take_row(self, session: Session, name: str) -> bool:
        now = self.clock()
        held = session.get(ProcessLock, name)
        if held is None:
            session.add(ProcessLock(name=name, owner=self.owner, host=self.host, pid=self.pid))
            try:
                session.flush()
            except IntegrityError:
                return False  # another process took it this very moment
            return True
        if self._alive(held, now):
            return False
        # Take it over from a process that is gone, unless another one just did.
        taken = session.exec(
            update(ProcessLock)
            .where(ProcessLock.name == name, ProcessLock.owner == held.owner)  # type: ignore[arg-type]
            .values(owner=self.owner, host=self.host, pid=self.pid, heartbeat_at=now)
        )
        return bool(taken.rowcount)

    def _holder(self, name: str) -> str:
        row = self.db.call(lambda session: session.get(ProcessLock, name))
        who = f" (process {row.pid} on {row.host})" if row is not None else ""
        return f"another duban process already runs for this bot on this database{who}"

    async def stop(self) -> None:
        """Stop the heartbeat and forget this process (a clean shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.db.offload(self.release)

    def release(self) -> None:
        """Forget this process: its rows, and the polling lock if it held it."""

        def forget(session: Session) -> None:
            session.exec(delete(ProcessLock).where(ProcessLock.owner == self.owner))  # type: ignore[arg-type]

        with contextlib.suppress(Exception):
            self.db.call(forget)
        if self._pg_lock is not None:
            with contextlib.suppress(Exception):
                self._pg_lock.close()
            self._pg_lock = None
        self.polling_lock = None


def hold_polling_or_exit(application: object) -> None:
    """Take the polling lock for the application's bot, or end the program with a clear line."""
    instance: Instance = application.bot_data["deps"].extras["instance"]  # type: ignore[attr-defined]
    bot_id = application.bot.token.split(":", 1)[0]  # type: ignore[attr-defined]
    try:
        instance.acquire_polling(bot_id)
    except AlreadyRunning as exc:
        print(f"duban: {exc}; not starting a second one", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
