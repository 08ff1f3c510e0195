"""Enterprises and their projects: registered in chat (guided or in one go) and from CSV."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from bot.i18n import N_
from models import MAJOR_PROJECT_YUAN, Draft, Enterprise, Park, Project, User
from models.enums import Role
from models.types import utcnow
from services import audit, drafts
from services.credit_code import normalize_credit_code
from services.errors import DomainError, InvalidInput, InvalidState, NotAllowed, NotFound
from services.onboarding import find_park
from services.users import Actor, holders

DRAFT_KIND = "enterprise"
OFFICE_ROLES = (Role.PARK_OFFICER, Role.DISPATCHER, Role.ADMIN)
NAME_LIMIT = 200
MAX_PROJECTS = 30
MAX_YUAN = 10**15  # a thousand trillion: anything larger is a typo
drafts.name_draft(DRAFT_KIND, N_("enterprise registration"))

# Steps of the guided registration, in order; "more" asks for another project or finish.
NAME, CREDIT, PARK, PROJECT, INVESTMENT, KEY, HEAD, MORE = (
    "name",
    "credit",
    "park",
    "project",
    "investment",
    "key",
    "head",
    "more",
)
DONE, CANCELLED = "done", "cancelled"
STALE = N_("This button is no longer valid.")


# -- values --------------------------------------------------------------------------------

_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)(亿|万)?$")
_CURRENCY = ("人民币", "rmb", "cny", "yuan", "元", "¥", "￥")


def parse_investment(text: str) -> int:
    """Whole yuan from ``8000万``, ``1.2亿``, ``120000000``, ``1,200,000,000`` and the like."""
    plain = unicodedata.normalize("NFKC", text).strip().lower()
    for noise in (",", " ", "_", "'", "\u3000"):
        plain = plain.replace(noise, "")
    for unit in _CURRENCY:
        plain = plain.removeprefix(unit).removesuffix(unit)
    match = _AMOUNT.match(plain)
    problem = N_(
        "I could not read {text} as an amount in yuan. Examples: 8000万, 1.2亿, 120000000."
    )
    if not match:
        raise InvalidInput(problem, text=text.strip())
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise InvalidInput(problem, text=text.strip()) from None
    value = number * {"亿": 100_000_000, "万": 10_000, None: 1}[match.group(2)]
    if value != value.to_integral_value():
        raise InvalidInput("Please give the investment in whole yuan: {text}.", text=text.strip())
    if value > MAX_YUAN:
        raise InvalidInput("{text} yuan is more than any project invests.", text=text.strip())
    return int(value)


_YES = {"1", "yes", "y", "true", "是", "是的", "对", "重点", "key"}
_NO = {"0", "no", "n", "false", "否", "不是", "不", "非重点", ""}


def parse_flag(text: str) -> bool:
    """是/否, yes/no, 1/0 (an empty cell is no)."""
    plain = unicodedata.normalize("NFKC", text).strip().lower()
    if plain in _YES:
        return True
    if plain in _NO:
        return False
    raise InvalidInput("Answer yes or no (是/否), not {text}.", text=text.strip())


def _clean_name(text: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not name:
        raise InvalidInput("The name cannot be empty.")
    if len(name) > NAME_LIMIT:
        raise InvalidInput(
            "The name is too long ({length} characters; at most 200).", length=len(name)
        )
    return name


# -- what the caller renders ---------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A button choice: a park or a person."""

    id: int
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    investment_yuan: int | None = None
    is_key: bool | None = None
    head: str | None = None  # the efficiency head's name

    @property
    def is_major(self) -> bool:
        return (self.investment_yuan or 0) >= MAJOR_PROJECT_YUAN


@dataclass(frozen=True)
class Registered:
    """An enterprise as registered, with its projects."""

    id: int
    name: str
    credit_code: str
    park: Choice
    projects: tuple[ProjectInfo, ...] = ()


