"""The office's dispatch form and its result, as the dispatcher sees them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.textsplit import escape
from models import Assignment
from services import callbacks
from services.messages.common import Buttons, bold, button, category_name, local_time, name_of

if TYPE_CHECKING:
    from services.dispatch.form import Form


def form_text(lang: str, form: Form, *, zone: ZoneInfo) -> str:
    """The case, what to do, the deadline, and which departments already hold the case."""
    case = form.options.case
    deadline = t(lang, "Deadline: {due}", due=local_time(form.due_at, zone=zone))
    if not form.custom_due:
        deadline += " " + t(lang, "(the category's default)")
    lines = [
        t(lang, "Dispatch case {number}", number=bold(case.number)),
        t(lang, "Category: {category}", category=category_name(lang, case.category)),
        escape(case.description[:300]),
        "",
        t(lang, "Choose the departments (tap to select or deselect), then the deadline."),
        deadline,
    ]
    if form.options.already:
        lines.append(t(lang, "Already assigned: {codes}", codes=", ".join(form.options.already)))
    return "\n".join(lines)


def form_buttons(lang: str, form: Form) -> Buttons:
    """One toggle per department not yet assigned, two per row; deadline; issue or cancel."""
    case_id = form.options.case.id
    assert case_id is not None
    selectable = [d for d in form.options.departments if d.code not in form.options.already]
    cells = [
        {
            "text": ("✅ " if d.code in form.selected else "▫️ ") + name_of(lang, d),
            "data": callbacks.dispatch("t", case_id, d.id or 0),
        }
        for d in selectable
    ]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append(
        [
            button(lang, "Default deadline", callbacks.dispatch("due", case_id, 0)),
            button(lang, "Type a deadline", callbacks.dispatch("due", case_id, 1)),
        ]
    )
    issue = t(lang, "Issue assignment orders ({count})", count=len(form.selected))
    rows.append(
        [
            {"text": issue, "data": callbacks.dispatch("go", case_id)},
            button(lang, "Cancel", callbacks.dispatch("x", case_id)),
        ]
    )
    return rows


def issued_text(lang: str, issued: Sequence[Assignment], *, zone: ZoneInfo) -> str:
    """The orders just issued, with their common deadline."""
    lines = ["📨 " + t(lang, "Assignment orders issued:")]
    lines += [escape(a.number) for a in issued]
    lines.append(t(lang, "Deadline: {due}", due=local_time(issued[0].due_at, zone=zone)))
    return "\n".join(lines)
