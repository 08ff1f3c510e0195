"""One polling process per bot and database; the first is never disturbed by a second."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.lock import STALE, AlreadyRunning, Instance
from models import ProcessLock
from sandbox.server import running_in_thread
from tests.conftest import REPO_ROOT

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def simulate_kill(instance: Instance) -> None:
    """The process dies without cleaning up: on PostgreSQL its connection closes."""
    if instance._pg_lock is not None:
        instance._pg_lock.close()
        instance._pg_lock = None


def test_a_second_poller_is_refused_and_the_first_keeps_its_lock(db: Database) -> None:
    first, second = Instance(db), Instance(db)
    first.acquire_polling("42")
    with pytest.raises(AlreadyRunning, match="already runs for this bot on this database"):
        second.acquire_polling("42")
    with pytest.raises(AlreadyRunning):  # trying did not weaken the first one's hold
        Instance(db).acquire_polling("42")
    assert first.polling_lock == "polling:42"
    Instance(db).acquire_polling("43")  # another bot on the same database is fine
    first.release()
    second.acquire_polling("42")  # a clean stop frees it
    second.release()


def test_a_killed_pollers_lock_is_taken_over_at_once(db: Database) -> None:
    clock = Clock()
    crashed = Instance(db, clock=clock, pid=dead_pid())
    crashed.acquire_polling("42")
    simulate_kill(crashed)
    successor = Instance(db, clock=clock)  # same machine, the clock has not moved
    successor.acquire_polling("42")
    assert successor.polling_lock == "polling:42"
    successor.release()


def test_a_silent_poller_elsewhere_is_taken_over_after_its_heartbeat_stops(
    db: Database, session: Session
) -> None:
    clock = Clock()
    remote = Instance(db, clock=clock, host="other-machine", pid=1)
    remote.acquire_polling("42")
    clock.now += STALE - timedelta(seconds=1)
    with pytest.raises(AlreadyRunning, match="process 1 on other-machine"):
        Instance(db, clock=clock).acquire_polling("42")
    clock.now += timedelta(seconds=2)
    if db.url.startswith("postgresql"):
        # The advisory lock lives as long as the holder's connection, heartbeat or not.
        with pytest.raises(AlreadyRunning):
            Instance(db, clock=clock).acquire_polling("42")
        simulate_kill(remote)
    successor = Instance(db, clock=clock)
    successor.acquire_polling("42")
    session.rollback()
    held = session.exec(select(ProcessLock).where(ProcessLock.name == "polling:42")).one()
    assert held.owner == successor.owner


def test_live_owners_are_the_processes_with_a_fresh_heartbeat(db: Database) -> None:
    clock = Clock()
    gone = Instance(db, clock=clock, pid=dead_pid())
    quiet = Instance(db, clock=clock, host="other-machine", pid=7)
    alive = Instance(db, clock=clock, host="other-machine", pid=8)
    me = Instance(db, clock=clock)
    for instance in (gone, quiet, alive, me):
        instance.register()
    clock.now += STALE + timedelta(seconds=1)
    alive.beat()
    assert db.call(me.live_owners) == {me.owner, alive.owner}
    me.acquire_polling("42")
    # The poller holds the lock: any other lease belongs to a process that is gone.
    assert db.call(me.live_owners) == {me.owner}


def duban_run(db_url: str, api: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_SETTINGS=str(REPO_ROOT / "settings.toml"),
        DUBAN_DATABASE__URL=db_url,
        DUBAN_TELEGRAM__TOKEN="1000001:lock-test-token",
        DUBAN_TELEGRAM__BASE_URL=f"{api}/bot",
        DUBAN_TELEGRAM__BASE_FILE_URL=f"{api}/file/bot",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_second_duban_run_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    with running_in_thread(port=0) as telegram:
        first = duban_run(db_url, telegram.url, tmp_path)
        try:
            assert first.stdout is not None
            deadline = time.monotonic() + 60
            for line in first.stdout:  # wait until the first one polls
                if "Application started" in line or time.monotonic() > deadline:
                    break
            second = duban_run(db_url, telegram.url, tmp_path)
            output, _ = second.communicate(timeout=60)
            assert second.returncode == 2
            assert (
                "duban: another duban process already runs for this bot on this database" in output
            )
            assert "Traceback" not in output
            assert first.poll() is None  # the first one runs on, undisturbed
        finally:
            first.terminate()
            first.wait(timeout=30)
