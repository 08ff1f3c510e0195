"""One run per bot (a fresh emulator, the bot in its own process, the load here) and its figures."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.intake import delivery
from benchmarks.intake.children import Child, own_cpu
from benchmarks.intake.inbox import Inbox
from benchmarks.intake.load import ClosedPacing, Load, Member, Pacing, PoissonPacing
from benchmarks.intake.scripts import DubanScript, EchoScript
from benchmarks.intake.world import (
    DISPATCH_DESKS,
    demo_people,
    liaisons_by_department,
    prepare_database,
    simulated_enterprises,
)
from sandbox.client import SandboxClient

QUIET_SECONDS = 3.0  # no bot message for this long: the outbox has drained


@dataclass
class Params:
    enterprises: int
    cases: int
    departments_per_case: int
    concurrency: int
    max_seconds: float
    answer_timeout: float
    rate_limiter: bool
    drain: bool
    database: str
    bots: tuple[str, ...]
    rate: float | None = None  # open loop: user messages a second (Poisson arrivals)
    seed: int | None = None

    @property
    def expected(self) -> int:
        return self.enterprises * self.cases * (2 + 2 * self.departments_per_case)


@dataclass
class People:
    """The simulated people of one run, as the load generator sees them."""

    members: dict[int, Member]
    enterprises: list[Member]
    desks: list[Member]
    liaisons: dict[str, Member]


@dataclass
class Outcome:
    bot: str
    complete: bool
    tally: Any
    wall: float
    drained_after: float
    bot_messages: int
    bot_ready: dict[str, Any]
    bot_before: dict[str, Any]
    bot_after: dict[str, Any]
    sandbox_cpu: float
    load_cpu: float
    bot_messages_in_run: int = 0
    bot_final: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, int] = field(default_factory=dict)
    delivery: delivery.Delivery = field(default_factory=delivery.Delivery)
    idle_arrivals: int = 0

    def percentile(self, q: int) -> float:
        values = sorted(self.tally.latencies)
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0] * 1000
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000

    @property
    def bot_cpu(self) -> float:
        return self.bot_after.get("cpu_s", 0.0) - self.bot_before.get("cpu_s", 0.0)

    @property
    def thread_cpu(self) -> dict[str, float]:
        before = self.bot_before.get("threads", {})
        after = self.bot_after.get("threads", {})
        spent = {name: cpu - before.get(name, 0.0) for name, cpu in after.items()}
        return {name: round(cpu, 2) for name, cpu in spent.items() if cpu > 0.005}

    def figures(self) -> dict[str, Any]:
        t = self.tally
        sending = t.last_send - t.first_send
        return {
            "bot": self.bot,
            "complete": self.complete,
            "user_messages": t.sent,
            "answered": t.answered,
            "refusals": t.refusals,
            "timeouts": t.timeouts,
            "cases_filed": t.cases_filed,
            "cases_completed": t.cases_completed,
            "wall_s": round(self.wall, 3),
            "updates_per_s": round(t.answered / self.wall, 2) if self.wall > 0 else 0.0,
            "sent_per_s": round((t.sent - 1) / sending, 2) if sending > 0 else 0.0,
            "idle_arrivals": self.idle_arrivals,
            "latency_ms": {f"p{q}": round(self.percentile(q), 1) for q in (50, 95, 99)},
            "bot_peak_rss_mib": round(self.bot_final.get("maxrss_kib", 0) / 1024, 1),
            "bot_rss_after_start_mib": round(self.bot_ready.get("rss_kib", 0) / 1024, 1),
            "bot_cpu_s": round(self.bot_cpu, 2),
            "bot_cpu_ms_per_update": round(1000 * self.bot_cpu / max(t.answered, 1), 2),
            "bot_thread_cpu_s": self.thread_cpu,
            "sandbox_cpu_s": round(self.sandbox_cpu, 2),
            "load_cpu_s": round(self.load_cpu, 2),
            "bot_messages": self.bot_messages,
            "other_bot_messages": self.bot_messages - t.answered,
            "outbox_sent": self.bot_after.get("outbox_sent", 0),
            "bot_messages_per_s": round(self.bot_messages_in_run / self.wall, 2)
            if self.wall
            else 0.0,
            "drained_after_s": round(self.drained_after, 2),
            "updates_per_s_all_delivered": round(t.answered / self.drained_after, 2)
            if self.drained_after > 0
            else 0.0,
            "notifications_by_recipient": self.notifications,
            "notifications": self.delivery.figures(),
        }


def _http(timeout: float) -> httpx.AsyncClient:
    # No connection cap: every simulated person may have a request open at once.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
    return httpx.AsyncClient(timeout=timeout + 30, limits=limits, trust_env=False)


async def _people(client: SandboxClient, params: Params) -> People:
    """Register every persona with the emulator and wrap them for the load generator."""
    members: dict[int, Member] = {}
    for person in demo_people():
        user = await client.persona(person.telegram_id, person.name, person.language)
        members[person.telegram_id] = Member(user, person.language)
    enterprises = []
    for person in simulated_enterprises(params.enterprises):
        user = await client.persona(person.telegram_id, person.name, person.language)
        enterprises.append(Member(user, person.language, one_at_a_time=True))
    liaisons = {code: members[uid] for code, uid in liaisons_by_department().items()}
    return People(members, enterprises, [members[i] for i in DISPATCH_DESKS], liaisons)


def _notifications(inbox: Inbox, load: Load, people: People) -> dict[str, int]:
    """Bot messages that were not answers, by who received them."""
    groups = {m.user_id: "enterprise contacts" for m in people.enterprises}
    groups.update({i: "dispatch desks" for i in DISPATCH_DESKS})
    groups.update({m.user_id: "liaisons" for m in people.liaisons.values()})
    found: Counter[str] = Counter()
    for chat_id, count in inbox.per_chat.items():
        extra = count - load.tally.answers_per_chat.get(chat_id, 0)
        if extra:
            found[groups.get(chat_id, "others (heads, demo contacts)")] += extra
    return dict(found)


def _pacing(params: Params) -> Pacing:
    if params.rate is not None:
        return PoissonPacing(params.rate, params.seed)
    return ClosedPacing(params.concurrency)


async def _measure(
    bot: str, params: Params, client: SandboxClient, bot_child: Child, sandbox: Child
) -> tuple[Outcome, Inbox, Load, People]:
    """Run the workload against a started bot and collect what the load generator saw."""
    people = await _people(client, params)
    inbox = Inbox(client, params.max_seconds * 2 + 60)
    await inbox.start()
    load = Load(
        inbox=inbox,
        script=DubanScript() if bot == "duban" else EchoScript(),
        enterprises=people.enterprises,
        desks=people.desks,
        liaisons=people.liaisons,
        cases=params.cases,
        departments_per_case=params.departments_per_case,
        pacing=_pacing(params),
        answer_timeout=params.answer_timeout,
    )
    bot_before, sandbox_before, load_before = (
        await bot_child.stats(),
        await sandbox.stats(),
        own_cpu(),
    )
    complete = await load.run(params.max_seconds)
    wall = (load.tally.finished or time.monotonic()) - load.tally.started
    bot_after, sandbox_after = await bot_child.stats(), await sandbox.stats()
    load_cpu = own_cpu() - load_before
    in_run = inbox.bot_messages
    if params.drain:
        await inbox.quiet(QUIET_SECONDS, params.max_seconds)
    await inbox.close()
    outcome = Outcome(
        bot=bot,
        complete=complete,
        tally=load.tally,
        wall=wall,
        drained_after=inbox.last_bot_message - load.tally.started,
        bot_messages=inbox.bot_messages,
        bot_ready=bot_child.ready,
        bot_before=bot_before,
        bot_after=bot_after,
        sandbox_cpu=sandbox_after["cpu_s"] - sandbox_before["cpu_s"],
        load_cpu=load_cpu,
        bot_messages_in_run=in_run,
        idle_arrivals=getattr(load.pacing, "idle", 0),
    )
    return outcome, inbox, load, people


async def run_bot(bot: str, params: Params, work: Path, database_url: str) -> Outcome:
    """One bot against a fresh emulator, with the whole workload."""
    lifetime = str(params.max_seconds * 3 + 180)
    sandbox = await Child.start(
        f"{bot} emulator", ["sandbox", "--lifetime", lifetime], work / f"{bot}-sandbox.log"
    )
    bot_child: Child | None = None
    try:
        role_args = ["bot", "--bot", bot, "--url", sandbox.ready["url"]]
        role_args += ["--database-url", database_url, "--lifetime", lifetime]
        role_args.append("--rate-limiter" if params.rate_limiter else "--no-rate-limiter")
        async with _http(params.answer_timeout) as http:
            client = SandboxClient(sandbox.ready["url"], http=http)
            bot_child = await Child.start(f"{bot} bot", role_args, work / f"{bot}-bot.log")
            outcome, inbox, load, people = await _measure(bot, params, client, bot_child, sandbox)
        outcome.notifications = _notifications(inbox, load, people)
        outcome.bot_final = await bot_child.stop()
        bot_child = None
        if bot == "duban":
            rows = await asyncio.to_thread(delivery.outbox_rows, database_url)
            outcome.delivery = delivery.compare(rows, inbox.texts)
        return outcome
    finally:
        if bot_child is not None:
            await bot_child.stop()
        await sandbox.stop()


def _database(params: Params, work: Path, pg: Any) -> tuple[str, str]:
    """duban's database URL and how the report names it."""
    if pg is not None:
        return pg.create_database("intake_bench"), "PostgreSQL (tests/pgserver.py)"
    if params.database == "sqlite":
        return f"sqlite:///{work}/duban.db", "SQLite (file)"
    return params.database, params.database.split(":", 1)[0]


async def benchmark(params: Params, work: Path, machine: str) -> dict[str, Any]:
    """Both runs; returns {"header": ..., "results": {bot: figures}}."""
    pg = None
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = os.getloadavg()
    try:
        if params.database == "postgres":
            from tests.pgserver import PgServer

            pg = PgServer().start()
        results: dict[str, dict[str, Any]] = {}
        database = "SQLite (file)"
        for bot in params.bots:
            url = "sqlite://"
            if bot == "duban":
                url, database = _database(params, work, pg)
                people = simulated_enterprises(params.enterprises)
                await asyncio.to_thread(prepare_database, url, people)
            outcome = await run_bot(bot, params, work, url)
            results[bot] = outcome.figures()
        header = {
            "date": started,
            "load_average": [round(x, 2) for x in load_before + os.getloadavg()],
            "machine": machine,
            "database": database,
            "rate_limiter": "on (AIORateLimiter, as in production)"
            if params.rate_limiter
            else "off",
            "expected": params.expected,
            "params": params.__dict__,
        }
        return {"header": header, "results": results}
    finally:
        if pg is not None:
            pg.stop()
