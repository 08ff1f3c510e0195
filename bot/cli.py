"""The ``duban`` command line."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Annotated
from urllib.parse import quote

import typer

from bot.cli_calendar import calendar_command
from bot.cli_stats import stats_command
from bot.settings import Settings, SettingsError, load_settings, settings_path

# No pretty tracebacks: they print local variables, and one of them holds the token.
app = typer.Typer(
    help="督办 duban — assign, supervise, finish on time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
org_app = typer.Typer(help="The organisation (parks and departments) from settings.toml.")
app.add_typer(db_app, name="db")
enterprise_app = typer.Typer(help="Enterprises and their projects.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(enterprise_app, name="enterprise")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.command("calendar")(calendar_command)
app.command("stats")(stats_command)

log = logging.getLogger("duban")

# The commands import what they need when they run: `duban --help` or a settings mistake then
# answers at once, without loading SQLAlchemy, PTB and the whole domain first.


TOKEN_REJECTED = "Telegram rejected the token; check DUBAN_TELEGRAM__TOKEN"
ALLOW_EMPTY_HELP = "Sync even if settings list no parks or no departments (deactivates them all)."
AllowEmpty = Annotated[bool, typer.Option("--allow-empty-organisation", help=ALLOW_EMPTY_HELP)]
_options = {"verbose": False}


@app.callback()
def main_options(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log at DEBUG (secrets stay redacted).")
    ] = False,
) -> None:
    """督办 duban — assign, supervise, finish on time."""
    _options["verbose"] = verbose


class Redactor:
    """Blanks out secrets in any text: log lines, tracebacks, exception messages."""

    def __init__(self, secrets: list[str]) -> None:
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote(s))}
        self.secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


class RedactingFormatter(logging.Formatter):
    """Formats the whole record, traceback included, then removes the secrets."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def secrets_of(settings: Settings | None) -> list[str]:
    if settings is None:
        return []
    options = settings.telegram
    return [s.get_secret_value() for s in (options.token, options.webhook_secret) if s]


def setup_logging(settings: Settings | None = None, *, verbose: bool | None = None) -> None:
    """One redacting handler on stderr at the configured level (DEBUG with --verbose)."""
    redact = Redactor(secrets_of(settings))
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(redact))
    verbose = _options["verbose"] if verbose is None else verbose
    configured = settings.log_level if settings else "INFO"
    level = logging.DEBUG if verbose else logging.getLevelNamesMapping()[configured]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    # At INFO httpx logs every request URL (with the token in it): only a DEBUG run wants that.
    quiet = logging.DEBUG if level == logging.DEBUG else max(level, logging.WARNING)
    for name in ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(quiet)
    _redact_uncaught(redact)


def _redact_uncaught(redact: Redactor) -> None:
    """Tracebacks nobody caught are printed redacted too, from any thread."""

    def print_redacted(
        kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, exc, tb))))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            print_redacted(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = print_redacted
    threading.excepthook = thread_hook


def settings_or_exit() -> Settings:
    """Load settings; a configuration mistake ends the program with one message and status 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"duban: {exc}", err=True)
        raise typer.Exit(2) from None


def refuse_empty_organisation(settings: Settings, allowed: bool) -> None:
    """A file that lost its organisation would deactivate every park and department."""
    org = settings.organisation
    empty = [kind for kind in ("parks", "departments") if not getattr(org, kind)]
    if not empty or allowed:
        return
    lines = [
        f"  organisation.{kind}: none listed, so every {kind[:-1]} in the database would be "
        "deactivated; list them, or pass --allow-empty-organisation"
        for kind in empty
    ]
    typer.echo(f"duban: invalid settings in {settings_path()}:\n" + "\n".join(lines), err=True)
    raise typer.Exit(2)


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """A database that cannot be opened or reached ends the program with one line."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
    except OSError as exc:  # the SQLite file's directory cannot be created
        reason = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    else:
        return
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"duban: cannot open the database {shown}: {reason}", err=True)
    raise typer.Exit(2)


