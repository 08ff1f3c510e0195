"""Drill benchmark: the deadline engine under kill -9 or Bot API faults, in real time.

Run ``python -m benchmarks.drill`` (``--help`` for the options). The real bot (``duban run``)
runs against the emulator under the drill SLA profile (a dispute: sign for in 2 minutes,
complete in 6, reminders 3 and 1 minute before, a supervision order of 4 minutes), with quiet
hours off and a 5-second sweep. This process dispatches ``--assignments`` dispute cases over
the first ``--spread`` seconds (through the services, as the office would), one department
each, and the liaisons answer by command over the emulator: a third sign for and complete in
time, a third sign for and complete only under the supervision order, a third ignore
everything (reminded, overdue, supervision order, vetoed).

Meanwhile the bot is killed with SIGKILL ``--kills`` times at random moments and started
again at once (benchmarks/crash.py's kill loop), and/or the emulator fails ``--fault-rate``
of Bot API calls (``--throttle``: a third of them 429 with retry_after), and/or enforces
Telegram's flood limits (``--rate-limits``). After the last step is due, the last process
runs until the outbox is empty; then the figures: each kind of step implied by the
assignments' deadlines against what the database shows done (missing, repeated), and every
outbox message against the emulator's chats (delivered, duplicated, lost), and the 429s the
bot met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:
    sys.path.insert(0, str(ROOT))

from benchmarks.crash import (  # noqa: E402
    Figures,
    bot_env,
    chat_history,
    judge,
    kill_loop,
    outbox_rows,
    start_bot,
    start_emulator,
)
from benchmarks.drill_ledger import Ledger, ledger  # noqa: E402
from benchmarks.intake.world import demo_people, liaisons_by_department, prepare_database  # noqa: E402
from sandbox.client import SandboxClient, SandboxUser  # noqa: E402

CATEGORY, PROFILE = "dispute", "drill"
CONTACTS = (1001, 1002)
DISPATCHER = 2002
RESULT = "已协调完毕 / settled"
# Quiet hours off (equal times) and a short sweep: a drill runs at any hour, in real time.
DRILL_ENV = {
    "DUBAN_SLA__PROFILE": PROFILE,
    "DUBAN_TIME__QUIET_HOURS_START": "00:00",
    "DUBAN_TIME__QUIET_HOURS_END": "00:00",
    "DUBAN_TIME__SWEEP_INTERVAL": "5s",
}
# --quick: the same drill policy compressed about threefold (for the slow tests).
QUICK_ENV = {
    "DUBAN_SLA__PROFILES__DRILL__DISPUTE__ACKNOWLEDGEMENT": "40s",
    "DUBAN_SLA__PROFILES__DRILL__DISPUTE__COMPLETION": "150s",
    # Reminders that read differently ("2 min left", "1 min left"): the judge matches texts.
    "DUBAN_SLA__PROFILES__DRILL__DISPUTE__REMINDERS": '["90s", "30s"]',
    "DUBAN_SLA__PROFILES__DRILL__DISPUTE__SUPERVISION": "60s",
}
FLOOD = re.compile(r"flood limit|Too Many Requests|RetryAfter")


@dataclass
class Issued:
    number: str
    department: str
    issued_at: datetime
    due_at: datetime
    fate: str  # "in time", "under the order", "ignored"


def dispatch_one(database_url: str, index: int) -> Issued:
    """One dispute case from a demo contact, dispatched to one department now."""
    from sqlmodel import select

    from bot.db import Database
    from bot.deps import make_rules
    from bot.settings import load_settings
    from models import User
    from services import cases
    from services.dispatch import orders
    from services.users import load_actor

    settings = load_settings(database={"url": database_url})
    rules = make_rules(settings, sla_profile=PROFILE)
    codes = sorted(liaisons_by_department())
    code = codes[index % len(codes)]
    db = Database(database_url)

    def act(session: Any) -> Issued:
        def actor(telegram_id: int) -> Any:
            user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
            return load_actor(session, user)

        case = cases.submit_case(
            session,
            actor=actor(CONTACTS[index % 2]),
            category=CATEGORY,
            description=f"演练 drill {index + 1}: 施工噪音纠纷协调",
            idempotency_key=f"drill:{index}",
            rules=rules,
        ).case
        (assignment,) = orders.dispatch_case(
            session, actor=actor(DISPATCHER), case_id=case.id, department_codes=[code], rules=rules
        )
        fate = ("in time", "under the order", "ignored")[index % 3]
        return Issued(assignment.number, code, assignment.issued_at, assignment.due_at, fate)

    try:
        return db.call(act)
    finally:
        db.dispose()


@dataclass(frozen=True)
class Spans:
    """The drill policy's spans, and when the liaisons act, well clear of every deadline."""

    acknowledgement: timedelta
    completion: timedelta
    first_reminder: timedelta
    supervision: timedelta

    @classmethod
    def of(cls, database_url: str) -> Spans:
        from bot.settings import load_settings

        settings = load_settings(database={"url": database_url})
        policy = settings.sla.profiles[PROFILE][CATEGORY]
        return cls(
            acknowledgement=policy.acknowledgement.as_timedelta(),
            completion=policy.completion.as_timedelta(),
            first_reminder=max(r.as_timedelta() for r in policy.reminders),
            supervision=policy.supervision.as_timedelta(),
        )


