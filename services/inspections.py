"""Inspection filings (涉企检查备案): filed before, reported after, unfiled ones decided.

A liaison files a planned inspection (the enterprise's contacts are told in advance). An
enterprise contact reports one that happened: a filing of that department for that enterprise
within ``match_days`` of the date covers it; otherwise every supervisor decides: confirmed
unfiled (the department loses ``unfiled_points`` and a county-wide notice goes out) or
dismissed with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from sqlmodel import Session, col, select

from bot.i18n import N_
from models import Deduction, Department, Enterprise, Inspection, User
from models.enums import DeductionKind, InspectionStatus, Role
from services import audit, live, notices, notify
from services.errors import InvalidInput, InvalidState, NotAllowed, NotFound, Phrase
from services.messages import notices as messages
from services.rules import Rules
from services.users import Actor, holders

MAX_PURPOSE = 500
MAX_INSPECTORS = 300
AHEAD = timedelta(days=366)  # a filing further ahead than this is surely a typo
FILING_USAGE = N_(
    "Usage: /inspect <enterprise credit code or name> <date> <purpose> | <inspectors>, e.g. "
    "/inspect 坤昊实业 2026-12-03 product quality sampling | Zhang San, Li Si. "
    "Or send /inspect alone for a guided form."
)

_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SHORT = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_WORDS = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "tomorrow": 1,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "yesterday": -1,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
}


def parse_day(text: str, *, today: date) -> date | None:
    """A typed local date: 2026-12-03, 2026/12/3, 2026年12月3日, 12-03 (this year), 明天...

    None when ``text`` is not a date at all; InvalidInput when it looks like one but is not.
    """
    word = text.strip().lower()
    if word in _WORDS:
        return today + timedelta(days=_WORDS[word])
    full, short = _FULL.fullmatch(word), _SHORT.fullmatch(word)
    if full:
        year, month, day = (int(g) for g in full.groups())
    elif short:
        year, (month, day) = today.year, (int(g) for g in short.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput("{text} is not a date in the calendar.", text=text.strip()) from None


def local_today(rules: Rules) -> date:
    return rules.now().astimezone(rules.zone).date()


def planned_day(text: str, *, rules: Rules) -> date:
    """The date of a filing: a local date, today or later (and within a year)."""
    today = local_today(rules)
    day = parse_day(text, today=today)
    if day is None:
        raise InvalidInput("Write the date like 2026-12-03 (or today, tomorrow).")
    if day < today:
        raise InvalidInput(
            "{date} is in the past: an inspection is filed before it takes place.",
            date=day.isoformat(),
        )
    if day > today + AHEAD:
        raise InvalidInput("{date} is more than a year ahead.", date=day.isoformat())
    return day


def happened_day(text: str, *, rules: Rules) -> date:
    """The date of a reported inspection: a local date, today or earlier."""
    today = local_today(rules)
    day = parse_day(text, today=today)
    if day is None:
        raise InvalidInput("Write the date like 2026-12-03 (or today, yesterday).")
    if day > today:
        raise InvalidInput(
            "{date} is in the future: report an inspection once it took place.",
            date=day.isoformat(),
        )
    return day


@dataclass(frozen=True)
class FilingLine:
    """``/inspect <enterprise> <date> <purpose> | <inspectors>``, split."""

    enterprise: str
    day: date
    purpose: str
    inspectors: str


def split_filing(text: str, *, rules: Rules) -> FilingLine:
    """Split the one-line filing at its date: the enterprise before, the purpose after."""
    words = text.split()
    today = local_today(rules)
    at = next((i for i, w in enumerate(words) if i and parse_day(w, today=today)), None)
    if at is None:
        raise InvalidInput(FILING_USAGE)
    purpose, bar, inspectors = " ".join(words[at + 1 :]).partition("|")
    if not purpose.strip():
        raise InvalidInput("Write the purpose of the inspection after the date.")
    if not bar or not inspectors.strip():
        raise InvalidInput("Name the inspectors after a |, e.g. … | Zhang San, Li Si.")
    return FilingLine(
        enterprise=" ".join(words[:at]),
        day=planned_day(words[at], rules=rules),
        purpose=purpose.strip(),
        inspectors=inspectors.strip(),
    )


def find_enterprise(session: Session, text: str) -> Enterprise:
    """An enterprise by credit code, exact name, or the one name containing ``text``."""
    wanted = text.strip()
    code = wanted.upper().replace(" ", "")
    found = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if found is None:
        found = session.exec(select(Enterprise).where(Enterprise.name == wanted)).first()
    if found is not None:
        return found
    if wanted:
        like = session.exec(
            select(Enterprise)
            .where(col(Enterprise.name).contains(wanted, autoescape=True))
            .limit(6)
        ).all()
        if len(like) == 1:
            return like[0]
        if like:
            raise InvalidInput(
                "Several enterprises match {text}: {names}. Write the credit code or the full "
                "name.",
                text=wanted,
                names="、".join(e.name for e in like[:5]),
            )
    raise NotFound("There is no enterprise with the credit code or name {text}.", text=wanted)


def find_department(session: Session, text: str) -> Department:
    """An active department by code (any case), name, or the one name containing ``text``."""
    wanted = text.strip()
    active = session.exec(select(Department).where(col(Department.active))).all()
    for dept in active:
        if wanted.lower() == dept.code.lower() or wanted in (dept.name_zh, dept.name_en):
            return dept
    like = [d for d in active if wanted and (wanted in d.name_zh or wanted in d.name_en)]
    if len(like) == 1:
        return like[0]
    raise NotFound(
        "There is no department {text}. Known codes: {codes}.",
        text=wanted,
        codes=", ".join(sorted(d.code for d in active)),
    )


def departments(session: Session) -> list[Department]:
    """The active departments, for the /inspected form's buttons."""
    return list(session.exec(select(Department).where(col(Department.active))).all())


