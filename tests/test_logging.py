"""The bot token never reaches the log, whichever library logs it."""

from __future__ import annotations

import logging

import pytest

from bot.cli import setup_logging
from bot.settings import load_settings

TOKEN = "123456789:AAExampleSecretTokenValue"


def test_token_is_redacted_from_every_log_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", TOKEN)
    settings = load_settings()
    setup_logging(settings)
    try:
        logging.getLogger("telegram.ext.Updater").error(
            "Network error for https://api.telegram.org/bot%s/getUpdates", TOKEN
        )
        logging.getLogger("duban").warning("token was %s", settings.telegram.token)
        # httpx logs request URLs (which contain the token) at INFO: silenced.
        logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s", TOKEN)
        err = capsys.readouterr().err
        assert TOKEN not in err
        assert "bot[redacted]/getUpdates" in err
        assert "HTTP Request" not in err
        assert TOKEN not in repr(settings) and TOKEN not in str(settings.telegram)
    finally:
        logging.getLogger().handlers.clear()