@dataclass(frozen=True)
class Prompt:
    """Where the guided registration stands, with what the next question needs."""

    step: str
    name: str | None = None
    credit_code: str | None = None
    park: Choice | None = None
    auto_park: bool = False  # chosen without asking: the officer's only park
    projects: tuple[ProjectInfo, ...] = ()
    current: ProjectInfo | None = None  # the project being entered
    parks: tuple[Choice, ...] = ()  # for the park step
    heads: tuple[Choice, ...] = ()  # for the efficiency-head step
    registered: Registered | None = None  # when done


# -- permissions and lookups ---------------------------------------------------------------


def _require_office(actor: Actor) -> None:
    if not actor.has(*OFFICE_ROLES):
        raise NotAllowed(
            "Only park officers, dispatchers and administrators can register enterprises."
        )


def allowed_parks(session: Session, actor: Actor) -> list[Park]:
    """Parks ``actor`` may register enterprises in: all for the county office, else their own."""
    parks = session.exec(select(Park).where(col(Park.active)).order_by(col(Park.id))).all()
    if actor.has(Role.DISPATCHER, Role.ADMIN):
        return list(parks)
    own = actor.park_ids()
    return [p for p in parks if p.id in own]


def _park_choice(park: Park) -> Choice:
    assert park.id is not None
    return Choice(id=park.id, label_zh=park.name_zh, label_en=park.name_en)


def _allowed_park(session: Session, actor: Actor, park_id: int) -> Park:
    for park in allowed_parks(session, actor):
        if park.id == park_id:
            return park
    raise NotAllowed("You may only register enterprises in your own park.")


def check_new_credit_code(session: Session, text: str) -> str:
    """The normalized code, unless it is invalid or an enterprise already has it."""
    code = normalize_credit_code(text)
    existing = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if existing is not None:
        park = session.get(Park, existing.park_id)
        raise InvalidInput(
            "The credit code {code} is already registered: {name}, {park_en}.",
            code=code,
            name=existing.name,
            park_en=park.name_en if park else "?",
            park_zh=park.name_zh if park else "?",
        )
    return code


def head_candidates(session: Session, *, park_id: int) -> list[User]:
    """Who may be a major project's efficiency head: the park officers of its park."""
    return sorted(holders(session, Role.PARK_OFFICER, park_id=park_id), key=lambda u: u.id or 0)


def _person_choice(user: User) -> Choice:
    assert user.id is not None
    name = user.display_name or f"#{user.id}"
    return Choice(id=user.id, label_zh=name, label_en=name)


# -- creating ------------------------------------------------------------------------------


def _create_enterprise(
    session: Session,
    *,
    actor_id: int | None,
    name: str,
    credit_code: str,
    park: Park,
    now: datetime,
    source: str,
) -> Enterprise:
    enterprise = Enterprise(
        name=name,
        credit_code=credit_code,
        park_id=park.id,  # type: ignore[arg-type]
        created_at=now,
        created_by_user_id=actor_id,
    )
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="enterprise.create",
        entity="enterprises",
        entity_id=enterprise.id,
        data={"credit_code": credit_code, "park": park.code, "source": source},
        at=now,
    )
    return enterprise


def _create_project(
    session: Session,
    *,
    actor_id: int | None,
    enterprise: Enterprise,
    name: str,
    investment_yuan: int,
    is_key: bool,
    head_user_id: int | None,
    now: datetime,
    source: str,
) -> Project:
    project = Project(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        name=name,
        investment_yuan=investment_yuan,
        is_key=is_key,
        efficiency_head_user_id=head_user_id,
        created_at=now,
    )
    session.add(project)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="project.create",
        entity="projects",
        entity_id=project.id,
        data={
            "enterprise_id": enterprise.id,
            "investment_yuan": investment_yuan,
            "is_key": is_key,
            "efficiency_head_user_id": head_user_id,
            "source": source,
        },
        at=now,
    )
    return project