def facts_of(session: Session, inspection: Inspection) -> messages.Facts:
    enterprise = session.get(Enterprise, inspection.enterprise_id)
    assert inspection.id is not None
    return messages.Facts(
        inspection_id=inspection.id,
        department=session.get(Department, inspection.department_id),
        enterprise=enterprise.name if enterprise else "?",
        on=inspection.planned_on,
        purpose=inspection.purpose,
        inspectors=inspection.inspectors,
    )


def liaison_department(actor: Actor) -> int:
    """The department a liaison files for (the lowest id if they hold several)."""
    ids = actor.department_ids(Role.LIAISON)
    if not ids:
        raise NotAllowed("Only a department's liaison can file an inspection.")
    return min(ids)


def file_inspection(
    session: Session,
    *,
    actor: Actor,
    enterprise: str,
    day: date,
    purpose: str,
    inspectors: str,
    rules: Rules,
) -> Inspection:
    """File a planned inspection for the liaison's department; the enterprise is told."""
    department_id = liaison_department(actor)
    if day < local_today(rules):
        raise InvalidInput(
            "{date} is in the past: an inspection is filed before it takes place.",
            date=day.isoformat(),
        )
    target = find_enterprise(session, enterprise)
    purpose, inspectors = purpose.strip(), inspectors.strip()
    if not purpose or not inspectors:
        raise InvalidInput(FILING_USAGE)
    if len(purpose) > MAX_PURPOSE or len(inspectors) > MAX_INSPECTORS:
        raise InvalidInput(
            "The purpose can have at most {purpose} characters, the inspectors {inspectors}.",
            purpose=MAX_PURPOSE,
            inspectors=MAX_INSPECTORS,
        )
    filing = Inspection(
        department_id=department_id,
        enterprise_id=target.id,  # type: ignore[arg-type]  # stored rows have an id
        status=InspectionStatus.FILED,
        planned_on=day,
        purpose=purpose,
        inspectors=inspectors,
        filed_by_user_id=actor.id,
        created_at=rules.now(),
    )
    session.add(filing)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="inspection.file",
        entity="inspections",
        entity_id=filing.id,
        data={"enterprise": target.credit_code, "date": day.isoformat(), "purpose": purpose},
        at=rules.now(),
    )
    notify.tell(
        session,
        holders(session, Role.ENTERPRISE, enterprise_id=target.id),
        rules=rules,
        template="inspection.filed",
        key=f"insp:{filing.id}:filed",
        render=partial(messages.filed, facts=facts_of(session, filing)),
    )
    return filing


