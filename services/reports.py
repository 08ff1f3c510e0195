"""Reports that arrive by themselves: after each month, half-year and year, on a working day.

The sweep calls ``send_due`` every round; it queues each recipient's report once per period
(outbox dedupe keys ``report:<period>:user:<id>``), so reruns, restarts and a second instance
send nothing twice. Pictures and workbooks come from an ``attachments`` hook, made once per
period and rendered in each reader's language; each is stored once per period and language,
and every reader's outbox row refers to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.i18n import N_, t
from models import Case, OutboxMessage, RoleGrant, User
from models.enums import DEPARTMENT_ROLES, Role
from scheduler.calendar import WorkCalendar
from services import audit, outbox, periods, scores, stats
from services.messages import scores as messages
from services.messages import stats as stats_messages
from services.periods import Period, PeriodKind
from services.rules import Rules
from services.users import holders, language_of

# A bot that was down on the day still sends within this; a new installation does not send
# reports of long-past periods.
CATCH_UP = timedelta(days=7)
TITLES = {
    PeriodKind.MONTH: N_("Monthly report {period}"),
    PeriodKind.HALF: N_("Half-year assessment {period}"),
    PeriodKind.YEAR: N_("Year assessment {period}"),
}

# ("photo" or "document", file name, content)
Attachment = tuple[str, str, bytes]


@dataclass(frozen=True)
class Extras:
    """What follows a reader's report: a summary message (HTML) and files, in that order."""

    summary: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


# Called once per period with at least one report owed; gives each language's extras.
Attachments = Callable[..., Callable[[str], Extras]]


def no_attachments(session: Session, *, period: Period, rules: Rules) -> Callable[[str], Extras]:
    """Reports as text alone (the statistics module plugs its chart and workbook in here)."""
    return lambda lang: Extras()


def stats_attachments(session: Session, *, period: Period, rules: Rules) -> Callable[[str], Extras]:
    """The period's statistics: summary, chart and workbook, in each reader's language."""
    figures = stats.compute(session, period=period, rules=rules)
    return lambda lang: Extras(
        summary=stats_messages.summary(lang, figures),
        attachments=[
            ("photo", f"duban-{period.code}.png", stats.chart_png(figures, lang=lang)),
            ("document", f"duban-{period.code}.xlsx", stats.workbook_xlsx(figures, lang=lang)),
        ],
    )


def send_day(calendar: WorkCalendar, first: date, workday: int) -> date:
    """The ``workday``-th working day on or after ``first``."""
    day, seen = first, 0
    while True:
        if calendar.is_workday(day):
            seen += 1
            if seen == workday:
                return day
        day += timedelta(days=1)


def due_periods(rules: Rules) -> list[Period]:
    """The just-ended periods whose report is due now (on or after its day and time, on a
    working day, outside quiet hours, within the catch-up week)."""
    settings = rules.assessment
    now = rules.now()
    local = rules.calendar.local(now)
    today = local.date()
    if not settings.reports or not rules.calendar.is_workday(today):
        return []
    if rules.quiet.period(rules.calendar, now) is not None:
        return []
    found = []
    for kind in (PeriodKind.MONTH, PeriodKind.HALF, PeriodKind.YEAR):
        if kind not in settings.report_periods:
            continue
        period = periods.previous(periods.current(kind, today))
        day = send_day(rules.calendar, period.end, settings.report_workday)
        due = datetime.combine(day, settings.report_at, tzinfo=rules.zone)
        if due <= local and today < day + CATCH_UP:
            found.append(period)
    return found


def send_due(session: Session, *, rules: Rules, attachments: Attachments = no_attachments) -> int:
    """Queue every report due now that is not queued yet; how many recipients got one."""
    return sum(
        _send(session, period, rules=rules, attachments=attachments)
        for period in due_periods(rules)
        if in_use_before(session, period.bounds(rules.zone)[1])
    )


def in_use_before(session: Session, end: datetime) -> bool:
    """Whether duban was in use before ``end``: a case had been filed.

    A new installation has nothing to report for the month before it started (an empty
    ranking, zeros and an empty workbook would reach every official); from the first case on,
    every period is reported, quiet ones too.
    """
    first = session.exec(select(func.min(Case.created_at))).one()
    return first is not None and first < end


def _recipients(session: Session, rules: Rules) -> list[tuple[User, int | None, bool]]:
    """Each recipient once: the department they get in detail (a head's, a liaison's), and
    whether they see every department's deductions (the county's offices)."""
    found: dict[int, tuple[User, int | None, bool]] = {}
    for name in rules.assessment.report_roles:
        role = Role(name)
        for user in holders(session, role):
            assert user.id is not None
            _, own, full = found.get(user.id, (user, None, False))
            if role in DEPARTMENT_ROLES:
                own = own or _own_department(session, user.id)
            found[user.id] = (user, own, full or role in scores.BOARD_ROLES)
    return list(found.values())


def _own_department(session: Session, user_id: int) -> int | None:
    return session.exec(
        select(RoleGrant.department_id).where(
            RoleGrant.user_id == user_id,
            col(RoleGrant.role).in_(tuple(DEPARTMENT_ROLES)),
            col(RoleGrant.revoked_at).is_(None),
        )
    ).first()


def _assessed(period: Period) -> Period:
    """A month's report shows the standing in its half-year so far."""
    if period.is_assessment():
        return period
    return periods.half(period.start.year, 1 if period.start.month <= 6 else 2)


def _send(session: Session, period: Period, *, rules: Rules, attachments: Attachments) -> int:
    prefix = f"report:{period.code}:user:"
    everyone = _recipients(session, rules)
    # By the unique key's index: this runs every sweep of the catch-up week.
    queued = set(
        session.exec(
            select(OutboxMessage.dedupe_key).where(
                col(OutboxMessage.dedupe_key).in_([f"{prefix}{r[0].id}" for r in everyone])
            )
        ).all()
    )
    owed = [r for r in everyone if f"{prefix}{r[0].id}" not in queued]
    if not owed:
        return 0
    board = scores.board(session, period=_assessed(period), rules=rules)
    files = attachments(session, period=period, rules=rules)
    made: dict[str, Extras] = {}
    for user, own, full in owed:
        lang = language_of(user, rules.default_language)
        title = t(lang, TITLES[period.kind], period=period.code)
        key = f"{prefix}{user.id}"
        outbox.enqueue(
            session,
            user=user,
            template=f"report.{period.kind}",
            text=messages.report_text(lang, board, title=title, own=own, details=full),
            dedupe_key=key,
        )
        if lang not in made:
            made[lang] = files(lang)
        extras = made[lang]
        if extras.summary is not None:
            outbox.enqueue(
                session,
                user=user,
                template=f"report.{period.kind}.stats",
                text=extras.summary,
                dedupe_key=f"{key}:summary",
            )
        for n, (kind, filename, content) in enumerate(extras.attachments, start=1):
            outbox.enqueue_file(
                session,
                user=user,
                template=f"report.{period.kind}.{kind}",
                kind=kind,
                filename=filename,
                content=content,
                dedupe_key=f"{key}:file{n}",
                # One stored file per period and language, whoever reads it.
                share_key=f"report:{period.code}:{lang}:file{n}",
            )
    audit.record(
        session,
        actor_id=None,
        action="report.queued",
        entity="reports",
        entity_id=None,
        data={"period": period.code, "recipients": len(owed)},
        at=rules.now(),
    )
    return len(owed)
