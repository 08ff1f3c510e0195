"""The child processes' side: the emulator, and the bots under test (duban and an echo bot)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from typing import Any

from benchmarks.intake.children import emit, process_stats, watch_parent

TOKEN = "1000001:intake-benchmark"


async def serve_sandbox(args: argparse.Namespace) -> None:
    """The emulator until the parent closes our stdin (or the lifetime runs out)."""
    from sandbox.server import SandboxServer

    server = SandboxServer(
        host="127.0.0.1", port=0, rate_limits=False, fault_rate=args.fault_rate, seed=args.seed
    )
    await server.start()
    stop = asyncio.Event()
    watch_parent(asyncio.get_running_loop(), stop, dict)
    emit("ready", url=server.url, **process_stats())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    finally:
        await server.stop()
    emit("final", **process_stats())


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


def _build(args: argparse.Namespace) -> Any:
    from bot.app import build_application
    from bot.db import Database
    from bot.settings import load_settings

    settings = load_settings(database={"url": args.database_url})
    if args.bot == "echo":
        return build_echo_application(settings, base_url=args.url, rate_limiter=args.rate_limiter)
    return build_application(
        settings,
        token=TOKEN,
        base_url=f"{args.url}/bot",
        base_file_url=f"{args.url}/file/bot",
        db=Database(args.database_url),
        sla_profile="standard",
        rate_limiter=args.rate_limiter,
    )


async def serve_bot(args: argparse.Namespace) -> None:
    """The bot under test, started as ``run_polling`` starts it, until the parent is done."""
    app = _build(args)
    if args.bot == "duban":  # as ``duban run`` does
        from bot.startup import freeze_what_is_loaded

        freeze_what_is_loaded()

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
    watch_parent(asyncio.get_running_loop(), stop, extra)
    emit("ready", **process_stats(), **extra())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
    emit("final", **process_stats(), **extra())


def child_main(argv: list[str]) -> None:
    """Entry point of a child process: ``_child sandbox|bot [options]``."""
    parser = argparse.ArgumentParser(prog="benchmarks.intake _child")
    parser.add_argument("role", choices=("sandbox", "bot"))
    parser.add_argument("--bot", choices=("duban", "echo"), default="duban")
    parser.add_argument("--url", default="")
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--rate-limiter", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--lifetime", type=float, default=600.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    runner = serve_sandbox if args.role == "sandbox" else serve_bot
    asyncio.run(runner(args))