@dataclass(frozen=True)
class Reported:
    """What became of an enterprise's report: matched to a filing, or sent to supervisors."""

    inspection: Inspection
    matched: bool
    again: bool = False  # the same inspection was reported before: nobody is alerted twice


def _covering(
    session: Session, *, department_id: int, enterprise_id: int, day: date, rules: Rules
) -> Inspection | None:
    """A filing of the department for the enterprise near ``day``, made before it."""
    slack = timedelta(days=rules.inspections.match_days)
    filings = session.exec(
        select(Inspection).where(
            Inspection.department_id == department_id,
            Inspection.enterprise_id == enterprise_id,
            Inspection.status == InspectionStatus.FILED,
            col(Inspection.planned_on) >= day - slack,
            col(Inspection.planned_on) <= day + slack,
        )
    ).all()
    # A filing made after the inspection covers nothing: it would excuse any visit afterwards.
    before = [f for f in filings if f.created_at.astimezone(rules.zone).date() <= day]
    return min(before, key=lambda f: abs((f.planned_on - day).days), default=None)


def report_inspection(
    session: Session, *, actor: Actor, department: str | int, day: date, rules: Rules
) -> Reported:
    """An enterprise contact reports an inspection; unfiled-looking ones alert supervisors."""
    enterprises = actor.enterprise_ids()
    if not enterprises:
        raise NotAllowed("Only an enterprise's contact can report an inspection.")
    enterprise_id = min(enterprises)
    if day > local_today(rules):
        raise InvalidInput(
            "{date} is in the future: report an inspection once it took place.",
            date=day.isoformat(),
        )
    dept = (
        session.get(Department, department)
        if isinstance(department, int)
        else find_department(session, department)
    )
    if dept is None or dept.id is None or not dept.active:
        raise NotFound("There is no department {text}.", text=str(department))
    same = session.exec(
        select(Inspection).where(
            Inspection.department_id == dept.id,
            Inspection.enterprise_id == enterprise_id,
            Inspection.planned_on == day,
            col(Inspection.reported_by_user_id).is_not(None),
        )
    ).first()
    if same is not None:
        return Reported(same, matched=same.status == InspectionStatus.MATCHED, again=True)
    filing = _covering(
        session, department_id=dept.id, enterprise_id=enterprise_id, day=day, rules=rules
    )
    report = Inspection(
        department_id=dept.id,
        enterprise_id=enterprise_id,
        status=InspectionStatus.MATCHED if filing else InspectionStatus.REPORTED,
        planned_on=day,
        purpose="",
        reported_by_user_id=actor.id,
        matched_inspection_id=filing.id if filing else None,
        created_at=rules.now(),
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="inspection.match" if filing else "inspection.report",
        entity="inspections",
        entity_id=report.id,
        data={
            "department": dept.code,
            "date": day.isoformat(),
            "filing": report.matched_inspection_id,
        },
        at=rules.now(),
    )
    if filing is None:
        notify.tell(
            session,
            holders(session, Role.SUPERVISOR),
            rules=rules,
            template="inspection.alert",
            key=f"insp:{report.id}:alert",
            render=partial(messages.alert, facts=facts_of(session, report)),
            live_key=alert_key(report.id),  # type: ignore[arg-type]  # flushed: it has an id
        )
    return Reported(report, matched=filing is not None)


def alert_key(inspection_id: int) -> str:
    return f"insp:{inspection_id}:alert"


def _reported(session: Session, actor: Actor, inspection_id: int) -> Inspection:
    """The report a supervisor decides, locked so that two presses decide once."""
    if not actor.has(Role.SUPERVISOR):
        raise NotAllowed("Only the discipline commission's supervisors can decide this.")
    report = session.exec(
        select(Inspection).where(Inspection.id == inspection_id).with_for_update()
    ).first()
    if report is None or report.reported_by_user_id is None:
        raise NotFound("That inspection report does not exist.")
    return report


@dataclass(frozen=True)
class Decision:
    facts: messages.Facts
    already: bool  # decided the same way before (a second press, another supervisor)

    @property
    def number(self) -> str:
        return self.facts.number