async def liaison_acts(issued: Issued, user: SandboxUser, spans: Spans) -> None:
    """What the department's liaison does about one assignment, by command, in real time."""

    async def at(moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))

    if issued.fate == "ignored":
        return
    await at(issued.issued_at + spans.acknowledgement / 6)
    await user.send(f"/ack {issued.number}")
    if issued.fate == "in time":  # halfway to the first reminder
        await at(issued.issued_at + (spans.completion - spans.first_reminder) / 2)
    else:  # well after the sweep issued the supervision order, well before its deadline
        await at(issued.due_at + spans.supervision / 2)
    await user.send(f"/done {issued.number} {RESULT}")


async def drive(args: argparse.Namespace, users: dict[int, SandboxUser]) -> list[Issued]:
    """Dispatch the drill's assignments over ``--spread`` seconds; the liaisons act on each."""
    spans = Spans.of(args.database_url)
    liaisons = liaisons_by_department()
    issued: list[Issued] = []
    acts = []
    gap = args.spread / max(1, args.assignments - 1)
    for index in range(args.assignments):
        one = await asyncio.to_thread(dispatch_one, args.database_url, index)
        issued.append(one)
        user = users[liaisons[one.department]]
        acts.append(asyncio.create_task(liaison_acts(one, user, spans)))
        await asyncio.sleep(gap)
    await asyncio.gather(*acts)
    # The last veto falls due one supervision period after the last deadline, or later when
    # the sweep that issued the order came late (a kill, a loaded machine): wait until no
    # assignment has a step ahead.
    last = max(i.due_at for i in issued) + spans.supervision
    await asyncio.sleep(max(0.0, (last - datetime.now(UTC)).total_seconds()))
    for _ in range(int(args.drain_seconds)):
        if not await asyncio.to_thread(steps_ahead, args.database_url):
            break
        await asyncio.sleep(1)
    return issued


def steps_ahead(database_url: str) -> int:
    """Assignments the sweep must still look at (a reminder, a deadline, an order's)."""
    import sqlalchemy as sa

    from bot.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM assignments WHERE next_check_at IS NOT NULL"
            return int(conn.execute(sa.text(query)).scalar() or 0)
    finally:
        engine.dispose()


