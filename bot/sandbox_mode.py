"""`duban run` without a token: the local Bot API emulator, the demo organisation and the bot."""

from __future__ import annotations

import logging

from bot.app import build_application
from bot.db import Database
from bot.lock import hold_polling_or_exit
from bot.settings import Settings
from bot.startup import run_application
from sandbox.server import running_in_thread
from services.demo import seed_demo

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1000001:sandbox-token-not-a-secret"


def run_sandbox(
    settings: Settings,
    *,
    port: int | None = None,
    rate_limits: bool | None = None,
    fault_rate: float | None = None,
) -> None:
    """Start the emulator in a thread and poll it with the real application until Ctrl-C."""
    options = settings.sandbox
    with running_in_thread(
        host=options.host,
        port=options.port if port is None else port,
        bot_username=settings.telegram.bot_username,
        rate_limits=options.rate_limits if rate_limits is None else rate_limits,
        fault_rate=options.fault_rate if fault_rate is None else fault_rate,
    ) as server:
        if options.demo:
            db = Database(settings.database.url)
            personas = db.call(seed_demo)
            db.dispose()
            for p in personas:
                server.add_persona(p.telegram_id, p.name, language_code=p.language, note=p.note)
        application = build_application(
            settings,
            token=SANDBOX_TOKEN,
            base_url=f"{server.url}/bot",
            base_file_url=f"{server.url}/file/bot",
            sla_profile=options.sla_profile,
        )
        hold_polling_or_exit(application)
        print(f"\n  duban sandbox: open {server.url} in your browser\n", flush=True)
        run_application(application, settings, sandbox=True)
