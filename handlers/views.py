"""How cases, assignments and lists look in chat (shared by the role handlers)."""

from __future__ import annotations

from bot.textsplit import escape, shorten
from handlers.common import Ctx
from models import Assignment
from services import notify
from services.cases import MAX_DESCRIPTION, CaseView
from services.confirmation import SATISFACTION_NAMES
from services.dispatch.orders import QueueItem, returns_summary


def case_text(ctx: Ctx, view: CaseView, *, timeline: bool) -> str:
    """A case with its assignments and, on request, its timeline."""
    lang, case = ctx.lang, view.case
    status = ctx.tr(notify.CASE_STATUS_NAMES.get(case.status, case.status))
    lines = [
        ctx.tr("Case {number}", number=f"<b>{escape(case.number)}</b>") + f" · {status}",
        ctx.tr("Enterprise: {name}", name=escape(view.enterprise.name)),
    ]
    if view.project is not None:
        lines.append(ctx.tr("Project: {name}", name=escape(view.project.name)))
    lines += [
        ctx.tr("Category: {category}", category=notify.category_name(lang, case.category)),
        ctx.tr("Reported: {when}", when=notify.local_time(case.created_at, ctx.rules.zone)),
        # /case is where the whole description can be read (a long one comes in several
        # messages); lists and notifications show its beginning.
        notify.description_block(lang, case, limit=MAX_DESCRIPTION if timeline else 200),
    ]
    if view.assignments:
        lines.append("")
        lines.append(f"<b>{ctx.tr('Assignments')}</b>")
        for a in view.assignments:
            dept = view.departments.get(a.department_id)
            name = notify.dept_name(lang, dept) if dept else "?"
            state = ctx.tr(notify.ASSIGNMENT_STATUS_NAMES.get(a.status, a.status))
            lines.append(
                ctx.tr(
                    "{number} · {department} · {status} · due {due}",
                    number=escape(a.number),
                    department=escape(name),
                    status=state,
                    due=notify.local_time(a.due_at, ctx.rules.zone),
                )
            )
    if timeline and view.timeline:
        lines.append("")
        lines.append(f"<b>{ctx.tr('Timeline')}</b>")
        for when, msgid, params in view.timeline:
            values = {k: escape(shorten(v, 300)) for k, v in params.items()}
            if "dept_zh" in params:
                values["dept"] = escape(params["dept_zh"] if lang == "zh" else params["dept_en"])
            if params.get("satisfaction"):
                label = SATISFACTION_NAMES.get(params["satisfaction"], params["satisfaction"])
                values["satisfaction"] = ctx.tr(label)
            lines.append(f"{notify.local_time(when, ctx.rules.zone)}  {ctx.tr(msgid, **values)}")
    return "\n".join(lines)


def task_line(ctx: Ctx, assignment: Assignment) -> str:
    days = ctx.rules.calendar.working_days_left(ctx.rules.now(), assignment.due_at)
    left = (
        ctx.tr("{days} working days left", days=days)
        if days >= 0
        else ctx.tr("overdue by {days} working days", days=-days)
    )
    state = ctx.tr(notify.ASSIGNMENT_STATUS_NAMES.get(assignment.status, assignment.status))
    due = notify.local_time(assignment.due_at, ctx.rules.zone)
    return f"<b>{escape(assignment.number)}</b> · {state} · {due} ({left})"


def queue_text(ctx: Ctx, item: QueueItem) -> str:
    case = item.case
    status = ctx.tr(notify.CASE_STATUS_NAMES.get(case.status, case.status))
    lines = [
        f"<b>{escape(case.number)}</b> · "
        + notify.category_name(ctx.lang, case.category)
        + f" · {status}",
        escape(shorten(case.description, 160)),
        *returns_summary(ctx.lang, item),
    ]
    return "\n".join(lines)
