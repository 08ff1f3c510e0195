"""Half-finished conversations: kept across restarts, replaced by a new start, expired politely."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from models import Draft, OutboxMessage, User
from scheduler.sweeps import run_sweeps
from services import drafts
from tests.factories import make_user
from tests.rules import RULES

pytestmark = pytest.mark.dialects(
    "sqlite",
    why="a draft is one row read and written by its one user",
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
# Users without a language of their own are told in the default language.
ENGLISH = dataclasses.replace(RULES, default_language="en")


def begin(db: Database, user: User, kind: str = "report", *, now: datetime = NOW) -> Draft:
    return db.call(
        drafts.start,
        user_id=user.id,
        kind=kind,
        step="category",
        data={"park": "JH"},
        rules=RULES.at(now),
    )


def live(db: Database, user: User, now: datetime) -> Draft | None:
    return db.call(drafts.current, user_id=user.id, rules=RULES.at(now))


def notes(session: Session) -> list[OutboxMessage]:
    session.rollback()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]


@pytest.fixture
def user(db: Database) -> User:
    return make_user(db, 7001, language="en")


def test_start_advance_finish(db: Database, session: Session, user: User) -> None:
    assert live(db, user, NOW) is None
    draft = begin(db, user)
    assert (draft.kind, draft.step, draft.data) == ("report", "category", {"park": "JH"})

    later = NOW + timedelta(minutes=10)
    db.call(drafts.advance, draft, step="description", rules=RULES.at(later), category="permit")
    # What a restarted bot would read back from the database.
    stored = live(db, user, later)
    assert stored is not None
    assert stored.step == "description"
    assert stored.data == {"park": "JH", "category": "permit"}
    assert stored.expires_at == later + TTL  # every answer renews the timeout

    db.call(drafts.advance, stored, rules=RULES.at(later), description="电力增容审批")
    again = live(db, user, later)
    assert again is not None
    assert again.step == "description"  # no step given: it stays
    assert again.data["description"] == "电力增容审批"

    assert db.call(drafts.finish, user_id=user.id) is True
    assert live(db, user, later) is None
    assert db.call(drafts.finish, user_id=user.id) is False
    assert notes(session) == []  # finishing is not expiring: nobody is told anything


def test_a_new_start_replaces_the_old_draft(db: Database, session: Session, user: User) -> None:
    begin(db, user, "report")
    db.call(
        drafts.start,
        user_id=user.id,
        kind="dispatch",
        step="departments",
        rules=RULES.at(NOW + timedelta(minutes=1)),
    )
    draft = live(db, user, NOW + timedelta(minutes=1))
    assert draft is not None
    assert (draft.kind, draft.step, draft.data) == ("dispatch", "departments", {})
    session.rollback()
    assert len(session.exec(select(Draft).where(Draft.user_id == user.id)).all()) == 1


def test_a_draft_past_its_time_is_gone_even_before_the_sweep(db: Database, user: User) -> None:
    begin(db, user)
    assert live(db, user, NOW + TTL - timedelta(seconds=1)) is not None
    assert live(db, user, NOW + TTL) is None


def test_expiry_queues_one_note_per_draft(db: Database, session: Session, user: User) -> None:
    other = make_user(db, 7002, language="en")
    fresh = make_user(db, 7003, language="en")
    begin(db, user)
    begin(db, other, "dispatch")
    begin(db, fresh, now=NOW + timedelta(minutes=20))  # not yet expired at the sweep

    sweep_at = NOW + TTL
    assert db.call(drafts.expire, rules=RULES.at(sweep_at)) == 2
    queued = notes(session)
    assert sorted(n.chat_id for n in queued) == [7001, 7002]
    for note in queued:
        assert note.template == "draft.expired"
        assert "discarded" in note.text
        assert "Nothing was submitted" in note.text
    assert live(db, fresh, sweep_at) is not None  # the fresh draft is untouched

    # A second sweep at the same instant (or after a restart) tells nobody twice.
    assert db.call(drafts.expire, rules=RULES.at(sweep_at)) == 0
    assert len(notes(session)) == 2


def test_expiry_names_what_was_discarded(db: Database, session: Session, user: User) -> None:
    drafts.name_draft("test-kind", "test conversation")
    begin(db, user, "test-kind")
    begin(db, make_user(db, 7004, language="en"), "unnamed-kind")
    db.call(drafts.expire, rules=ENGLISH.at(NOW + TTL))
    texts = {n.chat_id: n.text for n in notes(session)}
    assert texts[7001].startswith("Your unfinished test conversation was discarded")
    assert texts[7004].startswith("Your unfinished conversation was discarded")


def test_the_note_is_deduplicated_per_draft(db: Database, session: Session, user: User) -> None:
    draft = begin(db, user)
    assert db.call(drafts.expire, rules=ENGLISH.at(NOW + TTL)) == 1

    # A second sweep (another process) that read the draft before it was deleted.
    def seen_by_another_sweep(s: Session) -> None:
        s.add(Draft.model_validate(draft.model_dump()))

    db.call(seen_by_another_sweep)
    assert db.call(drafts.expire, rules=ENGLISH.at(NOW + TTL)) == 1
    assert len(notes(session)) == 1  # the user is told once


def test_a_renewed_draft_does_not_expire(db: Database, session: Session, user: User) -> None:
    draft = begin(db, user)
    db.call(drafts.advance, draft, rules=RULES.at(NOW + timedelta(minutes=25)), category="land")
    assert db.call(drafts.expire, rules=ENGLISH.at(NOW + TTL)) == 0
    assert notes(session) == []
    assert live(db, user, NOW + TTL) is not None


def test_the_sweep_expires_drafts(db: Database, session: Session, user: User) -> None:
    begin(db, user)
    counts = run_sweeps(db, RULES.at(NOW + TTL))
    assert counts["expire_drafts"] == 1
    assert [n.chat_id for n in notes(session)] == [7001]
    assert run_sweeps(db, RULES.at(NOW + TTL))["expire_drafts"] == 0
    assert len(notes(session)) == 1
