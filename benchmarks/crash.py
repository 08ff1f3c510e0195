"""Crash benchmark: kill -9 the real bot process again and again while users work.

Run ``python -m benchmarks.crash`` (``--help`` for the options). Processes:

* the emulator (``python -m sandbox.server --latency 40-120``): every Bot API call takes
  40 to 120 ms, half on the way in and half on the way back, so a kill can catch a message
  that reached "Telegram" before the bot heard back;
* the bot: ``duban run`` itself, against the emulator (token and base URL from the
  environment), killed with SIGKILL at random moments and started again at once;
* the load, in this process: the intake benchmark's workload (``/report``, ``/dispatch``,
  ``/ack``, ``/done``) over the emulator's user-side API, waiting as long as it takes.

Figures: kills; commands sent, answered and lost (no answer at all); outbox messages owed
at the kills; messages delivered, duplicated (messages that repeat something the chat had
already received: a digest sent again counts once) and lost; per-chat order violations (a chat
received a message before one queued earlier for it); and the longest delay, after a
restart, of a message that was owed at the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:
    sys.path.insert(0, str(ROOT))

from benchmarks.intake.inbox import Inbox  # noqa: E402
from benchmarks.intake.load import ClosedPacing, Load, Member  # noqa: E402
from benchmarks.intake.scripts import DubanScript  # noqa: E402
from benchmarks.intake.world import (  # noqa: E402
    DISPATCH_DESKS,
    demo_people,
    liaisons_by_department,
    prepare_database,
    simulated_enterprises,
)
from sandbox.client import SandboxClient  # noqa: E402

TOKEN = "1000001:crash-benchmark"
STARTED = "Application started"
URL_RE = re.compile(r"bot base_url (\S+)/bot")


class CrashScript(DubanScript):
    """DubanScript, but a refusal counts as the answer only if it names the command's case.

    A command handled again after a kill (its effect saved, its answer lost) is answered
    "already done"; in a desk's chat that must not be taken for another case's answer.
    """

    def _own(self, step: tuple[str, Any], number: str) -> tuple[str, Any]:
        text, accept = step

        def own(body: str) -> Any:
            result = accept(body)
            return None if body.startswith("⚠️") and number not in body else result

        return text, own

    def dispatch(self, lang: str, case: str, departments: list[str]) -> tuple[str, Any]:
        return self._own(super().dispatch(lang, case, departments), case)

    def ack(self, lang: str, number: str) -> tuple[str, Any]:
        return self._own(super().ack(lang, number), number)

    def done(self, lang: str, number: str, result: str) -> tuple[str, Any]:
        return self._own(super().done(lang, number, result), number)


@dataclass
class Kill:
    at: datetime  # UTC, when the process was killed
    restarted: datetime  # UTC, when the next process was started
    owed: set[int]  # outbox rows due and not recorded as sent at the kill
    updates_unhandled: int  # stored updates the killed process had not handled


@dataclass
class Figures:
    kills: list[Kill] = field(default_factory=list)
    rows: int = 0
    failed_rows: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    order_violations: int = 0
    longest_delay: float = 0.0
    late: int = 0  # owed at a kill, delivered more than 15 s after the restart
    # The same for every chat but the dispatch desks, which are told of every case (below).
    longest_delay_others: float = 0.0
    late_others: int = 0
    late_rows: list[tuple[Any, int, float]] = field(default_factory=list)  # row, kill, delay
    first_sends: list[float] = field(default_factory=list)  # restart to its first delivery, s
    chat_of: dict[int, int] = field(default_factory=dict)  # row id: chat id
    missing: list[Any] = field(default_factory=list)  # rows not found in their chat
    repeated: list[Any] = field(default_factory=list)
    out_of_order: list[tuple[Any, tuple[int, int]]] = field(default_factory=list)  # row, after
    refusal_texts: list[str] = field(default_factory=list)
    commands_sent: int = 0
    commands_answered: int = 0
    commands_lost: int = 0
    refusals: int = 0
    wall: float = 0.0


def bot_env(database_url: str, api: str, settings: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_SETTINGS=str(settings),
        DUBAN_DATABASE__URL=database_url,
        DUBAN_TELEGRAM__TOKEN=TOKEN,
        DUBAN_TELEGRAM__BASE_URL=f"{api}/bot",
        DUBAN_TELEGRAM__BASE_FILE_URL=f"{api}/file/bot",
        DUBAN_OUTBOX__IDLE_POLL="1s",
    )
    return env


async def start_emulator(
    latency: str | None, log_path: Path, *, rate_limits: bool = False, extra: Sequence[str] = ()
) -> tuple[asyncio.subprocess.Process, str]:
    options = ["--latency", latency] if latency else []
    options += ["--rate-limits"] if rate_limits else []
    options += list(extra)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.server",
        "--port",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=log_path.open("ab"),
        cwd=ROOT,
    )
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line:
            raise RuntimeError(f"the emulator ended; see {log_path}")
        found = URL_RE.search(line)
        if found:
            return process, found.group(1)


async def start_bot(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=env,
            stdout=log_file,
            stderr=log_file,
            cwd=ROOT,
        )


def snapshot(database_url: str) -> tuple[set[int], int]:
    """Outbox rows owed now, and stored updates not handled (the bot is dead: nothing moves)."""
    import sqlalchemy as sa

    from bot.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            owed = conn.execute(
                sa.text("SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= :n"),
                {"n": datetime.now(UTC)},
            )
            rows = {r[0] for r in owed}
            unhandled = conn.execute(
                sa.text(
                    "SELECT count(*) FROM inbox_updates WHERE update_id NOT IN "
                    "(SELECT update_id FROM processed_updates)"
                )
            ).scalar()
        return rows, int(unhandled or 0)
    finally:
        engine.dispose()


def outbox_rows(database_url: str) -> list[Any]:
    from sqlmodel import Session, select

    from bot.db import make_engine
    from models import OutboxMessage

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            # In delivery order: positions are given at commit (older rows have none).
            found = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
            return sorted(found, key=lambda row: (getattr(row, "seq", None) or row.id, row.id))
    finally:
        engine.dispose()


async def pending_count(database_url: str) -> int:
    rows, _ = await asyncio.to_thread(snapshot, database_url)
    return len(rows)


async def kill_loop(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    state: dict[str, Any],
    figures: Figures,
) -> None:
    """Kill the bot at random moments and start it again at once, ``args.kills`` times."""
    rng = random.Random(args.seed)
    for number in range(1, args.kills + 1):
        await until_started(work / "bot.log", number)
        await asyncio.sleep(rng.uniform(args.min_interval, args.max_interval))
        process: asyncio.subprocess.Process = state["bot"]
        process.send_signal(signal.SIGKILL)
        await process.wait()  # reaped, so its pid is free: the successor takes over at once
        killed = datetime.now(UTC)
        owed, unhandled = await asyncio.to_thread(snapshot, args.database_url)
        state["bot"] = await start_bot(env, work / "bot.log")
        restarted = datetime.now(UTC)
        figures.kills.append(Kill(killed, restarted, owed, unhandled))
        print(
            f"  kill {number:2d}: {len(owed):3d} message(s) owed, "
            f"{unhandled} update(s) stored but not handled",
            flush=True,
        )


async def until_started(log_path: Path, count: int) -> None:
    """Wait until the bot's log says it started for the ``count``-th time."""
    for _ in range(1200):
        text = await asyncio.to_thread(log_path.read_text, errors="replace")
        if text.count(STARTED) >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the bot did not start; see {log_path}")


