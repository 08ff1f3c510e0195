"""Importing enterprises and projects from a CSV file: every row, or none if any row is wrong."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

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
    """The file has problems; nothing was imported. ``problems`` are (row, reason) pairs."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        super().__init__(
            "The file has {count} problem(s); nothing was imported.", count=len(problems)
        )
        self.problems = list(problems)


@dataclass(frozen=True)
class CsvRow:
    row: int  # the row number a spreadsheet shows (the header is row 1)
    values: dict[str, str]
    problems: tuple[str, ...] = ()  # found while reading: bad cells, too many cells
    unreadable: frozenset[str] = frozenset()  # columns whose cell was refused while reading
    usable: bool = True  # False when the cells cannot be matched to the columns


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
    row: int
    projects: dict[str, tuple[int, int, bool]] = field(default_factory=dict)  # name: row, ¥, key


# Tab and line breaks are whitespace a name may contain (names are re-spaced); the other
# control characters are invisible in a spreadsheet, and PostgreSQL refuses NUL outright.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _column_letter(index: int) -> str:
    """A, B, ..., Z, AA, ...: the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _control_problem(cell: str, index: int, label: str) -> str | None:
    bad = sorted({c for c in cell if unicodedata.category(c) == "Cc"} - _ALLOWED_CONTROLS)
    if not bad:
        return None
    names = ", ".join(f"U+{ord(c):04X}" + (" (NUL)" if c == "\0" else "") for c in bad)
    column = f"column {_column_letter(index)}" + (f" ({label})" if label else "")
    return f"{column}: the control character {names} is not allowed; remove it"


def read_csv(text: str) -> list[CsvRow]:
    """Rows of a CSV text with Chinese or English headers (BOM tolerated); header problems
    and unreadable CSV raise ImportRejected, problems of a row travel with the row."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejected([(1, "the file is empty; the first row must be the header")]) from None
    keys = _header_keys(header)
    labels = [raw.strip() for raw in header]
    rows: list[CsvRow] = []
    # Rows are counted as a spreadsheet shows them: a quoted cell with line breaks is one row.
    number = 1
    try:
        for cells in reader:
            number += 1
            if not any(c.strip() for c in cells):
                continue
            rows.append(_row(number, cells, keys, labels))
    except csv.Error as exc:
        problems = [(r.row, p) for r in rows for p in r.problems]
        raise ImportRejected([*problems, (number + 1, f"not valid CSV: {exc}")]) from None
    return rows


