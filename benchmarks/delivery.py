"""Delivery benchmark: a burst of due outbox messages against the emulator with rate limits on.

Run ``python -m benchmarks.delivery`` (``--help`` for the options). The emulator
(``python -m sandbox.server --rate-limits``: about 30 messages a second per bot and one a
second per chat with a burst of 3, answered with 429 beyond that) runs in its own process;
duban's outbox worker (bot/outbox.py, with its own pacing from bot/pacing.py, as in
production) runs here against a fresh database holding ``--messages`` due rows spread over
``--chats`` chats.

Figures: messages delivered, seconds from the first to the last delivery, messages a second,
and the 429s the emulator answered (the outbox must keep within the limits by itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:
    sys.path.insert(0, str(ROOT))

from benchmarks.crash import start_emulator  # noqa: E402

TOKEN = "1000001:delivery-benchmark"
FIRST_CHAT = 8_000_000


class FloodCounter(logging.Handler):
    """Counts the outbox's 'flood limit' warnings: each is a 429 from the emulator."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.floods = 0
        self.other = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "flood limit" in record.getMessage():
            self.floods += 1
        else:
            self.other += 1


def prepare(url: str, messages: int, chats: int) -> None:
    """A migrated database with ``chats`` users and ``messages`` due rows, round-robin."""
    from bot.db import Database, upgrade
    from models import User
    from services import outbox

    upgrade(url)
    db = Database(url)

    def fill(session: Any) -> None:
        users = [User(telegram_id=FIRST_CHAT + i, display_name=f"u{i}") for i in range(chats)]
        session.add_all(users)
        session.flush()
        for n in range(messages):
            outbox.enqueue(
                session,
                user=users[n % chats],
                template="bench",
                text=f"通知 {n + 1}: burst delivery benchmark",
                dedupe_key=f"bench:{n}",
            )

    try:
        db.call(fill)
    finally:
        db.dispose()


async def deliver(url: str, api: str, messages: int, limit_s: float) -> dict[str, Any]:
    """Run the outbox worker until every row is sent; the figures."""
    from sqlalchemy import func
    from sqlmodel import select
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.db import Database
    from bot.outbox import IN_FLIGHT, OutboxWorker
    from models import OutboxMessage
    from models.enums import OutboxStatus

    counter = FloodCounter()
    logging.getLogger("bot.outbox").addHandler(counter)
    db = Database(url)
    bot = Bot(
        TOKEN,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=IN_FLIGHT + 2),
    )
    worker = OutboxWorker(db=db, bot=bot, idle_poll=0.2)

    def sent_rows(session: Any) -> tuple[int, Any, Any]:
        query = select(
            func.count(), func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)
        )
        return session.exec(query.where(OutboxMessage.status == OutboxStatus.SENT)).one()

    started = time.monotonic()
    await worker.start()
    try:
        while time.monotonic() - started < limit_s:
            count, _, _ = await db.run(sent_rows)
            if count >= messages:
                break
            await asyncio.sleep(0.5)
    finally:
        await worker.stop()
        db.dispose()
    count, first, last = Database(url).call(sent_rows)
    span = (last - first).total_seconds() if first and last else 0.0
    return {
        "messages": messages,
        "delivered": count,
        "seconds_first_to_last": round(span, 2),
        "messages_per_s": round((count - 1) / span, 2) if span else 0.0,
        "http_429": counter.floods,
        "other_warnings": counter.other,
    }


async def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    pg = None
    try:
        if args.database == "postgres":
            from tests.pgserver import PgServer

            pg = PgServer().start()
            url = pg.create_database("delivery_bench")
        else:
            url = f"sqlite:///{work}/delivery.db"
        await asyncio.to_thread(prepare, url, args.messages, args.chats)
        emulator, api = await start_emulator(args.latency, work / "emulator.log", rate_limits=True)
        try:
            from sandbox.client import SandboxClient

            async with SandboxClient(api) as client:
                for i in range(args.chats):
                    await client.persona(FIRST_CHAT + i, f"u{i}", "zh")
            figures = await deliver(url, api, args.messages, args.timeout)
        finally:
            emulator.terminate()
            await emulator.wait()
        figures["database"] = "PostgreSQL" if pg else "SQLite"
        figures["chats"] = args.chats
        figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
        return figures
    finally:
        if pg is not None:
            pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delivery", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--latency", default=None, help="Bot API latency range, ms (e.g. 40-120)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="duban-delivery-"))
    figures = asyncio.run(run(args, work))
    print(
        f"delivery benchmark ({figures['database']}, emulator rate limits on, "
        f"{args.messages} due messages over {args.chats} chats):\n"
        f"  delivered          {figures['delivered']} of {figures['messages']}\n"
        f"  first to last (s)  {figures['seconds_first_to_last']}\n"
        f"  messages a second  {figures['messages_per_s']}\n"
        f"  429 answers        {figures['http_429']}\n"
        f"  load average       {figures['load_average']}",
        flush=True,
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