async def chat_history(client: SandboxClient, chat_ids: list[int]) -> dict[int, list[str]]:
    """Every bot message per chat, in the order the chat received them."""
    history: dict[int, list[str]] = {}
    for chat_id in chat_ids:
        body = await client.request("GET", f"/chats/{chat_id}")
        history[chat_id] = [
            (m.get("text") or m.get("caption") or "") for m in body["messages"] if m.get("from_bot")
        ]
    return history


def _as_shown(rows: list[Any]) -> tuple[list[Any], dict[int, str], dict[int, list[str]]]:
    """The rows that send a message, the text each shows now, and every text each was to
    show: an edit adds no message but replaces the text of the message sent under its live
    key in that chat (a digest repeated after a kill may show a card in an earlier state)."""
    sends: list[Any] = []
    text: dict[int, str] = {}
    states: dict[int, list[str]] = defaultdict(list)
    under_key: dict[tuple[int, str], int] = {}
    for row in rows:
        where = (row.chat_id, row.live_key) if row.live_key else None
        if row.kind == "edit":
            # "Not modified": the message shows this text already (an edit Telegram applied
            # before a kill and the next process repeated), so it counts as applied.
            shows = not row.last_error or "not modified" in row.last_error.lower()
            if where in under_key and row.status == "sent" and shows:
                text[under_key[where]] = row.text
            if where in under_key:
                states[under_key[where]].append(row.text)
            continue
        if where is not None:
            under_key[where] = row.id
        sends.append(row)
        text[row.id] = row.text
        states[row.id].append(row.text)
    return sends, text, states


