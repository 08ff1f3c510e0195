"""The bot token never reaches the log, whichever library logs it, tracebacks included."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.error import InvalidToken

from bot.cli import setup_logging
from bot.settings import load_settings
from tests.conftest import REPO_SETTINGS
from tests.fake_botapi import FakeBotApi

TOKEN = "123456789:AAExampleSecretTokenValue"
DUBAN = Path(sys.executable).parent / "duban"


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """setup_logging replaces the root handlers and the exception hooks: put them back."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    level = logging.getLogger().level
    yield
    logging.getLogger().handlers.clear()
    logging.getLogger().setLevel(level)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_token_is_redacted_from_every_log_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", TOKEN)
    settings = load_settings()
    setup_logging(settings)
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


def test_tracebacks_and_exception_texts_are_redacted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", TOKEN)
    setup_logging(load_settings())
    try:
        raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    except InvalidToken as exc:
        logging.getLogger("telegram.ext").exception("Invalid token. Aborting.")
        sys.excepthook(type(exc), exc, exc.__traceback__)  # what an uncaught error prints
    err = capsys.readouterr().err
    assert err.count("Traceback") == 2
    assert err.count("The token `[redacted]` was rejected") == 2
    assert TOKEN not in err


def test_the_url_encoded_token_is_redacted_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", TOKEN)
    setup_logging(load_settings())
    logging.getLogger("duban").error("GET /bot%s", TOKEN.replace(":", "%3A"))
    err = capsys.readouterr().err
    assert "AAExampleSecretTokenValue" not in err
    assert "/bot[redacted]" in err


def test_log_level_comes_from_settings_and_verbose_means_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUBAN_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.setenv("DUBAN_LOG_LEVEL", "warning")
    setup_logging(load_settings())
    logging.getLogger("duban").info("an info line")
    logging.getLogger("duban").warning("a warning line")
    err = capsys.readouterr().err
    assert "an info line" not in err and "a warning line" in err
    setup_logging(load_settings(), verbose=True)
    logging.getLogger("duban").debug("a debug line")
    logging.getLogger("httpx").debug("HTTP Request: POST https://api.telegram.org/bot%s/x", TOKEN)
    err = capsys.readouterr().err
    assert "a debug line" in err
    assert "HTTP Request: POST https://api.telegram.org/bot[redacted]/x" in err
    assert TOKEN not in err


def test_a_rejected_token_is_one_line_exit_2_and_never_printed(tmp_path: Path) -> None:
    """The real `duban --verbose run` against a Bot API that answers 401 to everything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    with FakeBotApi(default=401).running() as api:
        env.update(
            DUBAN_SETTINGS=str(REPO_SETTINGS),
            DUBAN_DATABASE__URL=f"sqlite:///{tmp_path}/run.db",
            DUBAN_TELEGRAM__TOKEN=TOKEN,
            DUBAN_TELEGRAM__BASE_URL=api.base_url,
        )
        result = subprocess.run(
            [str(DUBAN), "--verbose", "run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    printed = result.stdout + result.stderr
    assert result.returncode == 2, printed
    assert api.count("getMe", 401) == 1  # asked once: a rejected token is not retried
    assert result.stderr.splitlines()[-1] == (
        "duban: Telegram rejected the token; check DUBAN_TELEGRAM__TOKEN"
    )
    assert "Traceback" not in printed
    assert " DEBUG " in printed  # --verbose logged at DEBUG ...
    assert "/bot[redacted]/getMe" in printed  # ... including the request URL, redacted
    assert TOKEN not in printed
    assert "AAExampleSecretTokenValue" not in printed
