"""Stopping ends the bot's loops even when they are woken at the very moment they are stopped.

Python 3.11's asyncio.wait_for returns normally when a cancel arrives just as the awaited event
is set; a loop built on it kept running, and the sandbox's "Restart demo" waited for it for ever
when it was pressed while notifications were being sent.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.db import Database
from bot.startup import Stopped, _pause
from tests.bot.test_outbox_worker import Clock, FakeBot, make_worker

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="stopping the outbox loop is asyncio timing, not SQL",
)

STOP_WITHIN = 5


async def test_the_outbox_stops_when_it_is_woken_and_stopped_at_once(db: Database) -> None:
    worker = make_worker(db, FakeBot(), Clock(), idle_poll=30)
    await worker.start()
    loop_task = worker._task
    assert loop_task is not None
    await asyncio.sleep(0.5)  # the loop has looked for rows and now waits to be woken
    # A lane finishing (kick) and the shutdown (stop) in the same turn of the event loop.
    worker.kick()
    stopping = asyncio.create_task(worker.stop())
    # asyncio.wait, not wait_for: cancelling a stuck stop() would cancel the loop for it.
    done, _ = await asyncio.wait({stopping}, timeout=STOP_WITHIN)
    assert stopping in done, "stop() still waits for the delivery loop"
    assert loop_task.done()


async def test_a_pause_cancelled_as_the_stop_arrives_is_cancelled() -> None:
    stop = asyncio.Event()
    pausing = asyncio.create_task(_pause(30, stop))
    await asyncio.sleep(0.05)
    stop.set()
    pausing.cancel()
    done, _ = await asyncio.wait({pausing}, timeout=STOP_WITHIN)
    assert pausing in done and pausing.cancelled()


async def test_a_pause_ends_with_stopped_when_the_stop_is_set() -> None:
    stop = asyncio.Event()
    pausing = asyncio.create_task(_pause(30, stop))
    await asyncio.sleep(0.05)
    stop.set()
    with pytest.raises(Stopped):
        await asyncio.wait_for(pausing, STOP_WITHIN)
