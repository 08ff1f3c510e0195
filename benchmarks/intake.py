"""Intake benchmark: duban under many enterprises and liaisons at once, against an echo bot.

Run ``python -m benchmarks.intake`` (``--help`` for the options; benchmarks/README.md explains
every figure). Three processes take part, so the bot's figures are its own:

* the emulator (``sandbox.server.SandboxServer``, its rate limits off) in one child process;
* the bot under test in another child process: first the real duban Application (built by
  ``bot.app.build_application``, started the way ``run_polling`` starts it, outbox worker and
  sweep job included), then a minimal PTB echo bot with the same builder options, each
  against a fresh emulator with the same personas;
* the load generator in this process: simulated users send commands over the emulator's
  user-side HTTP API, at most ``--concurrency`` messages unanswered at a time, each user one
  message at a time (as a person types).

The workload per case is ``/report <category> <description>`` by an enterprise contact,
``/dispatch <case> <dept>`` by a dispatch desk (the demo dispatcher and the park's two
officers), then ``/ack <assignment>`` and ``/done <assignment> <result>`` by the department's
liaison. The echo bot receives the same users, texts, order and concurrency; its "case" and
"assignment" numbers are made up from the echoes, so both runs have the same shape.

Latency is measured on the emulator's clock: the time it stored the user's message to the
time it stored the bot's answer in that chat. Peak memory is the bot process's RSS high-water
mark (``resource.getrusage``), read in the bot process itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import platform
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script (make bench): the repository's packages come first
    sys.path.insert(0, str(ROOT))
TOKEN = "1000001:intake-benchmark"
BENCH_PREFIX = "BENCH "
ENTERPRISE_BASE_ID = 7_000_000
DISPATCH_DESKS = (2002, 2001, 4002)  # the demo dispatcher and the JH park's two officers
CATEGORIES = ("permit", "utility", "land", "dispute", "other")
NUMBER_RE = r"\d{4}-\d{4,}"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
QUIET_SECONDS = 3.0  # no bot message for this long: the outbox has drained
POLL_SLICE = 1.0

log = logging.getLogger("benchmarks.intake")


# ==============================================================================================
# Child processes: the emulator and the bot under test
# ==============================================================================================


def _emit(kind: str, **payload: Any) -> None:
    """One line to the parent on stdout; anything else a library prints there is ignored."""
    sys.stdout.write(BENCH_PREFIX + json.dumps({"kind": kind, **payload}) + "\n")
    sys.stdout.flush()


def _thread_cpu() -> dict[str, float]:
    """CPU seconds per Python thread of this process, grouped by name (Linux only)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.native_id is None:
            continue
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        name = re.sub(r"[_-]\d+$", "", thread.name)
        found[name] = round(found.get(name, 0.0) + seconds, 3)
    return found


def _process_stats() -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        rss_kib = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    return {
        "maxrss_kib": usage.ru_maxrss,  # kilobytes on Linux
        "rss_kib": rss_kib,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "threads": _thread_cpu(),
    }


def _watch_parent(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, extra: Callable) -> None:
    """Serve ``stats`` requests from stdin; end of input (parent gone or done) stops us."""

    def read() -> None:
        for line in sys.stdin:
            if line.strip() == "stats":
                loop.call_soon_threadsafe(lambda: _emit("stats", **_process_stats(), **extra()))
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read, name="parent-watch", daemon=True).start()


async def _serve_sandbox(args: argparse.Namespace) -> None:
    from sandbox.server import SandboxServer

    server = SandboxServer(host="127.0.0.1", port=0, rate_limits=False)
    await server.start()
    stop = asyncio.Event()
    _watch_parent(asyncio.get_running_loop(), stop, dict)
    _emit("ready", url=server.url, **_process_stats())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    finally:
        await server.stop()
    _emit("final", **_process_stats())