def prepare_database(settings: Settings, *, allow_empty_organisation: bool = False) -> None:
    """Apply migrations and mirror the organisation from settings."""
    from bot.db import upgrade_and_sync

    refuse_empty_organisation(settings, allow_empty_organisation)
    with database_errors(settings.database.url):
        upgrade_and_sync(settings, allow_empty=allow_empty_organisation)


@app.command()
def run(allow_empty_organisation: AllowEmpty = False) -> None:
    """Run the bot: with a Telegram token against Telegram, without one in the local sandbox."""
    settings = settings_or_exit()
    setup_logging(settings)
    prepare_database(settings, allow_empty_organisation=allow_empty_organisation)
    if settings.telegram.token is None or not settings.telegram.token.get_secret_value():
        from bot.sandbox_mode import run_sandbox

        log.info("no Telegram token configured: starting the offline sandbox")
        run_sandbox(settings, allow_empty_organisation=allow_empty_organisation)
        return
    from bot.app import build_application
    from bot.startup import TokenRejected, freeze_what_is_loaded, run_application

    application = build_application(settings)
    freeze_what_is_loaded()
    if settings.telegram.mode != "webhook":
        from bot.lock import hold_polling_or_exit

        hold_polling_or_exit(application)
    try:
        run_application(application, settings)
    except TokenRejected:
        typer.echo(f"duban: {TOKEN_REJECTED}", err=True)
        raise typer.Exit(2) from None


