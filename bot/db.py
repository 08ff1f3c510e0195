"""Database engine, one session per unit of work, and migrations."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session

import models  # noqa: F401  (registers every table)
from services.org import SyncResult, sync_organisation

if TYPE_CHECKING:
    from bot.settings import Settings

T = TypeVar("T")
P = ParamSpec("P")
MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10
) -> Engine:
    """Create an engine; SQLite gets a directory, foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
    )


# One lock per SQLite file, shared by this process's connections to it (the handlers', the
# inbox's, the outbox's): SQLite lets one connection write at a time and makes the others
# poll for its lock, sleeping 1, 2, 5 … 100 ms between tries, so a unit of work that met
# another's write waited up to a sleep longer than that write. Taking turns here, the next
# unit starts the moment the last one ends. Other processes still meet SQLite's own lock.
_TURNS: dict[str, threading.RLock] = {}
_TURNS_LOCK = threading.Lock()


def _turn_of(url: str) -> threading.RLock | None:
    """The lock of a SQLite file (None for other databases and for in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:":
        return None
    with _TURNS_LOCK:
        return _TURNS.setdefault(str(Path(database).resolve()), threading.RLock())


LOADED = "db.loaded"  # session.info: the rows a unit of work loaded, held until it ends


@sa.event.listens_for(Session, "loaded_as_persistent")
def _keep_loaded(session: Session, row: object) -> None:
    """Hold every row the unit of work loads until it ends.

    The session's identity map holds rows weakly: a row a service loaded, used and let go
    (a case, its department, its enterprise) was loaded again by the next look-up in the same
    transaction. Kept, ``session.get`` finds it without a query. Only for one unit of work;
    one listener for every session (listening on each new session cost more than a query).
    """
    held = session.info.get(LOADED)
    if held is not None:
        held.append(row)


class Database:
    """The engine plus the ways to run a unit of work against it."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
        threads: int = 8,
    ) -> None:
        """The defaults are those of settings' ``[database]``; pools matter on PostgreSQL only."""
        self.url = url
        self.engine = make_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow)
        # SQLite has one writer; one worker thread avoids lock contention entirely.
        workers = 1 if url.startswith("sqlite") else threads
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")
        self._running: set[asyncio.Future[Any]] = set()  # units of work queued or running
        self._turn = _turn_of(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One session per unit of work: commit on success, roll back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.info[LOADED] = []
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, *args, **kwargs)`` as one transaction."""
        return self._unit(self._turn, fn, *args, **kwargs)

    def _unit(
        self,
        turn: threading.RLock | None,
        fn: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with turn or nullcontext(), self.session() as session:
            return fn(session, *args, **kwargs)

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like call(), off the event loop so a slow database never stalls the bot.

        On a SQLite file whose turn is free, the unit runs on the event loop at once instead:
        an answer's few short units then cost no thread hand-offs, each of which waits for the
        interpreter lock while other work holds it. A turn in use (another thread's unit) is
        waited for on the database thread, never by the event loop. A unit run here lets no
        other task in before it: a caller looping over units yields by itself.
        """
        turn = self._turn
        if turn is not None and turn.acquire(blocking=False):
            try:
                return self._unit(turn, fn, *args, **kwargs)
            finally:
                turn.release()
        return await self._submit(functools.partial(self.call, fn, *args, **kwargs))

    async def read(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like run(), for a long unit that only reads (a year's statistics).

        On a SQLite file it takes no turn: WAL lets the inbox and the outbox write while it
        reads, so they need not wait seconds for it. Should it write after all, SQLite's own
        lock still keeps that safe.
        """
        return await self._submit(functools.partial(self._unit, None, fn, *args, **kwargs))

    async def _submit(self, unit: Callable[[], T]) -> T:
        future = asyncio.get_running_loop().run_in_executor(self._executor, unit)
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return await future

    @asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Count the enclosed work (a handler's whole update, its answer included) as running
        here: ``quiet`` waits for it as for a unit of work."""
        token = asyncio.get_running_loop().create_future()
        self._running.add(token)
        try:
            yield
        finally:
            self._running.discard(token)
            token.set_result(None)

    async def quiet(self, limit: float) -> None:
        """Wait until no unit of work is queued or running here, at most ``limit`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while self._running and (left := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._running), timeout=left)

    async def offload(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args)`` on the database thread(s) without opening a session for it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def dispose(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the data directory
    command.upgrade(alembic_config(url), revision)


def upgrade_and_sync(
    settings: Settings,
    *,
    allow_empty: bool = False,
    seed: Callable[[Session], object] | None = None,
) -> SyncResult:
    """Apply migrations, mirror the organisation from settings, then ``seed`` if given."""
    url = settings.database.url
    upgrade(url)
    db = Database(url)
    try:
        org = settings.organisation
        result = db.call(
            sync_organisation,
            parks=org.parks,
            departments=org.departments,
            allow_empty=allow_empty,
        )
        if seed is not None:
            db.call(seed)
        return result
    finally:
        db.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
