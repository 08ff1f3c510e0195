"""The command menu: one list drives /help and the menus published with setMyCommands."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from models.enums import CASE_VIEWER_ROLES, DEPARTMENT_ROLES, OFFICE_ROLES, Role

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
    Command("cancel", N_("Cancel what you are doing")),
)


def commands_for(roles: frozenset[Role]) -> list[Command]:
    return [c for c in COMMANDS if c.allowed(roles)]