def _check_clock_offset(value: str | None) -> str | None:
    from bot.sandbox_clock import check_span

    if value is None:
        return None
    try:
        check_span(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


@app.command()
def sandbox(
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port of the sandbox page and Bot API.")
    ] = None,
    rate_limits: Annotated[
        bool | None,
        typer.Option("--rate-limits/--no-rate-limits", help="Emulate Telegram's rate limits."),
    ] = None,
    fault_rate: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Fraction of API calls that fail.")
    ] = None,
    clock_offset: Annotated[
        str | None,
        typer.Option(
            help="Start the sandbox clock this far ahead of real time: 4h, 3d or 2wd "
            "(working days). It only moves forward.",
            callback=_check_clock_offset,
        ),
    ] = None,
    allow_empty_organisation: AllowEmpty = False,
) -> None:
    """Run the local Bot API emulator with its web chat page and the bot against it.

    Options not given come from the [sandbox] section of the settings.
    """
    settings = settings_or_exit()
    setup_logging(settings)
    prepare_database(settings, allow_empty_organisation=allow_empty_organisation)
    from bot.sandbox_mode import run_sandbox

    run_sandbox(
        settings,
        port=port,
        rate_limits=rate_limits,
        fault_rate=fault_rate,
        clock_offset=clock_offset,
        allow_empty_organisation=allow_empty_organisation,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations."""
    from bot.db import current_revision, upgrade

    settings = settings_or_exit()
    with database_errors(settings.database.url):
        upgrade(settings.database.url, revision)
        typer.echo(f"database at revision {current_revision(settings.database.url)}")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m", help="What changes.")]) -> None:
    """Write a new migration from the difference between models and database (developers)."""
    from alembic import command

    from bot.db import alembic_config, upgrade

    settings = settings_or_exit()
    upgrade(settings.database.url)
    command.revision(alembic_config(settings.database.url), message=message, autogenerate=True)


@org_app.command("sync")
def org_sync(allow_empty_organisation: AllowEmpty = False) -> None:
    """Create, rename or deactivate parks and departments to match settings.toml."""
    from bot.db import upgrade_and_sync

    settings = settings_or_exit()
    refuse_empty_organisation(settings, allow_empty_organisation)
    with database_errors(settings.database.url):
        result = upgrade_and_sync(settings, allow_empty=allow_empty_organisation)
    typer.echo(
        f"organisation synced: {result.created} created, {result.updated} updated, "
        f"{result.deactivated} deactivated"
    )


ROLE_HELP = "enterprise, park_officer, dispatcher, liaison, head, supervisor or admin"


@app.command()
def invite(
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
    department: Annotated[str | None, typer.Option(help="Department code (liaison, head).")] = None,
    park: Annotated[str | None, typer.Option(help="Park code (park_officer).")] = None,
    enterprise: Annotated[int | None, typer.Option(help="Enterprise id (enterprise).")] = None,
    days: Annotated[
        int | None,
        typer.Option(min=1, max=90, help="Days the code stays valid [limits.invitation_validity]."),
    ] = None,
) -> None:
    """Create a one-time invitation code and its t.me deep link."""
    from datetime import timedelta

    from bot.db import Database
    from bot.deps import make_rules
    from models.enums import Role
    from services.errors import DomainError
    from services.invites import create_invitation

    settings = settings_or_exit()
    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"duban: unknown role {role!r}; use {ROLE_HELP}", err=True)
        raise typer.Exit(2) from None
    prepare_database(settings)
    db = Database(settings.database.url)
    try:
        created = db.call(
            create_invitation,
            role=chosen,
            created_by=None,
            department_code=department,
            park_code=park,
            enterprise_id=enterprise,
            validity=timedelta(days=days) if days else None,
            rules=make_rules(settings),
        )
    except DomainError as exc:
        typer.echo(f"duban: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(f"code:    {created.code}")
    typer.echo(f"link:    {created.deep_link(settings.telegram.bot_username)}")
    typer.echo(f"expires: {created.invitation.expires_at:%Y-%m-%d %H:%M} UTC (single use)")


IMPORT_HELP = (
    "CSV, UTF-8 (a BOM is fine), header row in English or Chinese: name/企业名称, "
    "credit_code/统一社会信用代码, park/园区 (code or name; optional with --park), "
    "project/项目名称, investment_yuan/投资额 (8000万, 1.2亿, 120000000), "
    "key_project/重点项目 (是/否, yes/no, 1/0). One row per project."
)


@enterprise_app.command("import")
def enterprise_import(
    file: Annotated[Path, typer.Argument(help=IMPORT_HELP)],
    park: Annotated[
        str | None, typer.Option(help="Park code for every row (rows may then omit the park).")
    ] = None,
) -> None:
    """Import enterprises and projects from a CSV file: all rows, or none if any row is bad."""
    from bot.db import Database
    from bot.deps import make_rules
    from services.errors import DomainError
    from services.registry.importer import ImportRejected, import_enterprises, read_csv

    settings = settings_or_exit()
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        typer.echo(f"duban: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    except UnicodeDecodeError as exc:
        typer.echo(
            f"duban: {file} is not UTF-8 text (byte {exc.start}); save it as UTF-8", err=True
        )
        raise typer.Exit(1) from None
    prepare_database(settings)
    db = Database(settings.database.url)
    try:
        rows = read_csv(text)
        result = db.call(
            import_enterprises, rows=rows, default_park=park, rules=make_rules(settings)
        )
    except ImportRejected as exc:
        for row, reason in exc.problems:
            typer.echo(f"{file}, row {row}: {reason}", err=True)
        typer.echo(
            f"duban: {len(exc.problems)} problem(s) in {file}; nothing was imported", err=True
        )
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(f"duban: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(
        f"imported {file}: {result.enterprises_created} enterprises and "
        f"{result.projects_created} projects created; {result.enterprises_existing} enterprises "
        f"and {result.projects_existing} projects already registered (skipped)"
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; name the first broken event (exit status 1)."""
    from bot.db import Database, upgrade
    from services.audit import verify

    settings = settings_or_exit()
    with database_errors(settings.database.url):
        upgrade(settings.database.url)
        db = Database(settings.database.url)
        try:
            verdict = db.call(verify)
        finally:
            db.dispose()
    broken = verdict.broken
    if broken is None:
        typer.echo(f"{verdict.count} events, chain head {verdict.head}: OK")
        return
    typer.echo(f"{verdict.count} events verified, then the chain breaks:", err=True)
    if broken.event_id is not None and broken.at is not None:
        when = broken.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        typer.echo(
            f"  event {broken.event_id} ({when}, {broken.action}): {broken.reason}", err=True
        )
    else:
        typer.echo(f"  {broken.reason}", err=True)
    raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
