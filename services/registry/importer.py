"""Importing enterprises and projects from a CSV file: every row, or none if any row is wrong."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from models import Enterprise, Park, Project
from services.credit_code import normalize_credit_code
from services.errors import DomainError, NotFound
from services.onboarding import find_park
from services.registry.records import create_enterprise, create_project
from services.registry.values import clean_name, parse_flag, parse_investment
from services.rules import Rules

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
    rules: Rules,
) -> ImportResult:
    """Validate every row, then import all of them, or raise ImportRejected and import nothing.

    One row per project; rows repeating an enterprise add projects. Enterprises and projects
    already registered are skipped, so importing the same file again creates nothing.
    """
    now = rules.now()
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
            enterprise = create_enterprise(
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
            create_project(
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
    name = clean_name(values.get("name", ""))
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
    project = clean_name(project)
    yuan = parse_investment(investment) if investment else 0
    is_key = parse_flag(key)
    if project in plan.projects:
        raise _RowProblem(
            f"project {project!r} of this enterprise is already on line {plan.projects[project][0]}"
        )
    plan.projects[project] = (row.line, yuan, is_key)