def register_enterprise(
    session: Session,
    *,
    actor: Actor,
    name: str,
    credit_code: str,
    park: str | None = None,
    now: datetime | None = None,
) -> Registered:
    """Register an enterprise in one go; ``park`` (code or name) may be left out by an officer
    of a single park."""
    _require_office(actor)
    now = now or utcnow()
    clean = _clean_name(name)
    code = check_new_credit_code(session, credit_code)
    allowed = allowed_parks(session, actor)
    if park is not None:
        chosen = find_park(session, park)
        if chosen.id not in {p.id for p in allowed}:
            raise NotAllowed("You may only register enterprises in your own park.")
    elif len(allowed) == 1 and not actor.has(Role.DISPATCHER, Role.ADMIN):
        chosen = allowed[0]
    else:
        raise InvalidInput(
            "Which park? Add its code: {codes}.", codes=", ".join(p.code for p in allowed)
        )
    enterprise = _create_enterprise(
        session,
        actor_id=actor.id,
        name=clean,
        credit_code=code,
        park=chosen,
        now=now,
        source="chat",
    )
    assert enterprise.id is not None
    return Registered(id=enterprise.id, name=clean, credit_code=code, park=_park_choice(chosen))


# -- the guided registration (a Draft of kind "enterprise") --------------------------------


def begin_registration(
    session: Session, *, actor: Actor, ttl: timedelta, now: datetime | None = None
) -> Prompt:
    """Start a guided registration (replacing whatever the user had half-done)."""
    _require_office(actor)
    if not allowed_parks(session, actor):
        raise InvalidState("No park is assigned to you yet; ask the county optimization office.")
    drafts.start(session, user_id=actor.id, kind=DRAFT_KIND, step=NAME, ttl=ttl, now=now)
    return Prompt(step=NAME)


def registration_prompt(session: Session, *, actor: Actor, now: datetime | None = None) -> Prompt:
    """The question the guided registration is waiting on (to ask again after bad input)."""
    return _prompt(session, actor, _draft(session, actor, now))


def registration_text(
    session: Session, *, actor: Actor, text: str, ttl: timedelta, now: datetime | None = None
) -> Prompt:
    """Apply typed ``text`` to the current step; bad input raises and leaves the draft as it was."""
    _require_office(actor)
    now = now or utcnow()
    draft = _draft(session, actor, now)
    data = dict(draft.data)
    text = text.strip()
    if not text:
        raise InvalidInput("Please answer with text.")
    step = draft.step
    if step == NAME:
        return _advance(session, actor, draft, CREDIT, ttl, now, name=_clean_name(text))
    if step == CREDIT:
        code = check_new_credit_code(session, text)
        return _after_credit(session, actor, draft, ttl, now, code)
    if step == PARK:
        park = find_park(session, text)
        return _choose_park(session, actor, draft, ttl, now, park.id)  # type: ignore[arg-type]
    if step in (PROJECT, MORE):
        name = _project_name(data, text)
        return _advance(session, actor, draft, INVESTMENT, ttl, now, current={"name": name})
    if step == INVESTMENT:
        current = {**data["current"], "investment": parse_investment(text)}
        return _advance(session, actor, draft, KEY, ttl, now, current=current)
    if step == KEY:
        return _set_key(session, actor, draft, ttl, now, parse_flag(text))
    if step == HEAD:
        raise InvalidInput("Please choose with the buttons.")
    raise InvalidState(STALE)


def registration_button(
    session: Session,
    *,
    actor: Actor,
    action: str,
    value: str = "",
    ttl: timedelta,
    now: datetime | None = None,
) -> Prompt:
    """Apply a pressed button; one that does not fit the current step is refused as stale."""
    _require_office(actor)
    now = now or utcnow()
    draft = _draft(session, actor, now)
    step = draft.step
    if action == "cancel":
        drafts.finish(session, user_id=actor.id)
        return Prompt(step=CANCELLED)
    if action == "park" and step == PARK:
        return _choose_park(session, actor, draft, ttl, now, _int(value))
    if action == "key" and step == KEY and value in ("0", "1"):
        return _set_key(session, actor, draft, ttl, now, value == "1")
    if action == "head" and step == HEAD:
        return _set_head(session, actor, draft, ttl, now, _int(value))
    if action == "add" and step == MORE:
        return _advance(session, actor, draft, PROJECT, ttl, now)
    if action == "finish" and step in (PROJECT, MORE):
        return _finish(session, actor, draft, now)
    raise InvalidState(STALE)


