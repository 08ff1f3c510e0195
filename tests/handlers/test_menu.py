"""The command menu helpers behind /help, unknown commands and the join hint."""

from __future__ import annotations

import pytest

from bot.i18n import t
from handlers import menu
from models.enums import Role


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("/report", ("report", "")),
        ("/Report@duban_bot permit x", ("report", "duban_bot")),
        ("/tasks\nmore", ("tasks", "")),
        ("/", ("", "")),
        ("report", ("", "")),
        ("", ("", "")),
    ],
)
def test_command_word(text: str, word: tuple[str, str]) -> None:
    assert menu.command_word(text) == word


def test_every_role_command_needs_a_role_and_the_rest_do_not() -> None:
    assert {"report", "cases", "tasks", "queue", "case", "invite"} <= menu.ROLE_COMMANDS
    assert not {"start", "help", "lang", "cancel"} & menu.ROLE_COMMANDS


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unknown_command_lists_only_the_users_commands(lang: str) -> None:
    def tr(msgid: str, **params: object) -> str:
        return t(lang, msgid, **params)

    text = menu.unknown_command(tr, "<b>" + "x" * 100, frozenset({Role.LIAISON}))
    first, blank, *commands = text.split("\n")
    assert "&lt;b&gt;" in first and "x" * 50 not in first  # escaped and shortened
    assert blank == ""
    assert [c.split(" ")[0] for c in commands] == [
        "/" + c.name for c in menu.commands_for(frozenset({Role.LIAISON}))
    ]
    assert "/report" not in commands and "/ack" in [c.split(" ")[0] for c in commands]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_refusal_of_another_roles_command(lang: str) -> None:
    def tr(msgid: str, **params: object) -> str:
        return t(lang, msgid, **params)

    enterprise, liaison = frozenset({Role.ENTERPRISE}), frozenset({Role.LIAISON})
    assert menu.refusal(tr, "report", enterprise) is None
    assert menu.refusal(tr, "help", frozenset()) is None
    assert menu.refusal(tr, "nonsense", liaison) is None  # unknown: answered elsewhere
    joining = menu.refusal(tr, "report", frozenset())
    assert joining is not None and "/start &lt;" in joining and "\n" not in joining
    other = menu.refusal(tr, "report", liaison)
    assert other is not None
    assert other.split("\n")[0] == "⚠️ " + t(lang, menu.NOT_YOURS, command="report")
    assert "/ack — " in other and "/report —" not in other
