"""The liaison's card follows the sweep: overdue, under a supervision order, vetoed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.db import Database
from models import OutboxMessage, SupervisionOrder
from services import live
from services.deadlines.overdue import supervise
from services.deadlines.sweep import sweep
from services.rules import Rules
from tests.rules import RULES
from tests.services.deadlines.world import (
    DISPATCHER,
    DRC,
    MONDAY,
    actor,
    dispatch,
    sign_for,
)

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="the card's text is rendered in Python from rows the sweep tests check on both",
)

MINUTE = timedelta(minutes=1)


def card_edits(db: Database, assignment_id: int) -> list[OutboxMessage]:
    """The edits queued for the liaison's card of one assignment, oldest first."""
    return db.call(
        lambda s: list(
            s.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.kind == "edit",
                    OutboxMessage.live_key == live.card_key(assignment_id),
                    OutboxMessage.chat_id == DRC,
                )
                .order_by(col(OutboxMessage.id))
            ).all()
        )
    )


def labels(row: OutboxMessage) -> list[str]:
    return [b["text"] for line in row.buttons or [] for b in line]


def run(db: Database, at, rules: Rules = RULES) -> None:
    for _ in range(2):  # a second sweep at the same instant edits nothing more
        db.call(sweep, rules=rules.at(at))


def test_the_card_shows_overdue_then_the_order_then_the_veto_once_each(world) -> None:
    (issued,) = dispatch(world)
    assert issued.id is not None
    sign_for(world, issued, MONDAY + MINUTE)
    (signed,) = card_edits(world, issued.id)
    assert "申请延期" in labels(signed)

    run(world, issued.due_at + MINUTE)
    # One edit for the whole step: overdue and its supervision order, issued automatically.
    overdue = card_edits(world, issued.id)[1:]
    (order,) = world.call(lambda s: list(s.exec(select(SupervisionOrder)).all()))
    assert len(overdue) == 1
    assert f"督办单 <b>{order.number}</b>" in overdue[0].text
    assert "已逾期" in overdue[0].text
    assert labels(overdue[0]) == ["办结", "填报进展", "向企业询问", "退回"]

    run(world, order.due_at + MINUTE)
    vetoed = card_edits(world, issued.id)[2:]
    assert len(vetoed) == 1
    assert "⛔" in vetoed[0].text and order.number in vetoed[0].text
    assert "申请延期" not in labels(vetoed[0]) and "办结" in labels(vetoed[0])


def test_in_draft_mode_the_card_says_overdue_and_follows_the_order_issued_by_hand(world) -> None:
    rules = dataclasses.replace(RULES, supervision_orders="draft")
    (issued,) = dispatch(world, rules=rules)
    assert issued.id is not None
    run(world, issued.due_at + MINUTE, rules)
    (overdue,) = card_edits(world, issued.id)
    assert "🔴" in overdue.text and "慢作为" in overdue.text and "督办单" not in overdue.text
    assert labels(overdue) == ["签收", "退回", "向企业询问"]

    order = world.call(
        supervise,
        actor=actor(world, DISPATCHER),
        assignment_id=issued.id,
        rules=rules.at(issued.due_at + 2 * MINUTE),
    )
    supervised = card_edits(world, issued.id)[1:]
    assert len(supervised) == 1 and f"督办单 <b>{order.number}</b>" in supervised[0].text
