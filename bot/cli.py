"""The ``duban`` command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="督办 duban — assign, supervise, finish on time.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
org_app = typer.Typer(help="The organisation (parks and departments) from settings.toml.")
app.add_typer(db_app, name="db")
enterprise_app = typer.Typer(help="Enterprises and their projects.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(enterprise_app, name="enterprise")

log = logging.getLogger("duban")

# The commands import what they need when they run: `duban --help` or a settings mistake then
# answers at once, without loading SQLAlchemy, PTB and the whole domain first.


class RedactSecrets(logging.Filter):
    """Blank out secrets in every log line, whichever library wrote it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(s in message for s in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = []
    if settings and settings.telegram.token:
        secrets.append(settings.telegram.token.get_secret_value())
    if settings and settings.telegram.webhook_secret:
        secrets.append(settings.telegram.webhook_secret.get_secret_value())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def settings_or_exit() -> Settings:
    """Load settings; a configuration mistake ends the program with one message and status 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"duban: {exc}", err=True)
        raise typer.Exit(2) from None


def prepare_database(settings: Settings) -> None:
    """Apply migrations and mirror the organisation from settings."""
    from bot.db import Database, upgrade
    from services.org import sync_organisation

    upgrade(settings.database.url)
    db = Database(settings.database.url)
    try:
        org = settings.organisation
        db.call(sync_organisation, parks=org.parks, departments=org.departments)
    finally:
        db.dispose()


@app.command()
def run() -> None:
    """Run the bot: with a Telegram token against Telegram, without one in the local sandbox."""
    settings = settings_or_exit()
    setup_logging(settings)
    prepare_database(settings)
    if settings.telegram.token is None or not settings.telegram.token.get_secret_value():
        from bot.sandbox_mode import run_sandbox

        log.info("no Telegram token configured: starting the offline sandbox")
        run_sandbox(settings)
        return
    from bot.app import build_application

    application = build_application(settings)
    if settings.telegram.mode == "webhook":
        secret = settings.telegram.webhook_secret
        application.run_webhook(
            listen=settings.telegram.webhook_listen,
            port=settings.telegram.webhook_port,
            webhook_url=settings.telegram.webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
        )
    else:
        application.run_polling()


@app.command()
def sandbox(
    port: Annotated[int | None, typer.Option(help="Port of the sandbox page and Bot API.")] = None,
    rate_limits: Annotated[bool, typer.Option(help="Emulate Telegram's rate limits.")] = False,
    fault_rate: Annotated[float, typer.Option(help="Fraction of API calls that fail.")] = 0.0,
) -> None:
    """Run the local Bot API emulator with its web chat page and the bot against it."""
    settings = settings_or_exit()
    setup_logging(settings)
    prepare_database(settings)
    from bot.sandbox_mode import run_sandbox

    run_sandbox(settings, port=port, rate_limits=rate_limits, fault_rate=fault_rate)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations."""
    from bot.db import current_revision, upgrade

    settings = settings_or_exit()
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
def org_sync() -> None:
    """Create, rename or deactivate parks and departments to match settings.toml."""
    from bot.db import Database, upgrade
    from services.org import sync_organisation

    settings = settings_or_exit()
    upgrade(settings.database.url)
    db = Database(settings.database.url)
    org = settings.organisation
    result = db.call(sync_organisation, parks=org.parks, departments=org.departments)
    db.dispose()
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
        for line, reason in exc.problems:
            typer.echo(f"{file}:{line}: {reason}", err=True)
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


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