def judge(rows: list[Any], history: dict[int, list[str]], figures: Figures) -> None:
    """Count deliveries, duplicates, losses and order violations of the outbox rows."""
    from bot.textsplit import strip_tags
    from services import digests

    rows, shown, states = _as_shown(rows)
    figures.rows = len(rows)
    by_chat: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_chat[row.chat_id].append(row)
    for chat_id, chat_rows in by_chat.items():
        # Delivered means shown in its final state; a row in an earlier state still counts
        # for order and repeats (a card in a digest sent again after a kill).
        final = {strip_tags(shown[row.id]): row for row in chat_rows}
        wanted = {strip_tags(t): row for row in chat_rows for t in states[row.id]} | final
        # A digest carries several rows in one message; a message repeating any row already
        # received is one duplicate message, however many rows it carries.
        received, before = [], set[int]()
        for message in history.get(chat_id, []):
            parts = [wanted[part] for part in digests.split(message) if part in wanted]
            figures.duplicates += 1 if any(row.id in before for row in parts) else 0
            before.update(row.id for row in parts)
            received += parts
        counts = Counter(
            text for message in history.get(chat_id, []) for text in digests.split(message)
        )
        order = list({row.id: row for row in received}.values())
        times = Counter(row.id for row in received)
        highest: tuple[int, int] = (0, 0)
        for row in order:
            # Queued means committed: a row's place is its position, given at commit (its id
            # comes earlier, at insert time, and two transactions may commit in the other order).
            place = (getattr(row, "seq", None) or row.id, row.id)
            if place < highest:
                figures.order_violations += 1
                figures.out_of_order.append((row, highest))
            highest = max(highest, place)
        for row in chat_rows:
            if row.status == "failed":
                figures.failed_rows += 1
            seen = counts.get(strip_tags(shown[row.id]), 0)
            figures.delivered += 1 if seen else 0
            if times[row.id] > 1:
                figures.repeated.append(row)
            figures.lost += 0 if seen or row.status == "failed" else 1
            if not seen and row.status != "failed":
                figures.missing.append(row)
    sent_at = {row.id: row.sent_at for row in rows}
    # A row owed at several kills counts from the last restart before it went out.
    last_kill: dict[int, Kill] = {}
    for kill in figures.kills:
        for row_id in kill.owed:
            if sent_at.get(row_id) is None or sent_at[row_id] > kill.at:
                last_kill[row_id] = kill
    figures.chat_of = {row.id: row.chat_id for row in rows}
    number = {id(kill): n for n, kill in enumerate(figures.kills, 1)}
    by_id = {row.id: row for row in rows}
    for row_id, kill in last_kill.items():
        if sent_at.get(row_id) is None:
            continue
        delay = (sent_at[row_id] - kill.restarted).total_seconds()
        figures.longest_delay = max(figures.longest_delay, delay)
        figures.late += 1 if delay > 15 else 0
        if delay > 15:
            figures.late_rows.append((by_id[row_id], number[id(kill)], delay))
        if by_id[row_id].chat_id not in DISPATCH_DESKS:
            figures.longest_delay_others = max(figures.longest_delay_others, delay)
            figures.late_others += 1 if delay > 15 else 0
    for kill in figures.kills:
        after = [t for t in sent_at.values() if t is not None and t > kill.restarted]
        if after:
            figures.first_sends.append((min(after) - kill.restarted).total_seconds())


