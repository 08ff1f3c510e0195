"""Assessment texts: the scoreboard, a department's line, deduction notices, the period report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.i18n import N_, t
from bot.textsplit import escape
from models import Deduction, Department
from models.enums import DeductionKind
from services.collation import name_key
from services.messages.common import Rendered, bold, name_of

if TYPE_CHECKING:
    from services.scores import Board, Item, Line

KIND_NAMES: dict[str, str] = {
    DeductionKind.SLOW_ACTION: N_("slow action"),
    DeductionKind.INACTION_VETO: N_("inaction: one-vote veto"),
    DeductionKind.UNFILED_INSPECTION: N_("unfiled inspection"),
    DeductionKind.INCOMPETENT: N_("rated incompetent"),
    DeductionKind.MANUAL: N_("deduction by a supervisor"),
}


def points(value: float) -> str:
    """2 rather than 2.0, 0.5 as it is."""
    return f"{value:g}"


def item_text(lang: str, item: Item) -> str:
    """One deduction with what it is traced to: #id, points, kind, assignment or filing."""
    parts = [t(lang, KIND_NAMES.get(item.kind, item.kind))]
    if item.assignment:
        parts.append(t(lang, "assignment {number}", number=item.assignment))
    if item.order:
        parts.append(t(lang, "supervision order {number}", number=item.order))
    if item.inspection_id is not None:
        parts.append(t(lang, "inspection filing #{id}", id=item.inspection_id))
    if item.person:
        parts.append(item.person)
    if item.kind == DeductionKind.MANUAL:
        parts.append(item.reason)
    shown = "−" + points(item.points) + " " if item.points else ""
    return f"#{item.id} {shown}" + escape(" · ".join(parts))


def line_text(lang: str, line: Line, *, total: int, details: bool) -> str:
    """``rank. department  score`` with its marks, then (``details``) each deduction."""
    score = t(lang, "{score} points", score=points(line.score))
    # "=3/10": another department shares the third place.
    place = ("=" if line.tied else "") + f"{line.rank}/{total}"
    head = f"{place}. {bold(name_of(lang, line.department))} — {score}"
    marks = []
    if line.vetoed:
        marks.append("⛔ " + t(lang, "unqualified (one-vote veto)"))
    if line.bottom:
        marks.append("🔻 " + t(lang, "bottom of the ranking"))
    if line.overdue:
        marks.append(t(lang, "overdue assignments: {count}", count=line.overdue))
    rows = [head + ("  " + escape(" · ".join(marks)) if marks else "")]
    if line.incompetent:
        names = "、".join(line.incompetent) if lang == "zh" else ", ".join(line.incompetent)
        rows.append("    " + escape(t(lang, "rated incompetent: {names}", names=names)))
    if details:
        rows += ["    " + item_text(lang, item) for item in line.deductions]
    return "\n".join(rows)


def reading_order(lang: str, lines: Iterable[Line]) -> list[Line]:
    """By rank; departments sharing a rank by name in the reader's alphabetical order."""
    return sorted(lines, key=lambda line: (line.rank, name_key(lang, line.department)))


def board_text(lang: str, board: Board, *, details: bool = True) -> str:
    """The ranking as /scoreboard shows it (a department's people get only their own line)."""
    title = t(
        lang,
        "Assessment {period} (base score {base})",
        period=board.period.code,
        base=points(board.base),
    )
    lines = [bold(title)]
    if not board.lines:
        lines.append(escape(t(lang, "No department is assessed yet.")))
    lines += [
        line_text(lang, line, total=board.total, details=details)
        for line in reading_order(lang, board.lines)
    ]
    return "\n".join(lines)


def deduction_notice(
    lang: str, *, row: Deduction, department: Department, revoked: bool
) -> Rendered:
    """What a department's liaison and head are told of a manual deduction or a revocation."""
    if revoked:
        text = t(
            lang,
            "Deduction #{id} of {department} ({points} points) was revoked: {reason}",
            id=row.id,
            department=name_of(lang, department),
            points=points(row.points),
            reason=row.revoked_reason or "",
        )
        return "↩️ " + escape(text), None
    text = t(
        lang,
        "{points} points deducted from {department} by a supervisor (#{id}): {reason}",
        id=row.id,
        department=name_of(lang, department),
        points=points(row.points),
        reason=row.reason,
    )
    return "➖ " + escape(text), None


def report_text(
    lang: str, board: Board, *, title: str, own: int | None = None, details: bool = True
) -> str:
    """A report sent by itself: the county ranking; a head's own department in detail."""
    lines = [bold(title), "", board_text(lang, board, details=details)]
    if own is not None and (line := board.line_of(own)) is not None:
        lines += [
            "",
            bold(t(lang, "Your department")),
            line_text(lang, line, total=board.total, details=True),
        ]
    return "\n".join(lines)
