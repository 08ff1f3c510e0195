"""Issue 10: with a real token nothing moves the clock: Rules keep plain UTC, no clock endpoint,
no setting and no command option for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from bot.app import build_application
from bot.cli import app as cli
from bot.settings import Settings
from models.types import utcnow
from sandbox.client import SandboxError
from tests.e2e.harness import running_bot


def test_a_real_token_build_keeps_plain_utc(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(telegram={"token": "123456:real-looking-token"})
    application = build_application(settings)
    rules = application.bot_data["deps"].rules
    try:
        assert rules.clock is utcnow
        assert abs(rules.now() - datetime.now(UTC)) < timedelta(seconds=1)
    finally:
        application.bot_data["deps"].db.dispose()


@pytest.mark.parametrize(
    "section", [{"sandbox": {"clock_offset": "3d"}}, {"time": {"clock_offset": "3d"}}]
)
def test_no_setting_moves_the_clock(
    section: dict, settings_factory: Callable[..., Settings]
) -> None:
    with pytest.raises(ValueError, match="clock_offset"):
        settings_factory(**section)


def test_only_the_sandbox_command_takes_a_clock_offset() -> None:
    runner = CliRunner()
    refused = runner.invoke(cli, ["run", "--clock-offset", "3d"], prog_name="duban")
    assert refused.exit_code == 2
    assert "No such option" in refused.output
    shown = runner.invoke(cli, ["sandbox", "--help"], prog_name="duban")
    assert "--clock-offset" in shown.output
    wrong = runner.invoke(cli, ["sandbox", "--clock-offset", "soon"], prog_name="duban")
    assert wrong.exit_code == 2
    too_far = runner.invoke(cli, ["sandbox", "--clock-offset", "400d"], prog_name="duban")
    assert too_far.exit_code == 2 and "366 days" in too_far.output


async def test_the_bot_with_a_token_has_no_clock_endpoint(db_url: str) -> None:
    async with running_bot(db_url, sla_profile="drill") as bot:
        assert bot.deps.rules.clock is utcnow
        for method, path in (("GET", "/clock"), ("POST", "/clock/advance")):
            with pytest.raises(SandboxError) as missing:
                await bot.client.request(method, path, json={"by": "1h"})
            assert missing.value.status == 404
