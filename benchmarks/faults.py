"""Fault benchmark: the real bot (``duban run``) against an emulator that fails Bot API calls.

Run ``python -m benchmarks.faults`` (``--help`` for the options). The emulator runs in a child
process with ``--fault-rate`` (default 0.2: a fifth of Bot API calls answer 500 or drop the
connection, start-up calls included). The bot is started as an operator starts it, ``duban run``
with a token and ``telegram.base_url`` pointing at the emulator, in its own process.

1. Starts: the bot is started ``--starts`` times; a start survived when the process is still
   up and has answered a probe message (``/help``) within ``--start-timeout``. Each survivor
   but the last is stopped with SIGINT, as Ctrl-C would; if the last start did not survive,
   the bot is started again (at most ``--starts`` more times) so the script has a bot.
2. Script: a fixed sequence of user commands, one at a time, per case: ``/report`` by a demo
   enterprise contact, ``/dispatch`` to two departments by the dispatcher, ``/ack`` and
   ``/done`` by each liaison, ``/cases`` by the contact. A missing answer does not stop the
   case: the case and assignment numbers are then looked up in the database. A bot process
   that died meanwhile is started again (counted).
3. Drain: wait until no outbox row is pending (at most ``--drain-seconds``), stop the bot, and
   check every outbox row against the emulator's chats: owed, delivered, duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.intake import delivery
from benchmarks.intake.bots import TOKEN
from benchmarks.intake.children import ROOT, Child
from benchmarks.intake.scripts import (
    CATEGORIES,
    RESULT,
    Accept,
    DubanScript,
    Refusal,
    refusal,
)
from benchmarks.intake.world import demo_people, liaisons_by_department, prepare_database
from sandbox.client import SandboxClient, SandboxUser

ENTERPRISES = (1001, 1002)  # the demo's two enterprise contacts, zh and en
DISPATCHER = 2002
PROBER = 9001  # the demo admin asks for /help to see whether the bot is up
DEPARTMENTS = ("gov", "drc", "epb", "egov", "power", "water", "police", "land")
NOT_COMPLETED = (
    "Sorry, something went wrong on our side and your last action was not "
    "completed. Please try again in a moment."
)
STOP_TIMEOUT = 30.0


@dataclass
class Figures:
    """What the run measured."""

    starts: list[dict[str, Any]] = field(default_factory=list)
    restarts_in_script: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    looked_up: int = 0
    not_sent: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    drained: bool = False
    delivery: dict[str, Any] = field(default_factory=dict)


class BotProcess:
    """One ``duban run`` process against the emulator."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    async def start(cls, url: str, database_url: str, log_path: Path) -> BotProcess:
        env = dict(os.environ)
        env.update(
            DUBAN_TELEGRAM__TOKEN=TOKEN,
            DUBAN_TELEGRAM__BASE_URL=f"{url}/bot",
            DUBAN_TELEGRAM__BASE_FILE_URL=f"{url}/file/bot",
            DUBAN_DATABASE__URL=database_url,
        )
        with log_path.open("ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd=ROOT,
                env=env,
            )
        return cls(process, log_path)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> int | None:
        """SIGINT (as Ctrl-C), then SIGKILL if it does not end in time; its exit status."""
        if self.alive:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode


