"""The assessment on hand-computed data: scores, revoked deductions, vetoes, ties, bottom three."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.db import Database
from models import Assignment, Deduction, Department, User
from models.enums import AssignmentStatus, DeductionKind
from services import periods, scores
from services.errors import InvalidInput, NotAllowed
from services.messages import scores as score_messages
from services.rules import Rules
from tests.factories import DISPATCHER, DRC_LIAISON, WANG, actor, at, dispatched

NOW = at(2026, 7, 15)
# The six at full marks share the first place, in pinyin order: 电子政务, 公安, 环保, 水利, 政府,
# 住建 (by code point 住建局 came first).
H1_ORDER = ["egov", "police", "epb", "water", "gov", "housing", "qts", "power", "drc", "land"]
H1_RANKS = [1, 1, 1, 1, 1, 1, 7, 8, 9, 10]
# In the year 环保局 lost 2 points in H2: tied with 质监局 at 98 with nothing overdue.
YEAR_ORDER = ["egov", "police", "water", "gov", "housing", "epb", "qts", "power", "drc", "land"]
YEAR_RANKS = [1, 1, 1, 1, 1, 6, 6, 8, 9, 10]
LAND_LIAISON, DRC_HEAD = 3008, 3101


def _ids(session: Session) -> dict[str, int]:
    return {d.code: d.id for d in session.exec(select(Department)).all() if d.id is not None}


def _user(session: Session, telegram_id: int) -> User:
    return session.exec(select(User).where(User.telegram_id == telegram_id)).one()


def _deduct(session: Session, dept: int, kind: DeductionKind, points: float, **kw: object) -> None:
    key = f"test:{dept}:{kind}:{points}:{kw.get('half', 1)}:{kw.get('user_id')}"
    values = {"year": 2026, "half": 1, "reason": f"{kind} test", **kw}
    session.add(
        Deduction(department_id=dept, kind=kind, points=points, dedupe_key=key, **values)  # type: ignore[arg-type]
    )


def arrange(db: Database, rules: Rules) -> dict[str, Assignment]:
    """Power late once (and still open), qts and epb on time, land vetoed; see the module."""
    _, (late,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("power",))
    _, (in_time,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("water",))
    _, (returned,) = dispatched(db, rules=rules.at(at(2026, 3, 2)), codes=("drc",))

    def add(session: Session) -> None:
        ids = _ids(session)
        done = session.get(Assignment, in_time.id)
        assert done is not None
        done.status, done.completed_at = (
            AssignmentStatus.COMPLETED,
            done.due_at - timedelta(hours=1),
        )
        back = session.get(Assignment, returned.id)
        assert back is not None
        back.status = AssignmentStatus.RETURNED
        session.add_all([done, back])
        _deduct(session, ids["power"], DeductionKind.SLOW_ACTION, 2, assignment_id=late.id)
        _deduct(session, ids["qts"], DeductionKind.UNFILED_INSPECTION, 2)
        _deduct(session, ids["drc"], DeductionKind.MANUAL, 3)
        _deduct(session, ids["drc"], DeductionKind.MANUAL, 5, revoked_at=NOW, revoked_reason="x")
        _deduct(session, ids["epb"], DeductionKind.SLOW_ACTION, 2, half=2)
        _deduct(session, ids["land"], DeductionKind.SLOW_ACTION, 2)
        _deduct(session, ids["land"], DeductionKind.INACTION_VETO, 0)
        for person in (LAND_LIAISON, DRC_HEAD):  # the head is anyone's, for the listing
            user = _user(session, person)
            _deduct(session, ids["land"], DeductionKind.INCOMPETENT, 0, user_id=user.id)

    db.call(add)
    return {"late": late}


@pytest.fixture
def arranged(demo: Database, rules: Rules) -> dict[str, Assignment]:
    return arrange(demo, rules)


def test_half_year_scores_ties_veto_and_bottom_three(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=rules.at(NOW))
    assert [x.department.code for x in board.lines] == H1_ORDER
    assert [x.rank for x in board.lines] == H1_RANKS
    assert [x.tied for x in board.lines] == [True] * 6 + [False] * 4
    by = {x.department.code: x for x in board.lines}
    assert by["housing"].score == 100 and by["epb"].score == 100  # H2's deduction not counted
    assert by["drc"].score == 97  # the revoked 5 points do not count
    assert (by["qts"].score, by["qts"].overdue) == (98, 0)
    assert by["water"].overdue == 0  # its completed assignment was on time
    assert (by["power"].score, by["power"].overdue) == (98, 1)  # the tie goes to qts
    assert by["drc"].overdue == 0  # a returned assignment is not late
    land = by["land"]
    assert land.vetoed and land.score == 98 and land.rank == 10
    assert land.incompetent == ("杨联络员", "钱局长")
    assert [x.department.code for x in board.lines if x.bottom] == ["power", "drc", "land"]
    slow = by["power"].items[0]
    assert slow.assignment == arranged["late"].number and slow.points == 2
    assert by["power"].deducted == 2 and land.deducted == 2


def test_year_adds_both_halves(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    board = demo.call(scores.board, period=periods.parse("2026"), rules=rules.at(NOW))
    assert [x.department.code for x in board.lines] == YEAR_ORDER
    assert [x.rank for x in board.lines] == YEAR_RANKS
    # 环保局 and 质监局 lost points but stand above the third-to-last: not marked.
    assert [x.department.code for x in board.lines if x.bottom] == ["power", "drc", "land"]
    by = {x.department.code: x for x in board.lines}
    assert by["epb"].score == 98 and by["epb"].items[0].half == 2
    other = demo.call(scores.board, period=periods.parse("2026H2"), rules=rules.at(NOW))
    by2 = {x.department.code: x for x in other.lines}
    assert by2["epb"].score == 98 and by2["power"].score == 100 and not by2["land"].vetoed


def test_base_score_is_configurable(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    custom = dataclasses.replace(
        rules.at(NOW), assessment=dataclasses.replace(rules.assessment, base_score=60, bottom=1)
    )
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=custom)
    by = {x.department.code: x for x in board.lines}
    assert by["drc"].score == 57
    assert [x.department.code for x in board.lines if x.bottom] == ["land"]


@pytest.mark.parametrize("text", ["2026-06", "2026-01-01..2026-03-31"])
def test_only_half_years_and_years_are_assessed(demo: Database, rules: Rules, text: str) -> None:
    with pytest.raises(InvalidInput):
        demo.call(scores.board, period=periods.parse(text), rules=rules.at(NOW))


def test_who_sees_what(demo: Database, rules: Rules, arranged: dict[str, Assignment]) -> None:
    period, now = periods.parse("2026H1"), rules.at(NOW)
    whole = demo.call(scores.scoreboard, actor=actor(demo, DISPATCHER), period=period, rules=now)
    assert len(whole.lines) == whole.total == 10
    own = demo.call(scores.scoreboard, actor=actor(demo, DRC_LIAISON), period=period, rules=now)
    assert [(x.department.code, x.rank) for x in own.lines] == [("drc", 9)] and own.total == 10
    head = demo.call(scores.scoreboard, actor=actor(demo, DRC_HEAD), period=period, rules=now)
    assert [x.department.code for x in head.lines] == ["drc"]
    with pytest.raises(NotAllowed):
        demo.call(scores.scoreboard, actor=actor(demo, WANG), period=period, rules=now)


# -- fairness: shared places, marks only for what was lost (issue 17) ------------------------


def test_two_deducted_departments_get_two_marks_and_no_one_at_full_marks_is_marked(
    demo: Database, rules: Rules
) -> None:
    def add(session: Session) -> None:
        ids = _ids(session)
        _deduct(session, ids["power"], DeductionKind.SLOW_ACTION, 2)
        _deduct(session, ids["qts"], DeductionKind.UNFILED_INSPECTION, 2)

    demo.call(add)
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=rules.at(NOW))
    assert [x.department.code for x in board.lines if x.bottom] == ["power", "qts"]
    assert all(x.score == 100 and x.rank == 1 and x.tied for x in board.lines[:8])
    assert [(x.rank, x.tied) for x in board.lines[8:]] == [(9, True), (9, True)]


def test_departments_tied_at_the_boundary_are_marked_together(demo: Database, rules: Rules) -> None:
    def add(session: Session) -> None:
        ids = _ids(session)
        for code in ("power", "qts", "epb"):
            _deduct(session, ids[code], DeductionKind.MANUAL, 2)
        _deduct(session, ids["drc"], DeductionKind.MANUAL, 1)

    demo.call(add)
    one = dataclasses.replace(
        rules.at(NOW), assessment=dataclasses.replace(rules.assessment, bottom=1)
    )
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=one)
    # One mark asked for, but three departments share the last place at 98.
    assert sorted(x.department.code for x in board.lines if x.bottom) == ["epb", "power", "qts"]
    assert not board.line_of(_ids_of(demo)["drc"]).bottom  # type: ignore[union-attr]


def _ids_of(db: Database) -> dict[str, int]:
    return db.call(_ids)


def test_the_scoreboard_lists_shared_places_in_the_readers_order(
    demo: Database, rules: Rules, arranged: dict[str, Assignment]
) -> None:
    board = demo.call(scores.board, period=periods.parse("2026H1"), rules=rules.at(NOW))
    zh = score_messages.board_text("zh", board)
    en = score_messages.board_text("en", board)
    # Chinese in pinyin: 电子政务 (dian), 公安 (gong), 环保 (huan), 水利 (shui), 政府, 住建 (zh).
    order_zh = ["县电子政务管理办", "县公安局", "县环保局", "县水利局", "县政府办", "县住建局"]
    assert [zh.index(name) for name in order_zh] == sorted(zh.index(n) for n in order_zh)
    order_en = [
        "County Government Office",
        "E-Government Office",
        "Environmental Protection Bureau",
        "Housing &amp; Construction Bureau",
        "Public Security Bureau",
        "Water Resources Bureau",
    ]
    assert [en.index(name) for name in order_en] == sorted(en.index(n) for n in order_en)
    assert en.count("=1/10.") == 6 and "7/10." in en and "=7/10." not in en
    # Rated incompetent is said of people, apart from the department's deductions.
    land = en[en.index("Land Resources Bureau") :]
    assert "rated incompetent: 杨联络员, 钱局长" in land
    assert "· 杨联络员" not in land and "· 钱局长" not in land


# -- properties of any ranking ---------------------------------------------------------------

_DEPARTMENTS = [
    Department(id=n, code=f"d{n}", name_zh=f"县{n}局", name_en=f"Bureau {n}") for n in range(12)
]


@st.composite
def _lines(draw: st.DrawFn) -> list[scores.Line]:
    count = draw(st.integers(min_value=1, max_value=len(_DEPARTMENTS)))
    lines = []
    for dept in _DEPARTMENTS[:count]:
        lost = draw(st.sampled_from([0, 0, 0, 0.5, 1, 2, 2, 4]))
        vetoed = draw(st.booleans()) and draw(st.booleans())
        overdue = draw(st.integers(min_value=0, max_value=2))
        items: tuple[scores.Item, ...] = ()
        if lost:
            items = (scores.Item(1, DeductionKind.SLOW_ACTION, lost, "", 2026, 1),)
        if vetoed:
            items += (scores.Item(2, DeductionKind.INACTION_VETO, 0, "", 2026, 1),)
        lines.append(scores.Line(0, dept, 100 - lost, items, overdue, vetoed, bottom=False))
    lines.sort(key=scores.standing)
    return lines


@settings(max_examples=300, deadline=None)
@given(_lines(), st.integers(min_value=0, max_value=5))
def test_any_ranking_shares_places_and_marks_only_what_was_lost(
    lines: list[scores.Line], bottom: int
) -> None:
    ranked = scores.ranked(lines, bottom)
    for line in ranked:
        better = [x for x in ranked if scores.standing(x) < scores.standing(line)]
        equal = [x for x in ranked if scores.standing(x) == scores.standing(line)]
        assert line.rank == len(better) + 1
        assert line.tied == (len(equal) > 1)
    marked = [x for x in ranked if x.bottom]
    losers = [x for x in ranked if x.lost]
    assert all(x.lost for x in marked)  # nobody who lost nothing
    assert len(marked) >= min(bottom, len(losers))  # as many as asked, if there are as many
    if marked:
        # The marked are the worst of the losers, with their ties, and no more.
        best_marked = min(scores.standing(x) for x in marked)
        assert marked == [x for x in losers if scores.standing(x) >= best_marked]
        worse_than_cut = [x for x in losers if scores.standing(x) > best_marked]
        assert len(worse_than_cut) < bottom
