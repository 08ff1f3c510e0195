"""The outbox's pacing keeps within Telegram's limits by itself: overall and per chat."""

from __future__ import annotations

import asyncio

from bot.pacing import Pacer


class FakeTime:
    """A monotonic clock that only sleeping moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def sends_per_window(times: list[float], window: float) -> int:
    """The most sends within any ``window`` seconds."""
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_one_chat_gets_a_short_burst_then_one_a_second() -> None:
    time = FakeTime()
    pacer = Pacer(rate=25, burst=10, chat_rate=1, chat_burst=2, clock=time, sleep=time.sleep)
    times = []
    for _ in range(12):
        await pacer.wait(7)
        times.append(time.now)
    assert times[:2] == [0.0, 0.0]  # a short burst goes at once
    assert times[-1] >= 10.0  # then one a second
    assert sends_per_window(times[2:], 1.0) == 1


async def test_many_chats_share_the_overall_budget() -> None:
    time = FakeTime()
    pacer = Pacer(rate=25, burst=10, chat_rate=1, chat_burst=2, clock=time, sleep=time.sleep)
    times: list[float] = []

    async def lane(chat_id: int) -> None:
        for _ in range(3):
            await pacer.wait(chat_id)
            times.append(time.now)

    await asyncio.gather(*(lane(chat) for chat in range(200)))
    assert len(times) == 600
    # 600 messages at 25 a second after a burst of 10: no second ever carries more than 35.
    assert sends_per_window(sorted(times), 1.0) <= 25 + 10
    assert max(times) >= (600 - 10) / 25 - 0.01