async def run(args: argparse.Namespace, work: Path) -> Figures:
    enterprises = simulated_enterprises(args.enterprises)
    await asyncio.to_thread(prepare_database, args.database_url, enterprises)
    figures = Figures()
    emulator, api_url = await start_emulator(args.latency, work / "emulator.log")
    env = bot_env(args.database_url, api_url, ROOT / "settings.toml")
    api = SandboxClient(api_url, timeout=args.answer_timeout)
    state: dict[str, Any] = {}
    try:
        members: dict[int, Member] = {}
        for person in demo_people():
            user = await api.persona(person.telegram_id, person.name, person.language)
            members[person.telegram_id] = Member(user, person.language)
        people = []
        for person in enterprises:
            user = await api.persona(person.telegram_id, person.name, person.language)
            people.append(Member(user, person.language, one_at_a_time=True))
        liaisons = {code: members[uid] for code, uid in liaisons_by_department().items()}
        state["bot"] = await start_bot(env, work / "bot.log")
        inbox = Inbox(api, args.max_seconds * 2 + 120)
        await inbox.start()
        load = Load(
            inbox=inbox,
            script=CrashScript(),
            enterprises=people,
            desks=[members[i] for i in DISPATCH_DESKS],
            liaisons=liaisons,
            cases=args.cases,
            departments_per_case=1,
            pacing=ClosedPacing(args.concurrency),
            answer_timeout=args.answer_timeout,
        )
        started = time.monotonic()
        killer = asyncio.create_task(kill_loop(args, env, work, state, figures))
        await load.run(args.max_seconds)
        if not killer.done():
            print("  the workload ended before the last kill; the kills go on", flush=True)
        await killer
        # Let the last process deliver everything owed.
        for _ in range(int(args.drain_seconds)):
            if not await pending_count(args.database_url):
                break
            await asyncio.sleep(1)
        await asyncio.sleep(2)
        figures.wall = time.monotonic() - started
        tally = load.tally
        figures.commands_sent = tally.sent
        figures.commands_answered = tally.answered
        figures.commands_lost = tally.timeouts
        figures.refusals = len(tally.refusals)
        figures.refusal_texts = list(tally.refusals)
        await inbox.close()
        chats = sorted({r.chat_id for r in await asyncio.to_thread(outbox_rows, args.database_url)})
        history = await chat_history(api, chats)
        rows = await asyncio.to_thread(outbox_rows, args.database_url)
        judge(rows, history, figures)
    finally:
        await api.aclose()
        process = state.get("bot")
        if process is not None and process.returncode is None:
            process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
            if process.returncode is None:
                process.kill()
        emulator.terminate()
        await emulator.wait()
    return figures