def build_echo_application(settings: Any, *, base_url: str, rate_limiter: bool) -> Any:
    """The bare framework: one MessageHandler replying with the text, duban's builder options."""
    from telegram import Update
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        ContextTypes,
        Defaults,
        MessageHandler,
        filters,
    )

    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .defaults(Defaults(tzinfo=settings.time.zone))
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.concurrent_updates(True).build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await context.bot.send_message(message.chat_id, message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def _serve_bot(args: argparse.Namespace) -> None:
    from bot.app import build_application
    from bot.db import Database
    from bot.settings import load_settings

    settings = load_settings(database={"url": args.database_url})
    if args.bot == "duban":
        app = build_application(
            settings,
            token=TOKEN,
            base_url=f"{args.url}/bot",
            base_file_url=f"{args.url}/file/bot",
            db=Database(args.database_url),
            sla_profile="standard",
            rate_limiter=args.rate_limiter,
        )
    else:
        app = build_echo_application(settings, base_url=args.url, rate_limiter=args.rate_limiter)

    def extra() -> dict[str, Any]:
        deps = app.bot_data.get("deps")
        outbox = getattr(deps, "outbox", None)
        return {"outbox_sent": outbox.sent if outbox is not None else 0}

    # As Application.run_polling does it (and tests/e2e/harness.py).
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    stop = asyncio.Event()
    _watch_parent(asyncio.get_running_loop(), stop, extra)
    _emit("ready", **_process_stats(), **extra())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
    _emit("final", **_process_stats(), **extra())


def _child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.intake _child")
    parser.add_argument("role", choices=("sandbox", "bot"))
    parser.add_argument("--bot", choices=("duban", "echo"), default="duban")
    parser.add_argument("--url", default="")
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--rate-limiter", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    runner = _serve_sandbox if args.role == "sandbox" else _serve_bot
    asyncio.run(runner(args))


def child_command(role_args: list[str]) -> list[str]:
    """The command line of a child process (a seam for profiling it by hand)."""
    return [sys.executable, "-m", "benchmarks.intake", "_child", *role_args]


class Child:
    """A child process speaking the BENCH line protocol on stdin/stdout."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.name = name
        self.process = process
        self.log_path = log_path
        self.ready: dict[str, Any] = {}

    @classmethod
    async def start(cls, name: str, role_args: list[str], log_path: Path) -> Child:
        with log_path.open("ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                *child_command(role_args),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                cwd=ROOT,
            )
        child = cls(name, process, log_path)
        try:
            child.ready = await asyncio.wait_for(child._next("ready"), STARTUP_TIMEOUT)
        except BaseException:
            await child.stop()
            raise
        return child

    async def _next(self, kind: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        for _ in range(10_000):
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"{self.name} process ended before '{kind}'; see {self.log_path}"
                )
            text = line.decode(errors="replace")
            if text.startswith(BENCH_PREFIX):
                message = json.loads(text[len(BENCH_PREFIX) :])
                if message.get("kind") == kind:
                    return message
        raise RuntimeError(f"{self.name} printed too much without '{kind}'")

    async def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(b"stats\n")
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._next("stats"), STOP_TIMEOUT)

    async def stop(self) -> dict[str, Any]:
        """Close its stdin (it shuts down by itself) and return its final figures."""
        final: dict[str, Any] = {}
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            if self.process.returncode is None:
                final = await asyncio.wait_for(self._next("final"), STOP_TIMEOUT)
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except (TimeoutError, RuntimeError):
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        return final


# ==============================================================================================
# The database: demo organisation plus the simulated enterprises
# ==============================================================================================


@dataclass(frozen=True)
class Person:
    telegram_id: int
    name: str
    language: str


def credit_code(index: int) -> str:
    """A valid unified social credit code for simulated enterprise ``index``."""
    from stdnum.cn import uscc

    body = f"91431129BM{index:07d}"
    return body + uscc.calc_check_digit(body)


def _add_enterprises(session: Any, people: list[Person]) -> None:
    from sqlmodel import select

    from models import Enterprise, Park, RoleGrant, User
    from models.enums import Role

    park_id = session.exec(select(Park.id).where(Park.code == "JH")).one()
    for index, person in enumerate(people, start=1):
        if session.exec(select(User).where(User.telegram_id == person.telegram_id)).first():
            continue
        enterprise = Enterprise(
            name=f"压测企业{index:04d}有限公司", credit_code=credit_code(index), park_id=park_id
        )
        user = User(
            telegram_id=person.telegram_id,
            display_name=person.name,
            language=person.language,
            telegram_language=person.language,
        )
        session.add_all([enterprise, user])
        session.flush()
        session.add(RoleGrant(user_id=user.id, role=Role.ENTERPRISE, enterprise_id=enterprise.id))


def prepare_database(url: str, enterprises: list[Person]) -> None:
    """Migrate, sync the organisation, seed the demo and add the simulated enterprises."""
    from bot.db import Database, upgrade
    from bot.settings import load_settings
    from services.demo import seed_demo
    from services.org import sync_organisation

    settings = load_settings(database={"url": url})
    upgrade(url)
    db = Database(url)
    try:
        org = settings.organisation
        db.call(sync_organisation, parks=org.parks, departments=org.departments)
        db.call(seed_demo)
        db.call(_add_enterprises, enterprises)
    finally:
        db.dispose()


# ==============================================================================================
# Load generator: users, one event reader, the two scripts
# ==============================================================================================


class BenchFailure(Exception):
    """A user did not get the answer the workload needs (refusal or no answer)."""


@dataclass
class Refusal:
    text: str


@dataclass
class _Waiter:
    after: int
    accept: Callable[[str], Any]
    future: asyncio.Future


class UserApi:
    """The emulator's user-side API over aiohttp (httpx costs the load generator too much CPU)."""

    PREFIX = "/sandbox/api"

    def __init__(self, base_url: str, *, timeout: float) -> None:
        import aiohttp

        self.base_url = base_url.rstrip("/") + self.PREFIX
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout + 30),
            connector=aiohttp.TCPConnector(limit=0),
            trust_env=False,
        )

    async def close(self) -> None:
        await self.session.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        async with self.session.request(method, self.base_url + path, **kwargs) as response:
            body = await response.json()
        if response.status >= 400 or not body.get("ok"):
            raise RuntimeError(f"{method} {path}: {response.status} {body}")
        return body

    async def persona(self, person: Person) -> None:
        payload = {
            "user_id": person.telegram_id,
            "first_name": person.name,
            "language_code": person.language,
        }
        await self._call("POST", "/personas", json=payload)

    async def send(self, user_id: int, text: str) -> int:
        """Send text as the user; returns the event seq of their message."""
        body = await self._call("POST", f"/chats/{user_id}/messages", json={"text": text})
        return body["seq"]

    async def events(self, after: int, wait: float) -> list[dict]:
        body = await self._call("GET", "/events", params={"after": after, "timeout": wait})
        return body["events"]

    async def last_seq(self) -> int:
        body = await self._call("GET", "/events", params={"after": 1 << 62})
        return body["last_seq"]


