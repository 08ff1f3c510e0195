"""The enterprise's confirmation: the question with its three buttons, and the answers' names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, t
from models.enums import Satisfaction
from services import callbacks
from services.messages.common import Rendered, bold, button, local_time

SATISFACTION_NAMES: dict[str, str] = {
    Satisfaction.SATISFIED: N_("satisfied"),
    Satisfaction.MOSTLY: N_("mostly satisfied"),
    Satisfaction.UNSATISFIED: N_("not satisfied"),
}


def satisfaction_name(lang: str, value: str) -> str:
    return t(lang, SATISFACTION_NAMES.get(value, value))


def ask(lang: str, *, case_id: int, number: str, due: datetime | None, zone: ZoneInfo) -> Rendered:
    """case.confirm: every department is done; is the enterprise satisfied?"""
    text = "\n".join(
        [
            "🏁 "
            + t(lang, "Every department has completed your case {number}.", number=bold(number)),
            t(
                lang,
                "Are you satisfied with how it was handled? Please answer by {due}; "
                "without an answer the case is closed as confirmed.",
                due=local_time(due, zone=zone),
            ),
        ]
    )
    return text, [
        [
            button(lang, "Satisfied", callbacks.confirm("s", case_id)),
            button(lang, "Mostly satisfied", callbacks.confirm("m", case_id)),
        ],
        [button(lang, "Not satisfied", callbacks.confirm("u", case_id))],
    ]


def state(
    lang: str,
    *,
    case_id: int,
    number: str,
    status: str,
    due: datetime | None,
    satisfaction: str,
    zone: ZoneInfo,
) -> Rendered:
    """case.confirm as it stands now: still asking, answered, closed by default, or reopened."""
    if status == "awaiting_confirmation":
        return ask(lang, case_id=case_id, number=number, due=due, zone=zone)
    head = "🏁 " + t(
        lang, "Every department has completed your case {number}.", number=bold(number)
    )
    if status == "closed" and satisfaction:
        line = t(
            lang,
            "Closed: you are {satisfaction}.",
            satisfaction=satisfaction_name(lang, satisfaction),
        )
    elif status == "closed":
        line = t(lang, "Closed as confirmed: no answer came in time.")
    else:
        line = t(lang, "Not satisfied: the case was reopened.")
    return head + "\n" + line, None