def render(args: argparse.Namespace, f: Figures) -> str:
    owed = sum(len(k.owed) for k in f.kills)
    unhandled = sum(k.updates_unhandled for k in f.kills)
    lines = [
        f"crash benchmark: {len(f.kills)} kill -9 of `duban run`, Bot API latency "
        f"{args.latency} ms, {args.enterprises} enterprises x {args.cases} cases, "
        f"{args.database_url.split(':', 1)[0]}, {f.wall:.0f} s",
        f"  kills                                   {len(f.kills)}",
        f"  commands sent / answered / lost         {f.commands_sent} / "
        f"{f.commands_answered} / {f.commands_lost}",
        f"  answered 'already done' (handled again) {f.refusals}",
        f"  updates stored, not handled at kills    {unhandled}",
        f"  outbox messages                         {f.rows} (gave up: {f.failed_rows})",
        f"  messages owed at the kills              {owed}",
        f"  delivered                               {f.delivered}",
        f"  duplicated                              {f.duplicates} "
        f"({f.duplicates / max(1, len(f.kills)):.2f} per kill)",
        f"  lost                                    {f.lost}",
        f"  per-chat order violations               {f.order_violations}",
        f"  longest delay after a restart (s)       {f.longest_delay:.1f} "
        f"(owed at a kill and later than 15 s: {f.late})",
        f"    to chats other than the desks (s)     {f.longest_delay_others:.1f} "
        f"(later than 15 s: {f.late_others})",
    ]
    if args.details:
        for row in f.repeated:
            kills = [n for n, k in enumerate(f.kills, 1) if row.id in k.owed]
            lines.append(f"    repeated: row {row.id} chat {row.chat_id} owed at kills {kills}")
        lines.extend(
            f"    out of order: row {row.id} (place {row.seq}, {row.template}) chat {row.chat_id} "
            f"came after place {after[0]}"
            for row, after in f.out_of_order
        )
        lines.extend(f"    refused: {text}" for text in f.refusal_texts)
        lines.extend(
            f"    not found: row {row.id} chat {row.chat_id} {row.kind} {row.template} "
            f"{row.status} last_error={row.last_error!r}"
            for row in f.missing
        )
        lines.append(
            "    restart to first delivery (s): "
            + " ".join(f"{seconds:.1f}" for seconds in f.first_sends)
        )
        for row, n, delay in sorted(f.late_rows, key=lambda item: -item[2])[:40]:
            kill = f.kills[n - 1]
            chat_owed = sum(1 for r in kill.owed if f.chat_of.get(r) == row.chat_id)
            lines.append(
                f"    late: row {row.id} chat {row.chat_id} {row.template} after kill {n}: "
                f"{delay:.1f} s; its chat was owed {chat_owed} at that kill; "
                f"attempts {row.attempts}"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crash", description=__doc__)
    parser.add_argument("--kills", type=int, default=22)
    parser.add_argument(
        "--min-interval", type=float, default=1.0, help="seconds from a start to the next kill"
    )
    parser.add_argument("--max-interval", type=float, default=5.0)
    parser.add_argument("--latency", default="40-120", help="Bot API latency range, ms")
    parser.add_argument("--enterprises", type=int, default=12)
    parser.add_argument("--cases", type=int, default=8, help="cases per enterprise")
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--answer-timeout", type=float, default=90.0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=120.0,
        help="how long the last process may take to deliver what is owed after the last kill",
    )
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--details", action="store_true", help="list repeated messages")
    parser.add_argument("--work", type=Path, default=None, help="where logs go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="duban-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    args.database_url = args.database_url or f"sqlite:///{work}/crash.db"
    print(f"crash benchmark: logs in {work}", flush=True)
    figures = asyncio.run(run(args, work))
    print(render(args, figures), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(summary(figures), indent=2))
    return 0


def summary(f: Figures) -> dict[str, Any]:
    return {
        "kills": len(f.kills),
        "commands_sent": f.commands_sent,
        "commands_answered": f.commands_answered,
        "commands_lost": f.commands_lost,
        "answered_already_done": f.refusals,
        "messages": f.rows,
        "messages_owed_at_kills": sum(len(k.owed) for k in f.kills),
        "delivered": f.delivered,
        "duplicated": f.duplicates,
        "lost": f.lost,
        "gave_up": f.failed_rows,
        "order_violations": f.order_violations,
        "longest_delay_after_restart_s": round(f.longest_delay, 1),
        "late_over_15s": f.late,
        "longest_delay_other_chats_s": round(f.longest_delay_others, 1),
        "late_over_15s_other_chats": f.late_others,
    }


if __name__ == "__main__":
    sys.exit(main())