def confirm_unfiled(
    session: Session, *, actor: Actor, inspection_id: int, rules: Rules
) -> Decision:
    """Confirm a report as an unfiled inspection: the deduction and the county-wide notice."""
    report = _reported(session, actor, inspection_id)
    facts = facts_of(session, report)
    if report.status == InspectionStatus.UNFILED:
        return Decision(facts, already=True)
    if report.status != InspectionStatus.REPORTED:
        raise InvalidState(
            "Inspection report {number} was already decided: {status}.",
            number=facts.number,
            status=Phrase(messages.STATUS_NAMES.get(report.status, report.status)),
        )
    now, points = rules.now(), rules.inspections.unfiled_points
    report.status, report.decided_by_user_id, report.decided_at = (
        InspectionStatus.UNFILED,
        actor.id,
        now,
    )
    session.add(report)
    session.add(
        Deduction(
            department_id=report.department_id,
            kind=DeductionKind.UNFILED_INSPECTION,
            points=points,
            year=report.planned_on.year,
            half=1 if report.planned_on.month <= 6 else 2,
            reason=f"unfiled inspection {facts.number} on {report.planned_on.isoformat()}",
            inspection_id=report.id,
            dedupe_key=f"unfiled:i{report.id}",
            created_at=now,
            created_by_user_id=actor.id,
        )
    )
    audit.record(
        session,
        actor_id=actor.id,
        action="inspection.unfiled",
        entity="inspections",
        entity_id=report.id,
        data={"before": InspectionStatus.REPORTED, "after": report.status, "points": points},
        at=now,
    )
    notices.send(
        session,
        key=f"unfiled:i{report.id}",
        render=partial(
            messages.unfiled_notice,
            facts=facts,
            points=points,
            office=rules.offices.supervisors,
        ),
        rules=rules,
        template="notice.unfiled",
    )
    _refresh_alerts(session, report, facts, by=actor.user, rules=rules)
    return Decision(facts, already=False)


def check_dismiss(session: Session, *, actor: Actor, inspection_id: int) -> messages.Facts:
    """A dismissal may still be asked for: the report is undecided."""
    report = _reported(session, actor, inspection_id)
    facts = facts_of(session, report)
    if report.status != InspectionStatus.REPORTED:
        raise InvalidState(
            "Inspection report {number} was already decided: {status}.",
            number=facts.number,
            status=Phrase(messages.STATUS_NAMES.get(report.status, report.status)),
        )
    return facts


def dismiss(
    session: Session, *, actor: Actor, inspection_id: int, reason: str, rules: Rules
) -> Decision:
    """Dismiss a report with a reason (e.g. it was no inspection); recorded, nobody deducted."""
    facts = check_dismiss(session, actor=actor, inspection_id=inspection_id)
    if not reason.strip():
        raise InvalidInput("Please give a reason.")
    report = session.get(Inspection, inspection_id)
    assert report is not None
    now = rules.now()
    report.status, report.decided_by_user_id, report.decided_at = (
        InspectionStatus.DISMISSED,
        actor.id,
        now,
    )
    report.dismissed_reason = reason.strip()
    session.add(report)
    audit.record(
        session,
        actor_id=actor.id,
        action="inspection.dismiss",
        entity="inspections",
        entity_id=report.id,
        data={"before": InspectionStatus.REPORTED, "after": report.status, "reason": reason},
        at=now,
    )
    _refresh_alerts(session, report, facts, by=actor.user, rules=rules)
    return Decision(facts, already=False)


def _refresh_alerts(
    session: Session, report: Inspection, facts: messages.Facts, *, by: User, rules: Rules
) -> None:
    """Every supervisor's alert shows the decision and loses its buttons."""
    unfiled = report.status == InspectionStatus.UNFILED
    live.refresh(
        session,
        live_key=alert_key(facts.inspection_id),
        template="inspection.alert.edit",
        rules=rules,
        render=lambda _user, lang: messages.decided(
            lang,
            facts=facts,
            unfiled=unfiled,
            by=by.display_name,
            reason=report.dismissed_reason or "",
        ),
    )