class Inbox:
    """Reads the emulator's event stream once for everybody and hands out answers.

    A bot message goes to the first waiter of its chat whose ``accept`` takes it; messages
    nobody takes (notifications, or answers that beat their waiter) are kept per chat for a
    while, in case a waiter registers just after.
    """

    def __init__(self, client: UserApi, lifetime: float) -> None:
        self.client = client
        self.deadline = time.monotonic() + lifetime
        self._task: asyncio.Task[None] | None = None
        self.cursor = 0
        self.waiters: dict[int, list[_Waiter]] = {}
        self.unclaimed: dict[int, deque[dict]] = {}
        self.user_times: dict[int, float] = {}
        self.bot_messages = 0
        self.per_chat: Counter[int] = Counter()
        self.last_bot_message = time.monotonic()
        self.closed = False

    async def start(self) -> None:
        self.cursor = await self.client.last_seq()
        self._task = asyncio.create_task(self._run(), name="inbox")

    async def close(self) -> None:
        self.closed = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, POLL_SLICE * 5)

    async def _run(self) -> None:
        while not self.closed and time.monotonic() < self.deadline:
            try:
                events = await self.client.events(self.cursor, POLL_SLICE)
            except Exception:
                if self.closed:
                    return
                log.exception("reading the emulator's events failed; retrying")
                await asyncio.sleep(POLL_SLICE)
                continue
            for event in events:
                self.cursor = max(self.cursor, event["seq"])
                self._dispatch(event)

    def _dispatch(self, event: dict) -> None:
        if event["type"] != "message":
            return
        if not event["message"]["from_bot"]:
            self.user_times[event["seq"]] = event["time"]
            return
        self.bot_messages += 1
        self.per_chat[event["chat_id"]] += 1
        self.last_bot_message = time.monotonic()
        chat_id = event["chat_id"]
        waiting = self.waiters.get(chat_id, [])
        for waiter in waiting:
            if self._offer(waiter, event):
                waiting.remove(waiter)
                return
        self.unclaimed.setdefault(chat_id, deque(maxlen=512)).append(event)

    def _offer(self, waiter: _Waiter, event: dict) -> bool:
        if event["seq"] <= waiter.after or waiter.future.done():
            return False
        message = event["message"]
        result = waiter.accept(message.get("text") or message.get("caption") or "")
        if result is None:
            return False
        sent_at = self.user_times.pop(waiter.after, event["time"])
        waiter.future.set_result((result, event["time"] - sent_at))
        return True

    def expect(self, chat_id: int, after: int, accept: Callable[[str], Any]) -> _Waiter:
        """Wait for the answer in ``chat_id`` after event ``after`` that ``accept`` takes."""
        waiter = _Waiter(after, accept, asyncio.get_running_loop().create_future())
        kept = self.unclaimed.get(chat_id)
        for event in list(kept or ()):
            if self._offer(waiter, event):
                kept.remove(event)  # type: ignore[union-attr]
                return waiter
        self.waiters.setdefault(chat_id, []).append(waiter)
        return waiter

    def forget(self, chat_id: int, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):
            self.waiters.get(chat_id, []).remove(waiter)

    async def quiet(self, seconds: float, limit: float) -> None:
        """Wait until no bot message arrived for ``seconds`` (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            idle = time.monotonic() - self.last_bot_message
            if idle >= seconds:
                return
            await asyncio.sleep(min(seconds - idle, deadline - time.monotonic()) + 0.05)


@dataclass
class Member:
    """One simulated person: their Telegram id, language, and whether they wait.

    An enterprise contact sends one message at a time (the answer names the new case, so
    it could not be told apart from the next one's); desks and liaisons work through their
    queue without waiting, since every answer names the case or assignment it is about.
    """

    user_id: int
    language: str
    one_at_a_time: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _refusal(body: str) -> Refusal | None:
    return Refusal(body) if body.startswith("⚠️") else None


class DubanScript:
    """The duban commands and how to recognise their answers (in the user's language)."""

    def __init__(self) -> None:
        from bot.i18n import t

        self.t = t

    def _pattern(self, lang: str, msgid: str) -> re.Pattern[str]:
        parts = re.split(r"(\{number\})", self.t(lang, msgid))
        body = "".join(
            f"(?P<number>{NUMBER_RE})" if part == "{number}" else re.escape(part) for part in parts
        )
        return re.compile(body)

    def report(self, lang: str, category: str, description: str) -> tuple[str, Callable]:
        pattern = self._pattern(
            lang,
            "Your case {number} has been received. The park's efficiency office will assign it "
            "to the departments concerned; you will be told at every step.",
        )

        def accept(body: str) -> Any:
            found = pattern.search(body) if body.startswith("✅") else None
            return found.group("number") if found else _refusal(body)

        return f"/report {category} {description}", accept

    def dispatch(self, lang: str, case: str, departments: list[str]) -> tuple[str, Callable]:
        head = "📨 " + self.t(lang, "Assignment orders issued:")
        numbers = re.compile(rf"^{re.escape(case)}-\d+$", re.MULTILINE)

        def accept(body: str) -> Any:
            if body.startswith(head):
                found = numbers.findall(body)
                if found:
                    return found
            return _refusal(body)

        return f"/dispatch {case} {','.join(departments)}", accept

    def ack(self, lang: str, number: str) -> tuple[str, Callable]:
        expected = "✍️ " + self.t(lang, "Assignment {number} signed for.", number=number)
        return f"/ack {number}", _exactly(expected)

    def done(self, lang: str, number: str, result: str) -> tuple[str, Callable]:
        expected = "✅ " + self.t(
            lang,
            "Assignment {number} is completed. The enterprise and the office have been told.",
            number=number,
        )
        return f"/done {number} {result}", _exactly(expected)


def _exactly(expected: str) -> Callable[[Any], Any]:
    def accept(body: str) -> Any:
        return True if body == expected else _refusal(body)

    return accept


class EchoScript:
    """The same texts; the echo is the answer, and the numbers are made up from it."""

    def __init__(self) -> None:
        self._cases = itertools.count(1)

    def _echo(self, text: str, result: Callable[[], Any]) -> tuple[str, Callable]:
        def accept(body: str) -> Any:
            return result() if body == text else None

        return text, accept

    def report(self, lang: str, category: str, description: str) -> tuple[str, Callable]:
        year = dt.date.today().year
        return self._echo(
            f"/report {category} {description}", lambda: f"{year}-{next(self._cases):04d}"
        )

    def dispatch(self, lang: str, case: str, departments: list[str]) -> tuple[str, Callable]:
        numbers = [f"{case}-{i}" for i in range(1, len(departments) + 1)]
        return self._echo(f"/dispatch {case} {','.join(departments)}", lambda: numbers)

    def ack(self, lang: str, number: str) -> tuple[str, Callable]:
        return self._echo(f"/ack {number}", lambda: True)

    def done(self, lang: str, number: str, result: str) -> tuple[str, Callable]:
        return self._echo(f"/done {number} {result}", lambda: True)


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


class Load:
    """Drives the workload: every case from report to completion, many at once."""

    def __init__(
        self,
        *,
        inbox: Inbox,
        script: DubanScript | EchoScript,
        enterprises: list[Member],
        desks: list[Member],
        liaisons: dict[str, Member],
        cases: int,
        departments_per_case: int,
        concurrency: int,
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
        self.slots = asyncio.Semaphore(concurrency)
        self.answer_timeout = answer_timeout
        self.tally = Tally()

    async def say(self, member: Member, step: tuple[str, Callable]) -> Any:
        """Send one message as ``member`` and wait for its answer."""
        text, accept = step
        async with member.lock if member.one_at_a_time else contextlib.nullcontext():
            async with self.slots:
                seq = await self.inbox.client.send(member.user_id, text)
                self.tally.sent += 1
                waiter = self.inbox.expect(member.user_id, seq, accept)
                try:
                    result, latency = await asyncio.wait_for(waiter.future, self.answer_timeout)
                except TimeoutError:
                    self.tally.timeouts += 1
                    raise BenchFailure(f"no answer to {text!r} for {member.user_id}") from None
                finally:
                    self.inbox.forget(member.user_id, waiter)
        self.tally.answered += 1
        self.tally.answers_per_chat[member.user_id] += 1
        self.tally.latencies.append(latency)
        self.tally.finished = time.monotonic()
        if isinstance(result, Refusal):
            self.tally.refusals.append(f"{text[:60]!r} -> {result.text[:160]!r}")
            raise BenchFailure(result.text)
        return result

    async def case(self, index: int) -> None:
        enterprise = self.enterprises[index % len(self.enterprises)]
        serial = index // len(self.enterprises) + 1
        category = CATEGORIES[index % len(CATEGORIES)]
        description = (
            f"压测第{index + 1}件：项目用电增容审批进度缓慢，请协调相关部门尽快办理。"
            f"Bench case {serial} of enterprise {enterprise.user_id}."
        )
        case = await self.say(
            enterprise, self.script.report(enterprise.language, category, description)
        )
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
        result = "已办结：审批已完成并告知企业。Approved and the enterprise was told."
        await self.say(liaison, self.script.done(liaison.language, number, result))

    async def run(self, limit: float) -> bool:
        """Every case at once (locks and the semaphore pace them); False if cut off at limit."""
        self.tally.started = time.monotonic()
        total = len(self.enterprises) * self.cases
        tasks = [asyncio.create_task(self.case(i)) for i in range(total)]
        done, pending = await asyncio.wait(tasks, timeout=limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, BenchFailure):
                raise error
        return not pending


# ==============================================================================================
# One run (duban or echo) and the report
# ==============================================================================================


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


@dataclass
class Outcome:
    bot: str
    complete: bool
    tally: Tally
    wall: float
    drained_after: float
    bot_messages: int
    bot_ready: dict[str, Any]
    bot_before: dict[str, Any]
    bot_after: dict[str, Any]
    bot_final: dict[str, Any]
    sandbox_cpu: float
    load_cpu: float
    bot_messages_in_run: int = 0
    notifications: dict[str, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.tally.answered / self.wall if self.wall > 0 else 0.0

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
    def peak_rss_mib(self) -> float:
        return self.bot_final.get("maxrss_kib", 0) / 1024

    @property
    def thread_cpu(self) -> dict[str, float]:
        before = self.bot_before.get("threads", {})
        after = self.bot_after.get("threads", {})
        spent = {name: cpu - before.get(name, 0.0) for name, cpu in after.items()}
        return {name: round(cpu, 2) for name, cpu in spent.items() if cpu > 0.005}

    def figures(self) -> dict[str, Any]:
        return {
            "bot": self.bot,
            "complete": self.complete,
            "user_messages": self.tally.sent,
            "answered": self.tally.answered,
            "refusals": self.tally.refusals,
            "timeouts": self.tally.timeouts,
            "cases_filed": self.tally.cases_filed,
            "cases_completed": self.tally.cases_completed,
            "wall_s": round(self.wall, 3),
            "updates_per_s": round(self.throughput, 2),
            "latency_ms": {f"p{q}": round(self.percentile(q), 1) for q in (50, 95, 99)},
            "bot_peak_rss_mib": round(self.peak_rss_mib, 1),
            "bot_rss_after_start_mib": round(self.bot_ready.get("rss_kib", 0) / 1024, 1),
            "bot_cpu_s": round(self.bot_cpu, 2),
            "bot_cpu_ms_per_update": round(1000 * self.bot_cpu / max(self.tally.answered, 1), 2),
            "bot_thread_cpu_s": self.thread_cpu,
            "sandbox_cpu_s": round(self.sandbox_cpu, 2),
            "load_cpu_s": round(self.load_cpu, 2),
            "bot_messages": self.bot_messages,
            "other_bot_messages": self.bot_messages - self.tally.answered,
            "outbox_sent": self.bot_after.get("outbox_sent", 0),
            "bot_messages_per_s": round(self.bot_messages_in_run / self.wall, 2)
            if self.wall
            else 0.0,
            "drained_after_s": round(self.drained_after, 2),
            "updates_per_s_all_delivered": round(self.tally.answered / self.drained_after, 2)
            if self.drained_after > 0
            else 0.0,
            "notifications_by_recipient": self.notifications,
        }


def _load_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_bot(bot: str, params: Params, work: Path, database_url: str) -> Outcome:
    """One bot against a fresh emulator, with the whole workload."""
    from models.enums import Role
    from services.demo import PERSONAS

    lifetime = str(params.max_seconds + 180)
    sandbox = await Child.start(
        f"{bot} emulator", ["sandbox", "--lifetime", lifetime], work / f"{bot}-sandbox.log"
    )
    bot_child: Child | None = None
    try:
        client = UserApi(sandbox.ready["url"], timeout=params.answer_timeout)
        try:
            members: dict[int, Member] = {}
            for persona in PERSONAS:
                await client.persona(Person(persona.telegram_id, persona.name, persona.language))
                members[persona.telegram_id] = Member(persona.telegram_id, persona.language)
            enterprises = []
            for person in simulated_enterprises(params.enterprises):
                await client.persona(person)
                enterprises.append(Member(person.telegram_id, person.language, True))
            liaisons = {p.scope: members[p.telegram_id] for p in PERSONAS if p.role == Role.LIAISON}
            role_args = ["bot", "--bot", bot, "--url", sandbox.ready["url"]]
            role_args += ["--database-url", database_url, "--lifetime", lifetime]
            role_args.append("--rate-limiter" if params.rate_limiter else "--no-rate-limiter")
            bot_child = await Child.start(f"{bot} bot", role_args, work / f"{bot}-bot.log")
            inbox = Inbox(client, params.max_seconds * 2 + 60)
            await inbox.start()
            load = Load(
                inbox=inbox,
                script=DubanScript() if bot == "duban" else EchoScript(),
                enterprises=enterprises,
                desks=[members[i] for i in DISPATCH_DESKS],
                liaisons=liaisons,
                cases=params.cases,
                departments_per_case=params.departments_per_case,
                concurrency=params.concurrency,
                answer_timeout=params.answer_timeout,
            )
            bot_before = await bot_child.stats()
            sandbox_before = await sandbox.stats()
            load_before = _load_cpu()
            complete = await load.run(params.max_seconds)
            tally = load.tally
            wall = (tally.finished or time.monotonic()) - tally.started
            bot_after = await bot_child.stats()
            sandbox_after = await sandbox.stats()
            load_cpu = _load_cpu() - load_before
            in_run = inbox.bot_messages
            if params.drain:
                await inbox.quiet(QUIET_SECONDS, params.max_seconds)
            drained = inbox.last_bot_message - tally.started
            await inbox.close()
        finally:
            await client.close()
        outcome = Outcome(
            bot=bot,
            complete=complete,
            tally=tally,
            wall=wall,
            drained_after=drained,
            bot_messages=inbox.bot_messages,
            bot_ready=bot_child.ready,
            bot_before=bot_before,
            bot_after=bot_after,
            bot_final={},
            sandbox_cpu=sandbox_after["cpu_s"] - sandbox_before["cpu_s"],
            load_cpu=load_cpu,
        )
        outcome.bot_messages_in_run = in_run
        outcome.notifications = _notifications(inbox, tally, members, enterprises, liaisons)
        outcome.bot_final = await bot_child.stop()
        bot_child = None
        return outcome
    finally:
        if bot_child is not None:
            await bot_child.stop()
        await sandbox.stop()


def _notifications(
    inbox: Inbox,
    tally: Tally,
    members: dict[int, Member],
    enterprises: list[Member],
    liaisons: dict[str, Member],
) -> dict[str, int]:
    """Bot messages that were not answers, by who received them."""
    groups = {m.user_id: "enterprise contacts" for m in enterprises}
    groups.update({i: "dispatch desks" for i in DISPATCH_DESKS})
    groups.update({m.user_id: "liaisons" for m in liaisons.values()})
    found: Counter[str] = Counter()
    for chat_id, count in inbox.per_chat.items():
        extra = count - tally.answers_per_chat.get(chat_id, 0)
        if extra:
            found[groups.get(chat_id, "others (heads, demo contacts)")] += extra
    return dict(found)


def simulated_enterprises(count: int) -> list[Person]:
    """Contacts of the simulated enterprises; every other one writes in English."""
    return [
        Person(ENTERPRISE_BASE_ID + i, f"压测联系人{i:04d}", "zh" if i % 2 else "en")
        for i in range(1, count + 1)
    ]


TABLE = (
    ("updates handled per second", lambda f: f["updates_per_s"], "{:.1f}"),
    ("latency p50 (ms)", lambda f: f["latency_ms"]["p50"], "{:.0f}"),
    ("latency p95 (ms)", lambda f: f["latency_ms"]["p95"], "{:.0f}"),
    ("latency p99 (ms)", lambda f: f["latency_ms"]["p99"], "{:.0f}"),
    ("bot peak RSS (MiB)", lambda f: f["bot_peak_rss_mib"], "{:.1f}"),
    ("bot CPU per update (ms)", lambda f: f["bot_cpu_ms_per_update"], "{:.2f}"),
    ("bot messages sent per second", lambda f: f["bot_messages_per_s"], "{:.1f}"),
    (
        "updates/s, notifications delivered too",
        lambda f: f["updates_per_s_all_delivered"],
        "{:.1f}",
    ),
)
COUNTS = (
    ("user messages sent", "user_messages"),
    ("answered", "answered"),
    ("refused / unanswered", None),
    ("cases filed / completed", None),
    ("other bot messages (notifications)", "other_bot_messages"),
    ("wall time (s)", "wall_s"),
    ("all bot messages out after (s)", "drained_after_s"),
    ("CPU s: bot / emulator / load", None),
)


def _count(label: str, key: str | None, f: dict[str, Any]) -> str:
    if key is not None:
        return str(f[key])
    if label.startswith("refused"):
        return f"{len(f['refusals'])} / {f['timeouts']}"
    if label.startswith("cases"):
        return f"{f['cases_filed']} / {f['cases_completed']}"
    return f"{f['bot_cpu_s']:.1f}/{f['sandbox_cpu_s']:.1f}/{f['load_cpu_s']:.1f}"


def render(params: Params, results: dict[str, dict[str, Any]], header: dict[str, Any]) -> str:
    """The printed report: context, the table, the target."""
    bots = list(results)
    width = 36
    lines = [
        f"duban intake benchmark, {header['date']}",
        f"machine: {header['machine']}",
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}"
        " (other work on the machine skews every figure)".format(*header["load_average"]),
        f"database: {header['database']}; rate limiter: {header['rate_limiter']}; "
        "emulator rate limits: off",
        f"workload: {params.enterprises} enterprises x {params.cases} cases, "
        f"{params.departments_per_case} department(s) per case = {header['expected']} user "
        f"messages (/report, /dispatch, /ack, /done); at most {params.concurrency} unanswered",
        "processes: emulator, bot, load generator each on its own; memory and CPU are the "
        "bot process's",
        "latency: emulator clock, user message stored -> bot answer stored in that chat",
        "",
        f"{'metric':<{width}}"
        + "".join(f"{b:>16}" for b in bots)
        + (f"{'ratio':>10}" if len(bots) == 2 else ""),
    ]
    for label, get, fmt in TABLE:
        values = [get(results[b]) for b in bots]
        row = f"{label:<{width}}" + "".join(f"{fmt.format(v):>16}" for v in values)
        if len(bots) == 2:
            ratio = values[0] / values[1] if values[1] else float("nan")
            row += f"{ratio:>10.2f}"
        lines.append(row)
    for label, key in COUNTS:
        lines.append(
            f"{label:<{width}}" + "".join(f"{_count(label, key, results[b]):>16}" for b in bots)
        )
    if "duban" in results and results["duban"]["notifications_by_recipient"]:
        cases = max(results["duban"]["cases_filed"], 1)
        spread = results["duban"]["notifications_by_recipient"].items()
        lines.append(
            "duban notifications per case: "
            + ", ".join(f"{who} {n / cases:.1f}" for who, n in sorted(spread))
        )
    if "duban" in results and results["duban"]["bot_thread_cpu_s"]:
        threads = ", ".join(f"{k} {v:.1f}" for k, v in results["duban"]["bot_thread_cpu_s"].items())
        lines.append(f"duban CPU s by thread: {threads}")
    lines.append("")
    for bot in bots:
        figures = results[bot]
        if not figures["complete"]:
            lines.append(f"{bot}: cut off after {params.max_seconds:.0f} s (--max-seconds)")
        for refusal in figures["refusals"][:5]:
            lines.append(f"{bot} refused: {refusal}")
    if len(bots) == 2 and {"duban", "echo"} == set(bots):
        echo = results["echo"]["updates_per_s"]
        ratio = results["duban"]["updates_per_s"] / echo if echo else float("nan")
        met = "met" if ratio >= 0.5 else "NOT met"
        lines.append(
            f"target: duban throughput >= 1/2 of the echo bot's: {met} (ratio {ratio:.2f})"
        )
    return "\n".join(lines)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import telegram

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}"
    )


async def benchmark(params: Params, work: Path) -> dict[str, Any]:
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
            if bot == "duban":
                if pg is not None:
                    url = pg.create_database("intake_bench")
                    database = "PostgreSQL (tests/pgserver.py)"
                elif params.database == "sqlite":
                    url = f"sqlite:///{work}/duban.db"
                else:
                    url = params.database
                    database = url.split(":", 1)[0]
                await asyncio.to_thread(
                    prepare_database, url, simulated_enterprises(params.enterprises)
                )
            else:
                url = "sqlite://"
            outcome = await run_bot(bot, params, work, url)
            results[bot] = outcome.figures()
        header = {
            "date": started,
            "load_average": [round(x, 2) for x in load_before + os.getloadavg()],
            "machine": _machine(),
            "database": database,
            "rate_limiter": "on (AIORateLimiter, as in production)"
            if params.rate_limiter
            else "off",
            "expected": params.enterprises * params.cases * (2 + 2 * params.departments_per_case),
            "params": params.__dict__,
        }
        return {"header": header, "results": results}
    finally:
        if pg is not None:
            pg.stop()


def parse_args(argv: Iterable[str] | None) -> tuple[Params, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake",
        description="duban under many simulated enterprises and liaisons, against an echo bot.",
    )
    parser.add_argument("--enterprises", type=int, default=20, help="simulated enterprises")
    parser.add_argument("--cases", type=int, default=5, help="cases each enterprise files")
    parser.add_argument(
        "--departments", type=int, default=1, help="departments each case is dispatched to (1-8)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="user messages unanswered at most, at once"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=180.0, help="cut each run off after this long"
    )
    parser.add_argument(
        "--answer-timeout", type=float, default=60.0, help="give up on one answer after this"
    )
    parser.add_argument(
        "--rate-limiter",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the bots' AIORateLimiter (on in production)",
    )
    parser.add_argument(
        "--drain",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after the last answer, wait for the outbox to go quiet and time it",
    )
    database = parser.add_mutually_exclusive_group()
    database.add_argument(
        "--database-url", default="sqlite", help="duban's database (default: a temp SQLite file)"
    )
    database.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL from tests/pgserver.py"
    )
    parser.add_argument(
        "--bots", default="duban,echo", help="which bots to run, comma-separated (duban,echo)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, db)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    bots = tuple(b.strip() for b in args.bots.split(",") if b.strip())
    if not bots or any(b not in ("duban", "echo") for b in bots):
        parser.error("--bots takes duban, echo or both")
    if not 1 <= args.departments <= 8:
        parser.error("--departments must be between 1 and 8 (the demo has 8 liaisons)")
    if min(args.enterprises, args.cases, args.concurrency) < 1:
        parser.error("--enterprises, --cases and --concurrency must be at least 1")
    params = Params(
        enterprises=args.enterprises,
        cases=args.cases,
        departments_per_case=args.departments,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
        answer_timeout=args.answer_timeout,
        rate_limiter=args.rate_limiter,
        drain=args.drain,
        database="postgres" if args.postgres else args.database_url,
        bots=bots,
    )
    return params, args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        _child_main(argv[1:])
        return 0
    params, args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    work = Path(tempfile.mkdtemp(prefix="duban-intake-"))
    try:
        report = asyncio.run(benchmark(params, work))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
    print(render(params, report["results"], report["header"]))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    ok = all(
        f["complete"] and not f["refusals"] and f["answered"] == report["header"]["expected"]
        for f in report["results"].values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