def _header_keys(header: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    problems: list[tuple[int, str]] = []
    for index, raw in enumerate(header):
        label = unicodedata.normalize("NFKC", raw).strip()
        key = COLUMNS.get(label) or COLUMNS.get(label.lower())
        control = _control_problem(raw, index, "")
        if control:
            problems.append((1, control))
        elif key is None and label:
            problems.append((1, f"unknown column {raw!r} (known: {', '.join(COLUMNS)})"))
        elif key in keys:
            problems.append((1, f"column {raw!r} appears twice"))
        keys.append(key)
    for needed in ("name", "credit_code"):
        if needed not in keys:
            problems.append((1, f"the header lacks the column {needed}"))
    if problems:
        raise ImportRejected(problems)
    return keys


def _row(number: int, cells: list[str], keys: list[str | None], labels: list[str]) -> CsvRow:
    problems: list[str] = []
    unreadable: set[str] = set()
    values: dict[str, str] = {}
    for index, cell in enumerate(cells):
        key = keys[index] if index < len(keys) else None
        control = _control_problem(cell, index, labels[index] if index < len(labels) else "")
        if control:
            problems.append(control)
            if key:
                unreadable.add(key)
        elif key:
            values[key] = cell.strip()
    usable = len(cells) <= len(keys)
    if not usable:
        problems.append(f"{len(cells)} cells but the header has {len(keys)}")
    return CsvRow(
        row=number,
        values=values,
        problems=tuple(problems),
        unreadable=frozenset(unreadable),
        usable=usable,
    )


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
    forced = find_park(session, default_park) if default_park else None
    problems: list[tuple[int, str]] = []
    planned: dict[str, _Planned] = {}
    for row in rows:
        problems += [(row.row, reason) for reason in _plan_row(session, row, forced, planned)]
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(rows=len(rows))
    for plan in planned.values():
        _import_planned(session, plan, result, actor_id=actor_id, now=now)
    return result


def _import_planned(
    session: Session, plan: _Planned, result: ImportResult, *, actor_id: int | None, now: datetime
) -> None:
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
    for project_name, (_row, yuan, is_key) in plan.projects.items():
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


T = TypeVar("T")


def _checked(problems: list[str], parse: Callable[[str], T], text: str) -> T | None:
    """``parse(text)``, or None with its refusal added to ``problems``."""
    try:
        return parse(text)
    except DomainError as exc:
        problems.append(str(exc))
        return None


def _plan_row(
    session: Session, row: CsvRow, forced: Park | None, planned: dict[str, _Planned]
) -> list[str]:
    """Every problem of the row (none: its enterprise and project are in ``planned``)."""
    problems = list(row.problems)
    if not row.usable:
        return problems
    values, skip = row.values, row.unreadable
    name = None if "name" in skip else _checked(problems, clean_name, values.get("name", ""))
    code = None
    if "credit_code" not in skip:
        if values.get("credit_code"):
            code = _checked(problems, normalize_credit_code, values["credit_code"])
        else:
            problems.append("the credit code is empty")
    park = None if "park" in skip else _park(session, values.get("park", ""), forced, problems)
    project = _project(values, skip, problems)
    if name is None or code is None or park is None:
        return problems
    plan = _enterprise_plan(session, row, name, code, park, planned, problems)
    if plan is None or project is None:
        return problems
    project_name, yuan, is_key = project
    if project_name in plan.projects:
        problems.append(
            f"project {project_name!r} of this enterprise is already on row "
            f"{plan.projects[project_name][0]}"
        )
    elif not problems:
        plan.projects[project_name] = (row.row, yuan, is_key)
    return problems


def _park(session: Session, text: str, forced: Park | None, problems: list[str]) -> Park | None:
    if not text:
        if forced is None:
            problems.append("no park: fill the park column or pass --park")
        return forced
    try:
        park = find_park(session, text)
    except NotFound:
        problems.append(f"unknown park {text!r}")
        return None
    if forced is not None and park.id != forced.id:
        problems.append(f"park {text!r} differs from --park {forced.code}")
        return None
    return park


def _project(
    values: dict[str, str], skip: frozenset[str], problems: list[str]
) -> tuple[str, int, bool] | None:
    """The row's project as (name, yuan, key), or None when it has none or it is wrong."""
    before = len(problems)
    investment, key = values.get("investment_yuan", ""), values.get("key_project", "")
    yuan = _checked(problems, parse_investment, investment) if investment else 0
    is_key = _checked(problems, parse_flag, key)
    if "project" in skip:
        return None
    if not values.get("project"):
        if investment or key:
            problems.append("investment or key-project flag given without a project name")
        return None
    name = _checked(problems, clean_name, values["project"])
    if len(problems) > before or name is None or yuan is None or is_key is None:
        return None
    return name, yuan, is_key


def _enterprise_plan(
    session: Session,
    row: CsvRow,
    name: str,
    code: str,
    park: Park,
    planned: dict[str, _Planned],
    problems: list[str],
) -> _Planned | None:
    """The enterprise this row names, planned once; None if it contradicts an earlier one."""
    plan = planned.get(code)
    if plan is None:
        existing = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
        if existing is not None and (existing.name != name or existing.park_id != park.id):
            other = session.get(Park, existing.park_id)
            problems.append(
                f"credit code {code} is already registered as {existing.name!r} "
                f"in {other.code if other else '?'}"
            )
            return None
        plan = planned[code] = _Planned(name=name, credit_code=code, park=park, row=row.row)
    elif plan.name != name or plan.park.id != park.id:
        problems.append(
            f"credit code {code} is {plan.name!r} in {plan.park.code} on row {plan.row}"
        )
        return None
    return plan