class Run:
    """The emulator, its personas, the database and the bot process of one fault run."""

    def __init__(self, opts: argparse.Namespace, work: Path, url: str, database_url: str) -> None:
        self.opts = opts
        self.work = work
        self.url = url
        self.database_url = database_url
        self.users: dict[int, SandboxUser] = {}
        self.bot: BotProcess | None = None
        self.figures = Figures()
        self.script = DubanScript()
        self.not_completed = {self.script.t(lang, NOT_COMPLETED) for lang in ("zh", "en")}

    async def launch(self) -> bool:
        """Start the bot once; True if it came up and answered a probe."""
        attempt = len(self.figures.starts) + 1
        log_path = self.work / f"bot-{attempt:02d}.log"
        started = time.monotonic()
        self.bot = await BotProcess.start(self.url, self.database_url, log_path)
        survived = await self._probe(self.bot)
        self.figures.starts.append(
            {
                "attempt": attempt,
                "survived": survived,
                "exit_status": self.bot.process.returncode,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
        if not survived:
            await self.bot.stop()
            self.bot = None
            # A start that crashed may still be printing its traceback when the time is up.
            log_text = log_path.read_text(errors="replace")
            self.figures.starts[-1]["traceback"] = "Traceback" in log_text
        return survived

    async def _probe(self, bot: BotProcess) -> bool:
        """Send /help every few seconds until any answer, the process ends, or time is up."""
        user = self.users[PROBER]
        deadline = time.monotonic() + self.opts.start_timeout
        while bot.alive and time.monotonic() < deadline:
            sent = await user.send("/help")
            wait = min(5.0, max(deadline - time.monotonic(), 0.1))
            with contextlib.suppress(TimeoutError):
                await user.wait_for_bot_message(after=sent, timeout=wait, edits=False)
                return bot.alive
        return False

    async def starts(self) -> bool:
        """The start trials; leaves a running bot behind if any start survived at the end."""
        for trial in range(self.opts.starts):
            survived = await self.launch()
            if survived and trial < self.opts.starts - 1:
                await self.stop_bot()
        for _ in range(self.opts.starts):
            if self.bot is not None:
                return True
            await self.launch()
        return self.bot is not None

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def ensure_bot(self) -> bool:
        """Start the bot again if its process has died (counted)."""
        if self.bot is not None and self.bot.alive:
            return True
        self.figures.restarts_in_script += 1
        await self.stop_bot()
        for _ in range(self.opts.starts):
            if await self.launch():
                return True
        return False

    async def say(self, user_id: int, text: str, accept: Accept) -> Any:
        """Send one command and classify what came back; the accepted value, or None."""
        if not await self.ensure_bot():
            self.figures.not_sent += 1
            return None
        user = self.users[user_id]
        self.figures.outcomes["sent"] += 1
        sent = await user.send(text)

        def taken(message: Any) -> bool:
            return message.body in self.not_completed or accept(message.body) is not None

        try:
            found = await user.wait_for_bot_message(
                taken, after=sent, timeout=self.opts.answer_timeout, edits=False
            )
        except TimeoutError:
            self.figures.outcomes["no answer"] += 1
            return None
        if found.body in self.not_completed:
            self.figures.outcomes["told 'not completed'"] += 1
            return None
        result = accept(found.body)
        outcome = "refused" if isinstance(result, Refusal) else "answered"
        self.figures.outcomes[outcome] += 1
        return None if isinstance(result, Refusal) else result


def _case_number(session: Any, description: str) -> str | None:
    from sqlmodel import select

    from models import Case

    return session.exec(select(Case.number).where(Case.description == description)).first()


def _assignments(session: Any, case_number: str) -> list[tuple[str, str]]:
    from sqlmodel import select

    from models import Assignment, Case, Department

    query = (
        select(Department.code, Assignment.number)
        .join(Assignment, Assignment.department_id == Department.id)  # type: ignore[arg-type]
        .join(Case, Case.id == Assignment.case_id)  # type: ignore[arg-type]
        .where(Case.number == case_number)
        .order_by(Assignment.id)  # type: ignore[arg-type]
    )
    return [(code, number) for code, number in session.exec(query).all()]


def _pending(session: Any) -> int:
    from sqlmodel import func, select

    from models import OutboxMessage
    from models.enums import OutboxStatus

    query = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
    return session.exec(query).one()


async def _in_db(database_url: str, fn: Any, *args: Any) -> Any:
    from bot.db import Database

    def call() -> Any:
        db = Database(database_url)
        try:
            return db.call(fn, *args)
        finally:
            db.dispose()

    return await asyncio.to_thread(call)


async def one_case(run: Run, index: int) -> None:
    """/report, /dispatch to two departments, /ack and /done by each liaison, /cases."""
    contact = ENTERPRISES[index % len(ENTERPRISES)]
    lang = run.users[contact].language_code
    text = f"故障压测第{index + 1}件：请协调办理供电审批。Fault bench case {index + 1}."
    command, accept = run.script.report(lang, CATEGORIES[index % len(CATEGORIES)], text)
    case = await run.say(contact, command, accept)
    if case is None:
        case = await _in_db(run.database_url, _case_number, text)
        if case is None:  # nothing was filed: the rest of this case cannot be sent
            run.figures.not_sent += 5
            return
        run.figures.looked_up += 1
    chosen = [DEPARTMENTS[(2 * index + k) % len(DEPARTMENTS)] for k in range(2)]
    desk = run.users[DISPATCHER].language_code
    numbers = await run.say(DISPATCHER, *run.script.dispatch(desk, case, chosen))
    pairs = list(zip(chosen, numbers, strict=True)) if numbers else []
    if not pairs:
        pairs = await _in_db(run.database_url, _assignments, case)
        run.figures.looked_up += 1 if pairs else 0
        run.figures.not_sent += 4 - 2 * len(pairs)
    liaisons = liaisons_by_department()
    for code, number in pairs:
        liaison = liaisons[code]
        liaison_lang = run.users[liaison].language_code
        await run.say(liaison, *run.script.ack(liaison_lang, number))
        await run.say(liaison, *run.script.done(liaison_lang, number, RESULT))
    marker = f"Fault bench case {index + 1}."
    await run.say(contact, "/cases", lambda body: True if marker in body else refusal(body))


async def drain(run: Run) -> bool:
    """Wait until no outbox row is pending; False if some still are after the limit."""
    deadline = time.monotonic() + run.opts.drain_seconds
    while time.monotonic() < deadline:
        if await _in_db(run.database_url, _pending) == 0:
            return True
        await run.ensure_bot()
        await asyncio.sleep(1.0)
    return False


async def seen_messages(run: Run) -> Counter[tuple[int, str]]:
    """Every bot message in every persona's chat, by (chat, text)."""
    seen: Counter[tuple[int, str]] = Counter()
    for user_id, user in run.users.items():
        for message in await user.bot_messages():
            seen[(user_id, message.body)] += 1
    return seen


async def fault_run(opts: argparse.Namespace, work: Path) -> Figures:
    """The whole run; the figures it measured."""
    database_url = f"sqlite:///{work}/duban.db"
    await asyncio.to_thread(prepare_database, database_url, [])
    role_args = ["sandbox", "--fault-rate", str(opts.fault_rate), "--lifetime", "3600"]
    role_args += ["--seed", str(opts.seed)]
    sandbox = await Child.start("emulator", role_args, work / "sandbox.log")
    try:
        async with httpx.AsyncClient(timeout=opts.answer_timeout + 30, trust_env=False) as http:
            client = SandboxClient(sandbox.ready["url"], http=http)
            run = Run(opts, work, sandbox.ready["url"], database_url)
            for person in demo_people():
                run.users[person.telegram_id] = await client.persona(
                    person.telegram_id, person.name, person.language
                )
            if await run.starts():
                for index in range(opts.cases):
                    await one_case(run, index)
                run.figures.drained = await drain(run)
            await run.stop_bot()
            seen = await seen_messages(run)
            run.figures.faults_injected = (await client.info())["faults_injected"]
    finally:
        await sandbox.stop()
    rows = await asyncio.to_thread(delivery.outbox_rows, database_url, final=True)
    run.figures.delivery = delivery.compare(rows, seen).figures()
    return run.figures


def render(opts: argparse.Namespace, figures: Figures) -> str:
    """The printed report."""
    trials = figures.starts[: opts.starts]
    survived = sum(1 for s in trials if s["survived"])
    failed = [s for s in figures.starts if not s["survived"]]
    exited = Counter(s["exit_status"] for s in failed if s["exit_status"] is not None)
    silent = [s for s in failed if s["exit_status"] is None]
    out = figures.outcomes
    told = out["told 'not completed'"]
    d = figures.delivery
    lines = [
        f"duban fault benchmark: fault rate {opts.fault_rate:g} (500s and dropped connections), "
        f"seed {opts.seed}, {opts.cases} cases x 2 departments",
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine slows start-up and answers)",
        "",
        f"starts attempted / survived (first {opts.starts}): {len(trials)} / {survived}",
        f"starts in all (incl. restarts): {len(figures.starts)}; failed: "
        + ", ".join(f"{n} exited with status {status}" for status, n in sorted(exited.items()))
        + f"{', ' if exited else ''}{len(silent)} still up without an answer after "
        f"{opts.start_timeout:g} s ({sum(1 for s in silent if s.get('traceback'))} of them "
        "with a traceback in their log)",
        f"restarts during the script: {figures.restarts_in_script}",
        f"commands sent: {out['sent']} (not sent, nothing to act on: {figures.not_sent})",
        f"answered: {out['answered']}; told 'not completed': {told}; "
        f"refused: {out['refused']}; no answer: {out['no answer']}",
        f"numbers looked up in the database after a missing answer: {figures.looked_up}",
        f"outbox messages owed / delivered / duplicated: {d.get('owed', 0)} / "
        f"{d.get('delivered', 0)} / {d.get('duplicates', 0)}"
        f" (by status: {d.get('outbox_by_status', {})})",
        f"outbox drained before the limit: {'yes' if figures.drained else 'no'}",
        f"faults injected by the emulator: {figures.faults_injected}",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.faults",
        description="duban run against the emulator failing a share of Bot API calls.",
    )
    add = parser.add_argument
    add("--fault-rate", type=float, default=0.2, help="share of Bot API calls that fail")
    add("--seed", type=int, default=7, help="seed of the emulator's fault draws")
    add("--starts", type=int, default=10, help="start trials")
    add("--cases", type=int, default=6, help="cases in the script (7 commands each)")
    add("--start-timeout", type=float, default=30.0, help="seconds for a start to answer")
    add("--answer-timeout", type=float, default=10.0, help="seconds to wait for one answer")
    add("--drain-seconds", type=float, default=90.0, help="seconds to wait for the outbox")
    add("--json", type=Path, help="also write the figures to this JSON file")
    add("--keep", action="store_true", help="keep the work directory (bot logs, database)")
    opts = parser.parse_args(argv)
    if not 0.0 <= opts.fault_rate <= 1.0:
        parser.error("--fault-rate must be between 0 and 1")
    if min(opts.starts, opts.cases) < 1:
        parser.error("--starts and --cases must be at least 1")
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run it and print the figures; exit status 0 whatever they are (they are measurements)."""
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    work = Path(tempfile.mkdtemp(prefix="duban-faults-"))
    try:
        figures = asyncio.run(fault_run(opts, work))
    finally:
        if opts.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(render(opts, figures))
    if opts.json:
        data = asdict(figures) | {"outcomes": dict(figures.outcomes)}
        opts.json.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