def _int(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise InvalidState(STALE)
    return int(value)


def _draft(session: Session, actor: Actor, now: datetime | None) -> Draft:
    draft = drafts.current(session, user_id=actor.id, now=now)
    if draft is None or draft.kind != DRAFT_KIND:
        raise InvalidState("No registration is in progress. Send /enterprise to start one.")
    return draft


def _advance(
    session: Session,
    actor: Actor,
    draft: Draft,
    step: str,
    ttl: timedelta,
    now: datetime,
    **changes: Any,
) -> Prompt:
    draft = drafts.advance(session, draft, step=step, ttl=ttl, now=now, **changes)
    return _prompt(session, actor, draft)


def _after_credit(
    session: Session, actor: Actor, draft: Draft, ttl: timedelta, now: datetime, code: str
) -> Prompt:
    allowed = allowed_parks(session, actor)
    if len(allowed) == 1 and not actor.has(Role.DISPATCHER, Role.ADMIN):
        # A park officer registers in their own park: no need to ask.
        return _advance(
            session,
            actor,
            draft,
            PROJECT,
            ttl,
            now,
            credit_code=code,
            park_id=allowed[0].id,
            auto_park=True,
        )
    return _advance(session, actor, draft, PARK, ttl, now, credit_code=code)


def _choose_park(
    session: Session, actor: Actor, draft: Draft, ttl: timedelta, now: datetime, park_id: int
) -> Prompt:
    park = _allowed_park(session, actor, park_id)
    return _advance(session, actor, draft, PROJECT, ttl, now, park_id=park.id, auto_park=False)


def _project_name(data: dict[str, Any], text: str) -> str:
    name = _clean_name(text)
    projects = data.get("projects", [])
    if any(p["name"] == name for p in projects):
        raise InvalidInput("The project {name} is already on the list.", name=name)
    if len(projects) >= MAX_PROJECTS:
        raise InvalidInput("That is enough projects for one registration; press Finish.")
    return name


def _set_key(
    session: Session, actor: Actor, draft: Draft, ttl: timedelta, now: datetime, is_key: bool
) -> Prompt:
    current = {**draft.data["current"], "is_key": is_key}
    if current["investment"] >= MAJOR_PROJECT_YUAN and head_candidates(
        session, park_id=draft.data["park_id"]
    ):
        return _advance(session, actor, draft, HEAD, ttl, now, current=current)
    return _add_project(session, actor, draft, ttl, now, current)


def _set_head(
    session: Session, actor: Actor, draft: Draft, ttl: timedelta, now: datetime, user_id: int
) -> Prompt:
    current = dict(draft.data["current"])
    if user_id:
        candidates = {u.id for u in head_candidates(session, park_id=draft.data["park_id"])}
        if user_id not in candidates:
            raise InvalidState(STALE)
        current["head_user_id"] = user_id
    return _add_project(session, actor, draft, ttl, now, current)


def _add_project(
    session: Session,
    actor: Actor,
    draft: Draft,
    ttl: timedelta,
    now: datetime,
    current: dict[str, Any],
) -> Prompt:
    projects = [*draft.data.get("projects", []), current]
    draft = drafts.advance(
        session, draft, step=MORE, ttl=ttl, now=now, projects=projects, current=None
    )
    return _prompt(session, actor, draft)


def _finish(session: Session, actor: Actor, draft: Draft, now: datetime) -> Prompt:
    """Create the enterprise and its projects together, re-checking what may have changed."""
    data = draft.data
    park = _allowed_park(session, actor, data["park_id"])
    code = check_new_credit_code(session, data["credit_code"])
    enterprise = _create_enterprise(
        session,
        actor_id=actor.id,
        name=data["name"],
        credit_code=code,
        park=park,
        now=now,
        source="chat",
    )
    candidates = {u.id for u in head_candidates(session, park_id=park.id)}  # type: ignore[arg-type]
    infos: list[ProjectInfo] = []
    for item in data.get("projects", []):
        head_id = item.get("head_user_id")
        if head_id is not None and head_id not in candidates:
            raise InvalidState(
                "The chosen efficiency head of {name} is no longer a park officer of this park.",
                name=item["name"],
            )
        _create_project(
            session,
            actor_id=actor.id,
            enterprise=enterprise,
            name=item["name"],
            investment_yuan=item["investment"],
            is_key=item["is_key"],
            head_user_id=head_id,
            now=now,
            source="chat",
        )
        infos.append(_project_info(session, item))
    drafts.finish(session, user_id=actor.id)
    assert enterprise.id is not None
    registered = Registered(
        id=enterprise.id,
        name=enterprise.name,
        credit_code=code,
        park=_park_choice(park),
        projects=tuple(infos),
    )
    return Prompt(step=DONE, registered=registered)


def _project_info(session: Session, item: dict[str, Any] | None) -> ProjectInfo | None:
    if not item:
        return None
    head = session.get(User, item["head_user_id"]) if item.get("head_user_id") else None
    return ProjectInfo(
        name=item["name"],
        investment_yuan=item.get("investment"),
        is_key=item.get("is_key"),
        head=(head.display_name or f"#{head.id}") if head else None,
    )


def _prompt(session: Session, actor: Actor, draft: Draft) -> Prompt:
    data = draft.data
    park = session.get(Park, data["park_id"]) if data.get("park_id") else None
    projects = tuple(
        info for item in data.get("projects", []) if (info := _project_info(session, item))
    )
    prompt = Prompt(
        step=draft.step,
        name=data.get("name"),
        credit_code=data.get("credit_code"),
        park=_park_choice(park) if park else None,
        auto_park=bool(data.get("auto_park")),
        projects=projects,
        current=_project_info(session, data.get("current")),
    )
    if draft.step == PARK:
        choices = tuple(_park_choice(p) for p in allowed_parks(session, actor))
        return replace(prompt, parks=choices)
    if draft.step == HEAD and park is not None:
        people = head_candidates(session, park_id=park.id)  # type: ignore[arg-type]
        return replace(prompt, heads=tuple(_person_choice(u) for u in people))
    return prompt


# -- CSV import ----------------------------------------------------------------------------

COLUMNS: dict[str, str] = {
    "name": "name",
    "企业名称": "name",
    "credit_code": "credit_code",
    "统一社会信用代码": "credit_code",
    "park": "park",
    "园区": "park",
    "project": "project",
    "项目名称": "project",
    "investment_yuan": "investment_yuan",
    "投资额": "investment_yuan",
    "投资额(元)": "investment_yuan",
    "key_project": "key_project",
    "重点项目": "key_project",
}


class ImportRejected(DomainError):
    """The file has problems; nothing was imported. ``problems`` are (line, reason) pairs."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        super().__init__(
            "The file has {count} problem(s); nothing was imported.", count=len(problems)
        )
        self.problems = list(problems)


@dataclass(frozen=True)
class CsvRow:
    line: int  # line number in the file, for messages (the header is line 1)
    values: dict[str, str]


@dataclass
class ImportResult:
    enterprises_created: int = 0
    projects_created: int = 0
    enterprises_existing: int = 0
    projects_existing: int = 0
    rows: int = 0


@dataclass
class _Planned:
    name: str
    credit_code: str
    park: Park
    line: int
    projects: dict[str, tuple[int, int, bool]] = field(default_factory=dict)  # name: line, ¥, key


def read_csv(text: str) -> list[CsvRow]:
    """Rows of a CSV text with Chinese or English headers (BOM tolerated); header problems
    raise ImportRejected."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejected([(1, "the file is empty; the first row must be the header")]) from None
    keys: list[str | None] = []
    problems: list[tuple[int, str]] = []
    for raw in header:
        label = unicodedata.normalize("NFKC", raw).strip()
        key = COLUMNS.get(label) or COLUMNS.get(label.lower())
        if key is None and label:
            problems.append((1, f"unknown column {raw!r} (known: {', '.join(COLUMNS)})"))
        elif key in keys:
            problems.append((1, f"column {raw!r} appears twice"))
        keys.append(key)
    for needed in ("name", "credit_code"):
        if needed not in keys:
            problems.append((1, f"the header lacks the column {needed}"))
    if problems:
        raise ImportRejected(problems)
    rows: list[CsvRow] = []
    end = reader.line_num
    try:
        for cells in reader:
            # A quoted cell may span lines: name the line the row starts on.
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(keys):
                problems.append((line, f"{len(cells)} cells but the header has {len(keys)}"))
                continue
            values = {k: c.strip() for k, c in zip(keys, cells, strict=False) if k}
            rows.append(CsvRow(line=line, values=values))
    except csv.Error as exc:
        problems.append((reader.line_num, f"not valid CSV: {exc}"))
    if problems:
        raise ImportRejected(problems)
    return rows


def import_enterprises(
    session: Session,
    *,
    rows: Sequence[CsvRow],
    default_park: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Validate every row, then import all of them, or raise ImportRejected and import nothing.

    One row per project; rows repeating an enterprise add projects. Enterprises and projects
    already registered are skipped, so importing the same file again creates nothing.
    """
    now = now or utcnow()
    forced: Park | None = None
    if default_park:
        forced = find_park(session, default_park)
    problems: list[tuple[int, str]] = []
    planned: dict[str, _Planned] = {}
    for row in rows:
        try:
            _plan_row(session, row, forced, planned)
        except _RowProblem as exc:
            problems.append((row.line, str(exc)))
        except DomainError as exc:
            problems.append((row.line, str(exc)))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(rows=len(rows))
    for plan in planned.values():
        enterprise = session.exec(
            select(Enterprise).where(Enterprise.credit_code == plan.credit_code)
        ).first()
        if enterprise is None:
            enterprise = _create_enterprise(
                session,
                actor_id=actor_id,
                name=plan.name,
                credit_code=plan.credit_code,
                park=plan.park,
                now=now,
                source="import",
            )
            result.enterprises_created += 1
        else:
            result.enterprises_existing += 1
        known = set(
            session.exec(select(Project.name).where(Project.enterprise_id == enterprise.id)).all()
        )
        for project_name, (_line, yuan, is_key) in plan.projects.items():
            if project_name in known:
                result.projects_existing += 1
                continue
            _create_project(
                session,
                actor_id=actor_id,
                enterprise=enterprise,
                name=project_name,
                investment_yuan=yuan,
                is_key=is_key,
                head_user_id=None,
                now=now,
                source="import",
            )
            result.projects_created += 1
    return result


class _RowProblem(Exception):
    """One bad row, in words for the CLI."""


def _plan_row(
    session: Session, row: CsvRow, forced: Park | None, planned: dict[str, _Planned]
) -> None:
    values = row.values
    name = _clean_name(values.get("name", ""))
    raw_code = values.get("credit_code", "")
    if not raw_code:
        raise _RowProblem("the credit code is empty")
    code = normalize_credit_code(raw_code)
    park_text = values.get("park", "")
    if park_text:
        try:
            park = find_park(session, park_text)
        except NotFound:
            raise _RowProblem(f"unknown park {park_text!r}") from None
        if forced is not None and park.id != forced.id:
            raise _RowProblem(f"park {park_text!r} differs from --park {forced.code}")
    elif forced is not None:
        park = forced
    else:
        raise _RowProblem("no park: fill the park column or pass --park")
    plan = planned.get(code)
    if plan is None:
        existing = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
        if existing is not None and (existing.name != name or existing.park_id != park.id):
            other = session.get(Park, existing.park_id)
            raise _RowProblem(
                f"credit code {code} is already registered as {existing.name!r} "
                f"in {other.code if other else '?'}"
            )
        plan = planned[code] = _Planned(name=name, credit_code=code, park=park, line=row.line)
    elif plan.name != name or plan.park.id != park.id:
        raise _RowProblem(
            f"credit code {code} is {plan.name!r} in {plan.park.code} on line {plan.line}"
        )
    project = values.get("project", "")
    investment, key = values.get("investment_yuan", ""), values.get("key_project", "")
    if not project:
        if investment or key:
            raise _RowProblem("investment or key-project flag given without a project name")
        return
    project = _clean_name(project)
    yuan = parse_investment(investment) if investment else 0
    is_key = parse_flag(key)
    if project in plan.projects:
        raise _RowProblem(
            f"project {project!r} of this enterprise is already on line {plan.projects[project][0]}"
        )
    plan.projects[project] = (row.line, yuan, is_key)
