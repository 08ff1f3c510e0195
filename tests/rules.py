"""The rules tests run under: the repository's settings.toml, the standard SLA profile."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.deps import make_rules
from bot.settings import Settings
from services.rules import Rules

REPO_SETTINGS = Path(__file__).resolve().parent.parent / "settings.toml"


def repo_rules() -> Rules:
    """Rules from settings.toml with the real clock; stop it with ``.at(moment)``."""
    # The file's values as init arguments, so neither DUBAN_SETTINGS nor a .env can change them.
    values = tomllib.loads(REPO_SETTINGS.read_text(encoding="utf-8"))
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return make_rules(settings, sla_profile="standard")


RULES = repo_rules()
