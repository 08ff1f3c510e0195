"""The ``duban`` command line as an operator uses it."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer.main
from sqlmodel import Session, create_engine, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db import Database
from bot.settings import Settings
from models import AuditEvent, Department, Invitation, Park, User
from models.enums import Role
from services.onboarding import join
from services.org import EmptyOrganisation, sync_organisation
from tests.rules import RULES

DUBAN = Path(sys.executable).parent / "duban"
CODE_LINE = re.compile(r"^code:\s+(\S+)$", re.M)
LINK_LINE = re.compile(r"^link:\s+(\S+)$", re.M)


@pytest.fixture
def cli_env(
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db_url: str,
) -> str:
    """Run commands from an empty directory (no .env) against the repo's settings and db_url."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("DUBAN_DATABASE__URL", db_url)
    return db_url


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="duban")


def broken_settings(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text('[time]\ntimezone = "Mars/Olympus_Mons"\n', encoding="utf-8")
    return path


# -- a configuration mistake stops start-up cleanly ----------------------------------------------


def test_run_with_broken_settings_exits_2_with_one_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["DUBAN_SETTINGS"] = str(broken_settings(tmp_path))
    result = subprocess.run(
        [str(DUBAN), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert problems == ["  time.timezone: unknown time zone 'Mars/Olympus_Mons'"]
    assert result.stderr.startswith(f"duban: invalid settings in {env['DUBAN_SETTINGS']}")
    assert not (tmp_path / "data").exists()  # nothing was started or created


@pytest.mark.parametrize(
    "args",
    [["db", "upgrade"], ["org", "sync"], ["invite", "dispatcher"], ["sandbox"]],
    ids=["db-upgrade", "org-sync", "invite", "sandbox"],
)
def test_every_command_refuses_broken_settings(
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    runner: CliRunner,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUBAN_SETTINGS", str(broken_settings(tmp_path)))
    result = invoke(runner, *args)
    assert result.exit_code == 2
    assert "time.timezone" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "data").exists()


# -- db upgrade and org sync --------------------------------------------------------------------


def test_db_upgrade_reports_the_revision(cli_env: str, runner: CliRunner) -> None:
    result = invoke(runner, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert re.search(r"database at revision \w+", result.stdout)
    again = invoke(runner, "db", "upgrade")
    assert again.exit_code == 0
    assert again.stdout == result.stdout  # already at head: nothing else happens


def test_org_sync_twice_changes_nothing_the_second_time(
    cli_env: str, runner: CliRunner, settings_factory: Callable[..., Settings]
) -> None:
    org = settings_factory().organisation
    units = len(org.parks) + len(org.departments)
    first = invoke(runner, "org", "sync")
    assert first.exit_code == 0, first.output
    assert f"{units} created, 0 updated, 0 deactivated" in first.stdout
    second = invoke(runner, "org", "sync")
    assert second.exit_code == 0, second.output
    assert "0 created, 0 updated, 0 deactivated" in second.stdout
    db = Database(cli_env)
    try:
        with Session(db.engine) as session:
            codes = set(session.exec(select(Department.code)).all())
    finally:
        db.dispose()
    assert codes == {d.code for d in org.departments}


# -- invitations ----------------------------------------------------------------------------------


def test_invite_prints_a_code_and_a_deep_link_that_work(cli_env: str, runner: CliRunner) -> None:
    result = invoke(runner, "invite", "liaison", "--department", "drc")
    assert result.exit_code == 0, result.output
    code_match = CODE_LINE.search(result.stdout)
    link_match = LINK_LINE.search(result.stdout)
    assert code_match and link_match, result.stdout
    code = code_match.group(1)
    assert link_match.group(1) == f"https://t.me/duban_bot?start={code}"
    assert "single use" in result.stdout
    # The printed code is the one that joins, as the liaison of the named department.
    db = Database(cli_env)
    try:
        with db.session() as session:
            user = User(telegram_id=4242, display_name="Liaison")
            session.add(user)
            session.flush()
            joined = join(session, user=user, code=code, rules=RULES)
        assert joined.role == Role.LIAISON
        assert joined.scope_zh == "县发改委"
    finally:
        db.dispose()


def test_invite_stores_only_the_hash(
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    runner: CliRunner,
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "invite.db"
    monkeypatch.setenv("DUBAN_DATABASE__URL", f"sqlite:///{database}")
    result = invoke(runner, "invite", "liaison", "--department", "drc")
    assert result.exit_code == 0, result.output
    match = CODE_LINE.search(result.stdout)
    assert match
    code = match.group(1)
    engine = create_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        stored = session.exec(select(Invitation)).one()
    engine.dispose()
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest()
    # The database, its WAL and shared-memory files: the plain code is in none of them.
    files = list(tmp_path.glob("invite.db*"))
    assert database in files
    for path in files:
        assert code.encode() not in path.read_bytes(), path.name


def test_each_invite_gets_a_new_code(cli_env: str, runner: CliRunner) -> None:
    codes = set()
    for _ in range(3):
        result = invoke(runner, "invite", "dispatcher")
        assert result.exit_code == 0, result.output
        match = CODE_LINE.search(result.stdout)
        assert match
        codes.add(match.group(1))
    assert len(codes) == 3


def test_invite_with_an_unknown_role_is_refused(cli_env: str, runner: CliRunner) -> None:
    result = invoke(runner, "invite", "mayor", "--department", "drc")
    assert result.exit_code != 0
    assert "unknown role 'mayor'" in result.stderr
    assert "liaison" in result.stderr  # the valid roles are listed
    assert "code:" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invite", "liaison"], "This role needs a department (--department CODE)."),
        (["invite", "liaison", "--department", "nope"], "There is no department with code nope."),
        (["invite", "park_officer", "--park", "XX"], "There is no park with code XX."),
        (["invite", "dispatcher", "--park", "JH"], "This role takes no park."),
        (["invite", "enterprise", "--enterprise", "999"], "There is no enterprise with id 999."),
    ],
)
def test_invite_with_a_wrong_scope_is_refused(
    cli_env: str, runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"duban: {message}"
    assert "code:" not in result.stdout
    db = Database(cli_env)
    try:
        with Session(db.engine) as session:
            assert session.exec(select(Invitation)).all() == []
            assert not session.exec(
                select(AuditEvent).where(AuditEvent.action == "invitation.create")
            ).all()
    finally:
        db.dispose()


def test_invite_creates_an_audit_event(cli_env: str, runner: CliRunner) -> None:
    result = invoke(runner, "invite", "park_officer", "--park", "JH", "--days", "3")
    assert result.exit_code == 0, result.output
    db = Database(cli_env)
    try:
        with Session(db.engine) as session:
            invitation = session.exec(select(Invitation)).one()
            event = session.exec(
                select(AuditEvent).where(AuditEvent.action == "invitation.create")
            ).one()
    finally:
        db.dispose()
    assert invitation.role == Role.PARK_OFFICER
    assert (invitation.expires_at - invitation.created_at).days == 3
    assert event.entity_id == invitation.id


# -- help -----------------------------------------------------------------------------------------


def _command_paths() -> Iterator[list[str]]:
    """Every command and group of the CLI, as argument lists."""
    stack: list[tuple[list[str], object]] = [([], typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            stack.append(([*path, name], sub))


ALL_COMMANDS = sorted(_command_paths())


def test_the_cli_has_the_documented_commands() -> None:
    for expected in (
        ["run"],
        ["sandbox"],
        ["db", "upgrade"],
        ["org", "sync"],
        ["invite"],
    ):
        assert expected in ALL_COMMANDS


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "duban")
def test_help_works_on_every_command(path: list[str], runner: CliRunner) -> None:
    result = invoke(runner, *path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: duban" in result.stdout
    assert " ".join(["duban", *path]) in " ".join(result.stdout.split())


# -- an organisation that went missing from the settings -----------------------------------------

NO_ORGANISATION = '[time]\ntimezone = "Asia/Shanghai"\n[sandbox]\nsla_profile = "standard"\n'


def active_units(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        with Session(db.engine) as session:
            parks = session.exec(select(Park).where(Park.active)).all()
            departments = session.exec(select(Department).where(Department.active)).all()
    finally:
        db.dispose()
    return len(parks), len(departments)


def test_org_sync_refuses_settings_without_an_organisation(
    cli_env: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert invoke(runner, "org", "sync").exit_code == 0
    before = active_units(cli_env)
    assert before[0] > 0 and before[1] > 0
    path = tmp_path / "no-org.toml"
    path.write_text(NO_ORGANISATION, encoding="utf-8")
    monkeypatch.setenv("DUBAN_SETTINGS", str(path))
    refused = invoke(runner, "org", "sync")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"duban: invalid settings in {path}:",
        "  organisation.parks: none listed, so every park in the database would be "
        "deactivated; list them, or pass --allow-empty-organisation",
        "  organisation.departments: none listed, so every department in the database would "
        "be deactivated; list them, or pass --allow-empty-organisation",
    ]
    assert active_units(cli_env) == before  # nothing was deactivated
    meant = invoke(runner, "org", "sync", "--allow-empty-organisation")
    assert meant.exit_code == 0, meant.output
    assert f"0 created, 0 updated, {sum(before)} deactivated" in meant.stdout
    assert active_units(cli_env) == (0, 0)


def test_run_refuses_settings_without_an_organisation(tmp_path: Path) -> None:
    path = tmp_path / "no-org.toml"
    path.write_text(NO_ORGANISATION, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(DUBAN_SETTINGS=str(path), DUBAN_DATABASE__URL=f"sqlite:///{tmp_path}/d.db")
    result = subprocess.run(
        [str(DUBAN), "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "organisation.parks: none listed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d.db").exists()  # refused before anything was touched


def test_the_sync_service_itself_refuses_to_empty_the_organisation(db: Database) -> None:
    with pytest.raises(EmptyOrganisation) as caught:
        db.call(sync_organisation, parks=[], departments=[])
    assert caught.value.kinds == ["parks", "departments"]
    assert active_units(db.url) != (0, 0)
    result = db.call(sync_organisation, parks=[], departments=[], allow_empty=True)
    assert result.deactivated > 0
    assert active_units(db.url) == (0, 0)


# -- a database that cannot be opened ------------------------------------------------------------


def one_line_failure(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("args", [["db", "upgrade"], ["org", "sync"], ["run"], ["sandbox"]])
def test_an_unwritable_sqlite_path_is_one_line(
    settings_factory: Callable[..., Settings],
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("DUBAN_DATABASE__URL", f"sqlite:///{blocker}/duban.db")
    line = one_line_failure(invoke(runner, *args))
    assert line.startswith(f"duban: cannot open the database sqlite:///{blocker}/duban.db: ")


@pytest.mark.parametrize("args", [["db", "upgrade"], ["org", "sync"], ["run"]])
def test_an_unreachable_postgresql_server_is_one_line(
    settings_factory: Callable[..., Settings],
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://duban:s3cret-pw@127.0.0.1:{port}/duban"
    monkeypatch.setenv("DUBAN_DATABASE__URL", url)
    line = one_line_failure(invoke(runner, *args))
    assert line.startswith("duban: cannot open the database postgresql+psycopg://duban:***@")
    assert "s3cret-pw" not in line
    assert "refused" in line.lower()


def test_a_garbage_database_url_is_a_settings_error(
    settings_factory: Callable[..., Settings],
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUBAN_DATABASE__URL", "duban.db")
    result = invoke(runner, "db", "upgrade")
    assert result.exit_code == 2
    assert "  database.url: not a database URL duban can use" in result.stderr
    assert "Traceback" not in result.output


# -- `duban sandbox` takes its options from the settings unless flags are given ------------------


class Captured(Exception):
    """Stops run_sandbox where it would start the emulator."""


@pytest.fixture
def sandbox_options(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    import bot.sandbox_mode

    seen: dict[str, object] = {}

    def fake_running_in_thread(**kwargs: object) -> None:
        seen.update(kwargs)
        raise Captured

    monkeypatch.setattr(bot.sandbox_mode, "running_in_thread", fake_running_in_thread)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    return seen


def test_sandbox_options_come_from_the_settings(
    cli_env: str,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    sandbox_options: dict[str, object],
) -> None:
    monkeypatch.setenv("DUBAN_SANDBOX__FAULT_RATE", "0.25")
    monkeypatch.setenv("DUBAN_SANDBOX__RATE_LIMITS", "true")
    monkeypatch.setenv("DUBAN_SANDBOX__PORT", "18099")
    result = invoke(runner, "sandbox")
    assert isinstance(result.exception, Captured), result.output
    assert (sandbox_options["fault_rate"], sandbox_options["rate_limits"]) == (0.25, True)
    assert sandbox_options["port"] == 18099


def test_sandbox_flags_override_the_settings(
    cli_env: str,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    sandbox_options: dict[str, object],
) -> None:
    monkeypatch.setenv("DUBAN_SANDBOX__FAULT_RATE", "0.25")
    monkeypatch.setenv("DUBAN_SANDBOX__RATE_LIMITS", "true")
    args = ["sandbox", "--fault-rate", "0.1", "--no-rate-limits", "--port", "18098"]
    result = invoke(runner, *args)
    assert isinstance(result.exception, Captured), result.output
    assert (sandbox_options["fault_rate"], sandbox_options["rate_limits"]) == (0.1, False)
    assert sandbox_options["port"] == 18098


@pytest.mark.parametrize("args", [["--fault-rate", "1.5"], ["--port", "0"], ["--port", "70000"]])
def test_sandbox_flags_out_of_range_are_refused(
    settings_factory: Callable[..., Settings],
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, "sandbox", *args)
    assert result.exit_code == 2
    assert "Invalid value" in result.output
    assert not (tmp_path / "data").exists()
