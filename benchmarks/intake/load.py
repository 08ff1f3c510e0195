"""The load generator: simulated people working cases from report to completion, many at once.

Closed loop (``ClosedPacing``): at most ``--concurrency`` user messages unanswered at a time.
Open loop (``PoissonPacing``): user messages leave at the arrivals of a Poisson process of
``--rate`` a second, whatever the answers; a follow-up (dispatch, ack, done) whose answer it
needs has arrived goes before a new case.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchmarks.intake.inbox import Inbox
from benchmarks.intake.scripts import CATEGORIES, RESULT, Refusal, Script, Step, description
from sandbox.client import SandboxUser

FOLLOW_UP, NEW_CASE = 0, 1


class BenchFailure(Exception):
    """A user did not get the answer the workload needs (refusal or no answer)."""


@dataclass
class Member:
    """One simulated person: their chat, language, and whether they wait.

    An enterprise contact sends one message at a time (the answer names the new case, so
    it could not be told apart from the next one's); desks and liaisons work through their
    queue without waiting, since every answer names the case or assignment it is about.
    """

    user: SandboxUser
    language: str
    one_at_a_time: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def user_id(self) -> int:
        return self.user.user_id


@dataclass
class Tally:
    """What one run measured on the load generator's side."""

    sent: int = 0
    answered: int = 0
    refusals: list[str] = field(default_factory=list)
    timeouts: int = 0
    cases_filed: int = 0
    cases_completed: int = 0
    answers_per_chat: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    first_send: float = 0.0
    last_send: float = 0.0


class Pacing(Protocol):
    async def acquire(self, priority: int) -> None: ...
    def release(self) -> None: ...
    async def run(self) -> None: ...


class ClosedPacing:
    """At most ``concurrency`` messages unanswered at a time."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)

    async def acquire(self, priority: int) -> None:
        await self.slots.acquire()

    def release(self) -> None:
        self.slots.release()

    async def run(self) -> None:
        return None


class PoissonPacing:
    """Lets one waiting message go at each arrival of a Poisson process of ``rate`` a second."""

    def __init__(self, rate: float, seed: int | None = None) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.queues: tuple[deque[asyncio.Future], ...] = (deque(), deque())
        self.arrivals = 0
        self.idle = 0  # arrivals with nothing ready to send (every case waiting for an answer)

    async def acquire(self, priority: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self.queues[priority].append(future)
        await future

    def release(self) -> None:
        return None

    async def run(self) -> None:
        """Release waiting senders at Poisson arrivals until cancelled."""
        at = time.monotonic()
        while True:
            # Absolute arrival times, so a late wake-up does not slow the process down.
            at += self.rng.expovariate(self.rate)
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            self.arrivals += 1
            if not self._release_one():
                self.idle += 1

    def _release_one(self) -> bool:
        for queue in self.queues:
            while queue and queue[0].done():
                queue.popleft()
            if queue:
                queue.popleft().set_result(None)
                return True
        return False


class Load:
    """Drives the workload: every case from report to completion, many at once."""

    def __init__(
        self,
        *,
        inbox: Inbox,
        script: Script,
        enterprises: list[Member],
        desks: list[Member],
        liaisons: dict[str, Member],
        cases: int,
        departments_per_case: int,
        pacing: Pacing,
        answer_timeout: float,
    ) -> None:
        self.inbox = inbox
        self.script = script
        self.enterprises = enterprises
        self.desks = desks
        self.liaisons = liaisons
        self.departments = list(liaisons)
        self.cases = cases
        self.departments_per_case = departments_per_case
        self.pacing = pacing
        self.answer_timeout = answer_timeout
        self.tally = Tally()

    async def say(self, member: Member, step: Step, priority: int = FOLLOW_UP) -> Any:
        """Send one message as ``member`` when the pacing allows, and wait for its answer."""
        async with member.lock if member.one_at_a_time else contextlib.nullcontext():
            await self.pacing.acquire(priority)
            try:
                result, latency = await self._exchange(member, step)
            finally:
                self.pacing.release()
        self.tally.answered += 1
        self.tally.answers_per_chat[member.user_id] += 1
        self.tally.latencies.append(latency)
        self.tally.finished = time.monotonic()
        if isinstance(result, Refusal):
            self.tally.refusals.append(f"{step[0][:60]!r} -> {result.text[:160]!r}")
            raise BenchFailure(result.text)
        return result

    async def _exchange(self, member: Member, step: Step) -> tuple[Any, float]:
        text, accept = step
        sent = await member.user.send(text)
        now = time.monotonic()
        self.tally.first_send = self.tally.first_send or now
        self.tally.last_send = now
        self.tally.sent += 1
        waiter = self.inbox.expect(member.user_id, sent.seq, accept)
        try:
            return await asyncio.wait_for(waiter.future, self.answer_timeout)
        except TimeoutError:
            self.tally.timeouts += 1
            raise BenchFailure(f"no answer to {text!r} for {member.user_id}") from None
        finally:
            self.inbox.forget(member.user_id, waiter)

    async def case(self, index: int) -> None:
        enterprise = self.enterprises[index % len(self.enterprises)]
        category = CATEGORIES[index % len(CATEGORIES)]
        text = description(index, enterprise.user_id)
        report = self.script.report(enterprise.language, category, text)
        case = await self.say(enterprise, report, NEW_CASE)
        self.tally.cases_filed += 1
        desk = self.desks[index % len(self.desks)]
        first = index % len(self.departments)
        chosen = [
            self.departments[(first + k) % len(self.departments)]
            for k in range(self.departments_per_case)
        ]
        numbers = await self.say(desk, self.script.dispatch(desk.language, case, chosen))
        if len(numbers) != len(chosen):
            raise BenchFailure(f"{case}: {len(numbers)} assignments for {len(chosen)} departments")
        await asyncio.gather(
            *(
                self.assignment(self.liaisons[dept], num)
                for dept, num in zip(chosen, numbers, strict=True)
            )
        )
        self.tally.cases_completed += 1

    async def assignment(self, liaison: Member, number: str) -> None:
        await self.say(liaison, self.script.ack(liaison.language, number))
        await self.say(liaison, self.script.done(liaison.language, number, RESULT))

    async def run(self, limit: float) -> bool:
        """Every case at once (the pacing spaces them); False if cut off at ``limit``."""
        self.tally.started = time.monotonic()
        total = len(self.enterprises) * self.cases
        pacer = asyncio.create_task(self.pacing.run(), name="pacing")
        tasks = [asyncio.create_task(self.case(i)) for i in range(total)]
        try:
            done, pending = await asyncio.wait(tasks, timeout=limit)
        finally:
            pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pacer
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, BenchFailure):
                raise error
        return not pending
