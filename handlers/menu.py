"""The command menu: one list drives /help and the menus published with setMyCommands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import N_
from bot.textsplit import escape, shorten
from models.enums import (
    CASE_VIEWER_ROLES,
    COUNTY_ROLES,
    DEPARTMENT_ROLES,
    OFFICE_ROLES,
    OVERSIGHT_ROLES,
    Role,
)

EVERYONE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # English message id
    roles: frozenset[Role] = EVERYONE  # empty: everyone

    def allowed(self, roles: frozenset[Role]) -> bool:
        return not self.roles or bool(self.roles & roles)


def _r(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


OFFICE = OFFICE_ROLES
DEPARTMENT = DEPARTMENT_ROLES
OVERSEERS = COUNTY_ROLES | OVERSIGHT_ROLES

COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start, or join with an invitation code")),
    Command("help", N_("What you can do here")),
    Command("lang", N_("Language: /lang zh or /lang en")),
    Command("report", N_("Report a problem"), _r(Role.ENTERPRISE)),
    Command("cases", N_("Your cases"), _r(Role.ENTERPRISE)),
    Command(
        "case",
        N_("One case with its timeline: /case <number>"),
        CASE_VIEWER_ROLES,
    ),
    Command(
        "history",
        N_("An assignment's timeline: /history <assignment number>"),
        CASE_VIEWER_ROLES,
    ),
    Command(
        "confirm",
        N_("Confirm a finished case: /confirm <case> satisfied|mostly|unsatisfied"),
        _r(Role.ENTERPRISE),
    ),
    Command("queue", N_("Cases waiting for dispatch"), OFFICE),
    Command("dispatch", N_("Assign a case: /dispatch <case> <dept>[,<dept>] [deadline]"), OFFICE),
    Command("enterprise", N_("Register an enterprise"), OFFICE),
    Command("invite", N_("Create an invitation code"), OFFICE),
    Command("tasks", N_("Your department's assignments"), DEPARTMENT),
    Command("ack", N_("Sign for an assignment: /ack <number>"), _r(Role.LIAISON)),
    Command("return", N_("Return to the dispatcher: /return <number> <reason>"), _r(Role.LIAISON)),
    Command("ask", N_("Ask the enterprise: /ask <number> <question>"), _r(Role.LIAISON, *OFFICE)),
    Command("progress", N_("Add a progress note: /progress <number> <note>"), _r(Role.LIAISON)),
    Command("done", N_("Complete an assignment: /done <number> <result>"), _r(Role.LIAISON)),
    Command(
        "extend",
        N_("Ask for a later deadline: /extend <number> <new deadline> <reason>"),
        _r(Role.LIAISON),
    ),
    Command(
        "pause",
        N_("Pause the clock, waiting for the enterprise: /pause <number> <reason>"),
        _r(Role.LIAISON),
    ),
    Command("overdue", N_("Overdue assignments and supervision orders"), OVERSEERS),
    Command(
        "supervise",
        N_("Issue a supervision order: /supervise <assignment> [deadline]"),
        COUNTY_ROLES,
    ),
    Command(
        "inspect",
        N_("File an inspection of an enterprise before going: /inspect"),
        _r(Role.LIAISON),
    ),
    Command(
        "inspected", N_("Report an inspection of your enterprise: /inspected"), _r(Role.ENTERPRISE)
    ),
    Command(
        "notice",
        N_("Send a notice to liaisons and heads: /notice <all or departments> <text>"),
        _r(Role.SUPERVISOR),
    ),
    Command(
        "scoreboard",
        N_("Assessment ranking: /scoreboard [2026H1 or 2026]"),
        OVERSEERS | DEPARTMENT,
    ),
    Command(
        "deduct",
        N_("Deduct points: /deduct <department code> <points> <reason>"),
        _r(Role.SUPERVISOR),
    ),
    Command(
        "revoke_deduction",
        N_("Revoke a deduction: /revoke_deduction <number> <reason>"),
        _r(Role.SUPERVISOR),
    ),
    Command(
        "stats",
        N_("Statistics with a chart and a workbook: /stats [2026-10 | 2026H1 | 2026]"),
        OVERSEERS,
    ),
    Command("cancel", N_("Cancel what you are doing")),
)


def commands_for(roles: frozenset[Role]) -> list[Command]:
    return [c for c in COMMANDS if c.allowed(roles)]


# Commands that need a role: an unregistered person gets the way to join instead.
ROLE_COMMANDS: frozenset[str] = frozenset(c.name for c in COMMANDS if c.roles)

NOT_REGISTERED = N_(
    "You are not registered yet, so /{command} is not available to you. To join, ask for an "
    "invitation: enterprises from their park's efficiency office, departments from the county "
    "optimization office. Then open the invitation link, or send /start <code>."
)
UNKNOWN_COMMAND = N_("There is no command /{command}. These are the commands you can use:")
NOT_YOURS = N_("/{command} is not available to you. These are the commands you can use:")


def command_word(text: str) -> tuple[str, str]:
    """The command a message starts with and the bot it names: ``/Report@duban_bot x`` gives
    ``("report", "duban_bot")``; ``("", "")`` when the text is not a command."""
    if not text.startswith("/"):
        return "", ""
    first = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    name, _, bot = first.partition("@")
    return name.lower(), bot


def menu_lines(tr: Callable[..., str], roles: frozenset[Role]) -> list[str]:
    """``/name — description`` for each command ``roles`` allow, as /help lists them."""
    return ["/" + c.name + " — " + escape(tr(c.description)) for c in commands_for(roles)]


def refusal(tr: Callable[..., str], command: str, roles: frozenset[Role]) -> str | None:
    """Why ``roles`` may not use the menu's ``command`` (None: they may, or it is no role's):
    the way to join for someone without a role, else their own commands."""
    if command not in ROLE_COMMANDS or any(c.allowed(roles) for c in COMMANDS if c.name == command):
        return None
    if not roles:
        return "⚠️ " + escape(tr(NOT_REGISTERED, command=command))
    return "⚠️ " + _with_menu(tr, tr(NOT_YOURS, command=command), roles)


def unknown_command(tr: Callable[..., str], command: str, roles: frozenset[Role]) -> str:
    """The answer to a command nobody handles: what it is not, and what there is."""
    return _with_menu(tr, tr(UNKNOWN_COMMAND, command=shorten(command, 40)), roles)


def _with_menu(tr: Callable[..., str], head: str, roles: frozenset[Role]) -> str:
    return "\n".join([escape(head), "", *menu_lines(tr, roles)])
