"""The application factory: wiring in one place, logic elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import datetime

from telegram import Bot, BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.db import Database
from bot.deps import Deps, make_rules
from bot.i18n import LANGUAGES, normalize_language, t
from bot.inbox import DurableQueue, replay_unhandled
from bot.jobs import sweep_job
from bot.lock import Instance
from bot.outbox import IN_FLIGHT, OutboxWorker
from bot.pacing import Pacer
from bot.settings import Settings
from bot.startup import Resilience, describe, keep_trying, resilience_of, transient
from handlers import register_all
from handlers.menu import COMMANDS
from models.types import utcnow

log = logging.getLogger(__name__)
# The outbox waits for the handlers' database work to finish (answers first), but no longer
# than this, so a steady stream of updates cannot hold notifications back indefinitely.
YIELD_AT_MOST = 0.5


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    base_url: str | None = None,
    base_file_url: str | None = None,
    sla_profile: str | None = None,
    db: Database | None = None,
    rate_limiter: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> Application:
    """Build the PTB Application with every handler, the outbox worker and the sweep job."""
    secret = settings.telegram.token.get_secret_value() if settings.telegram.token else None
    token = token or secret
    if not token:
        raise ValueError("no Telegram token: set telegram.token or run the sandbox")
    builder = ApplicationBuilder().token(token).defaults(Defaults(tzinfo=settings.time.zone))
    base_url = base_url or settings.telegram.base_url
    base_file_url = base_file_url or settings.telegram.base_file_url
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if rate_limiter:
        # Paces every call within Telegram's limits and retries 429s after retry_after.
        # The builder's bot type becomes ExtBot[int], which one variable cannot express.
        limiter = AIORateLimiter(max_retries=settings.telegram.max_retries)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    inbox = DurableQueue()
    builder = (
        builder.update_queue(inbox)
        .concurrent_updates(True)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    app = builder.build()
    if rate_limiter:
        app.bot_data["outbox_bot"] = _outbox_bot(token, base_url, base_file_url)
    options = settings.database
    db = db or Database(
        options.url,
        echo=options.echo,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        threads=options.threads,
    )
    app.bot_data["resilience"] = Resilience()
    # Its own connection and thread: the poller stores updates one after another, so a store
    # queued behind handlers' work would hold back every update fetched after it.
    inbox.db = Database(db.url)
    # Only bot/sandbox_mode.py passes another clock (the sandbox's, which can be moved forward).
    rules = make_rules(settings, sla_profile=sla_profile, clock=clock)
    # Deadlines in a year the holiday calendar does not know count weekends only: say so now.
    rules.calendar.warn_uncovered(rules.now())
    app.bot_data["deps"] = Deps(
        settings=settings, db=db, rules=rules, extras={"instance": Instance(db)}
    )
    register_all(app)
    app.add_error_handler(_log_error)
    return app


def _outbox_bot(token: str, base_url: str | None, base_file_url: str | None) -> Bot:
    """The outbox's own Bot, outside AIORateLimiter: answers first, notifications after.

    The outbox paces itself below Telegram's limit (bot/pacing.py); sharing the limiter's
    queue would put the answer to someone who just wrote behind a burst of notifications.
    """
    urls = {"base_url": base_url, "base_file_url": base_file_url}
    return Bot(
        token,
        request=HTTPXRequest(connection_pool_size=IN_FLIGHT + 2),
        **{key: value for key, value in urls.items() if value},  # type: ignore[arg-type]
    )


async def _post_init(app: Application) -> None:
    deps: Deps = app.bot_data["deps"]
    settings = deps.settings
    instance: Instance = deps.extras["instance"]  # type: ignore[assignment]
    await deps.db.offload(instance.register)
    await instance.start_heartbeat()
    outbox_bot = app.bot_data.get("outbox_bot", app.bot)
    if outbox_bot is not app.bot:
        # Only its connections: app.bot's getMe already checked the token, no second call.
        await outbox_bot.request.initialize()
    deps.outbox = OutboxWorker(
        # Its own connection and thread: recording a delivered message must not wait behind
        # handlers' work, since a crash in between sends that message again.
        db=Database(deps.db.url),
        bot=outbox_bot,
        batch_size=settings.outbox.batch_size,
        max_attempts=settings.outbox.max_attempts,
        idle_poll=settings.outbox.idle_poll.as_timedelta().total_seconds(),
        owner=instance.owner,
        live_owners=instance.live_owners,
        rules=deps.rules,
        yield_to=functools.partial(deps.db.quiet, YIELD_AT_MOST),
        digest_after=settings.outbox.digest_after.as_timedelta().total_seconds(),
        pacer=Pacer(
            rate=settings.outbox.rate,
            chat_rate=settings.outbox.chat_rate,
            chat_burst=settings.outbox.chat_burst,
        ),
    )
    await deps.outbox.start()
    await replay_unhandled(app, everything=instance.polling_lock is not None)
    # The menus are a convenience: the bot starts without them and keeps trying in the background.
    app.bot_data["menus"] = asyncio.create_task(publish_commands_eventually(app))
    if app.job_queue is not None:
        interval = settings.time.sweep_interval.as_timedelta().total_seconds()
        app.job_queue.run_repeating(sweep_job, interval=interval, first=1, name="sweep")


async def _post_shutdown(app: Application) -> None:
    deps: Deps = app.bot_data["deps"]
    menus = app.bot_data.pop("menus", None)
    if menus is not None:
        menus.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await menus
    if deps.outbox is not None:
        await deps.outbox.stop()
        deps.outbox.db.dispose()
        if deps.outbox.bot is not app.bot:
            await deps.outbox.bot.request.shutdown()
    await deps.extras["instance"].stop()  # type: ignore[attr-defined]
    inbox = app.update_queue
    if isinstance(inbox, DurableQueue) and inbox.db not in (None, deps.db):
        inbox.db.dispose()
    deps.db.dispose()


async def publish_commands(app: Application) -> None:
    """The menu everyone sees, per language; role-specific menus are set per chat on joining."""
    everyone = [c for c in COMMANDS if not c.roles]
    for lang in LANGUAGES:
        commands = [BotCommand(c.name, t(lang, c.description)[:256]) for c in everyone]
        await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
    default = app.bot_data["deps"].rules.default_language
    commands = [BotCommand(c.name, t(default, c.description)[:256]) for c in everyone]
    await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def publish_commands_eventually(app: Application) -> None:
    """Publish the menus, retrying while Telegram is unreachable; other refusals are logged."""
    try:
        await keep_trying(app, lambda: publish_commands(app), what="setMyCommands")
    except TelegramError as exc:
        log.warning("the command menus were not published: %s", describe(exc))


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the user their last action did not go through."""
    if update is None and context.error is not None and transient(context.error):
        resilience_of(context.application).outage.failed("Bot API", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    default = context.application.bot_data["deps"].rules.default_language
    lang = normalize_language(user.language_code if user else None, default)
    text = t(
        lang,
        "Sorry, something went wrong on our side and your last action was not "
        "completed. Please try again in a moment.",
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell chat %s about the error", update.effective_chat.id)
