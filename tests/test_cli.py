"""The ``duban`` command line as an operator uses it."""

from __future__ import annotations

import hashlib
import os
import re
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
from models import AuditEvent, Department, Invitation, User
from models.enums import Role
from services.onboarding import join
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