def webhook_env(env: dict[str, str]) -> dict[str, str]:
    """The same bot in webhook mode, listening on a free port of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return env | {
        "DUBAN_TELEGRAM__MODE": "webhook",
        "DUBAN_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}/",
        "DUBAN_TELEGRAM__WEBHOOK_PORT": str(port),
    }


async def stop(process: asyncio.subprocess.Process | None) -> None:
    if process is None or process.returncode is not None:
        return
    process.terminate()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), 30)
    if process.returncode is None:
        process.kill()


async def drain(database_url: str, seconds: float) -> bool:
    """Wait until no outbox row is pending, those waiting for a retry included."""
    for _ in range(int(seconds)):
        if not await asyncio.to_thread(owed, database_url):
            return True
        await asyncio.sleep(1)
    return False


def owed(database_url: str) -> int:
    """Outbox rows not yet sent, due now or later (a retry after a fault is still owed)."""
    import sqlalchemy as sa

    from bot.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM outbox WHERE status = 'pending'"
            return int(conn.execute(sa.text(query)).scalar() or 0)
    finally:
        engine.dispose()


async def run(args: argparse.Namespace, work: Path) -> tuple[Figures, Ledger, dict[str, Any]]:
    os.environ.update(DRILL_ENV | (QUICK_ENV if args.quick else {}))
    await asyncio.to_thread(prepare_database, args.database_url, [])
    options = ["--seed", str(args.seed)]
    if args.fault_rate:
        options += ["--fault-rate", str(args.fault_rate)]
        options += ["--throttle"] if args.throttle else []
    emulator, api_url = await start_emulator(
        args.latency, work / "emulator.log", rate_limits=args.rate_limits, extra=options
    )
    env = bot_env(args.database_url, api_url, ROOT / "settings.toml") | DRILL_ENV
    env |= QUICK_ENV if args.quick else {}
    logs = [work / "bot.log"] + [work / f"bot{n}.log" for n in range(2, args.instances + 1)]
    api = SandboxClient(api_url, timeout=60)
    state: dict[str, Any] = {}
    figures = Figures()
    extra: dict[str, Any] = {}
    try:
        users = {
            p.telegram_id: await api.persona(p.telegram_id, p.name, p.language)
            for p in demo_people()
        }
        env = webhook_env(env) if args.webhook else env
        state["bot"] = await start_bot(env, logs[0])
        # Further instances (webhook mode) sweep and deliver beside the first; not killed.
        state["others"] = [await start_bot(webhook_env(env), log) for log in logs[1:]]
        started = time.monotonic()
        killer = asyncio.create_task(kill_loop(args, env, work, state, figures))
        issued = await drive(args, users)
        if not killer.done():
            print("  the drill's last step fell due before the last kill; kills go on", flush=True)
        await killer
        extra["drained"] = await drain(args.database_url, args.drain_seconds)
        await asyncio.sleep(2)
        figures.wall = time.monotonic() - started
        extra["faults_injected"] = (await api.info())["faults_injected"]
        extra["fates"] = {f: sum(i.fate == f for i in issued) for f in {i.fate for i in issued}}
        rows = await asyncio.to_thread(outbox_rows, args.database_url)
        history = await chat_history(api, sorted({r.chat_id for r in rows}))
        judge(rows, history, figures)
    finally:
        await api.aclose()
        for process in [state.get("bot"), *state.get("others", [])]:
            await stop(process)
        emulator.terminate()
        await emulator.wait()
    text = "".join(log.read_text(errors="replace") for log in logs)
    extra["bot_429_warnings"] = sum(bool(FLOOD.search(line)) for line in text.splitlines())
    found = await asyncio.to_thread(ledger, args.database_url, category=CATEGORY, profile=PROFILE)
    return figures, found, extra


def render(args: argparse.Namespace, f: Figures, book: Ledger, extra: dict[str, Any]) -> str:
    faults = f"fault rate {args.fault_rate:g}" + (" (with 429s)" if args.throttle else "")
    lines = [
        f"drill benchmark: {args.assignments} dispute assignments on the drill profile, "
        f"{len(f.kills)} kill -9, {faults}, rate limits {'on' if args.rate_limits else 'off'}, "
        f"latency {args.latency} ms, {args.instances} instance(s)"
        f"{' in webhook mode' if args.webhook else ''}, "
        f"{args.database_url.split(':', 1)[0]}, {f.wall:.0f} s",
        f"  fates                                   {extra.get('fates')}",
        f"  final stages                            {dict(book.groups)}",
        "  steps the deadlines imply vs the database:",
        *book.rows(),
        f"  outbox messages                         {f.rows} (gave up: {f.failed_rows})",
        f"  messages owed at the kills              {sum(len(k.owed) for k in f.kills)}",
        f"  delivered / duplicated / lost           {f.delivered} / {f.duplicates} / {f.lost}",
        f"  per-chat order violations               {f.order_violations}",
        f"  outbox drained at the end               {extra.get('drained')}",
        f"  faults injected by the emulator         {extra.get('faults_injected')}",
        f"  429s the bot met (log warnings)         {extra.get('bot_429_warnings')}",
    ]
    if args.details:
        for row in f.repeated:
            kills = [n for n, k in enumerate(f.kills, 1) if row.id in k.owed]
            lines.append(
                f"    repeated: row {row.id} chat {row.chat_id} {row.kind} {row.template} "
                f"attempts {row.attempts} sent {row.sent_at} owed at kills {kills}"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drill", description=__doc__)
    add = parser.add_argument
    add("--assignments", type=int, default=36)
    add("--spread", type=float, default=120.0, help="seconds over which they are dispatched")
    add("--kills", type=int, default=12)
    add("--quick", action="store_true", help="the drill policy compressed about threefold")
    add("--min-interval", type=float, default=20.0, help="seconds from a start to the next kill")
    add("--max-interval", type=float, default=70.0)
    add("--fault-rate", type=float, default=0.0, help="share of Bot API calls that fail")
    add("--throttle", action="store_true", help="a third of the faults are 429s")
    add("--rate-limits", action="store_true", help="the emulator enforces Telegram's limits")
    add("--latency", default="40-120", help="Bot API latency range, ms")
    add("--instances", type=int, default=1, help="bot processes on the one database")
    add("--webhook", action="store_true", help="webhook mode (implied by --instances 2+)")
    add("--drain-seconds", type=float, default=180.0)
    add("--seed", type=int, default=7)
    add("--database-url", default=None, help="default: a new SQLite file")
    add("--postgres", action="store_true", help="a throwaway PostgreSQL server instead")
    add("--json", type=Path, default=None, help="also write the figures here")
    add("--details", action="store_true", help="list repeated messages")
    add("--work", type=Path, default=None, help="where logs go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.webhook = args.webhook or args.instances > 1
    work = args.work or Path(tempfile.mkdtemp(prefix="duban-drill-"))
    work.mkdir(parents=True, exist_ok=True)
    pg = None
    if args.postgres:
        from tests.pgserver import PgServer

        pg = PgServer().start()
        args.database_url = pg.url()
    args.database_url = args.database_url or f"sqlite:///{work}/drill.db"
    print(f"drill benchmark: logs in {work}", flush=True)
    try:
        figures, book, extra = asyncio.run(run(args, work))
    finally:
        if pg is not None:
            pg.stop()
    print(render(args, figures, book, extra), flush=True)
    if args.json is not None:
        data = {
            "kills": len(figures.kills),
            "messages": figures.rows,
            "delivered": figures.delivered,
            "duplicated": figures.duplicates,
            "lost": figures.lost,
            "gave_up": figures.failed_rows,
            "steps": book.summary(),
        } | extra
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
