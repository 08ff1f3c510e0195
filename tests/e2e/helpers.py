"""Shared steps for the end-to-end acceptance tests of the case workflow (issue 3).

Texts are expected through ``bot.i18n.t`` with the English message id, so the tests follow the
catalogs instead of hard-coding translations. Expectations are built with plain parameters:
the sandbox shows what a Telegram client shows, i.e. HTML already turned into plain text.

Waiting is always for something observable, never a fixed sleep: a bot message, an edit, a
callback answer, the update recorded as handled, or the outbox drained.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session, col, func, select
from telegram import Update

from bot.i18n import t, tn
from models import Assignment, Case, Department, Enterprise, OutboxMessage, ProcessedUpdate, User
from models.enums import OutboxStatus
from models.types import utcnow
from sandbox.client import CallbackAnswer, Pressed, SandboxMessage, SandboxUser, Sent
from sandbox.media import make_png
from scheduler.deadlines import time_left
from services.demo import CONCH, KUNHAO, PERSONAS
from services.messages import common as messages
from tests.e2e.harness import Running
from tests.rules import RULES

# Every story runs in both languages and on both databases, paired rather than crossed: what a
# language changes (catalogs, plural forms, names) does not depend on the database, and what a
# database changes (locks, SQL, the clock's type) does not depend on the language.
STORY = pytest.mark.parametrize(
    ("lang", "db_url"),
    [
        pytest.param("zh", "postgres", id="zh-postgres", marks=pytest.mark.postgres),
        pytest.param("en", "sqlite", id="en-sqlite"),
    ],
    indirect=["db_url"],
)
PHOTO = make_png(6, 4, (30, 120, 200))
GENERIC_ERROR = (
    "Sorry, something went wrong on our side and your last action was not "
    "completed. Please try again in a moment."
)
KUNHAO_NAME, KUNHAO_CODE = KUNHAO[0], KUNHAO[1]
CONCH_NAME, CONCH_CODE = CONCH[0], CONCH[1]
KUNHAO_PROJECT = "二期增容项目"
CONCH_PROJECT = "生产取水管线工程"
NAMES = {p.telegram_id: p.name for p in PERSONAS}
WAIT = 15.0  # seconds any single expected message may take

Action = Sent | Pressed


# --- texts ------------------------------------------------------------------------------------


# Every message id a test expected, so a Chinese run can check each one has a translation.
EXPECTED_MSGIDS: set[str] = set()


def tr(lang: str, msgid: str, /, **params: Any) -> str:
    """The text a user of ``lang`` reads for ``msgid`` (params already plain text)."""
    EXPECTED_MSGIDS.add(msgid)
    return t(lang, msgid, **params)


def trn(lang: str, singular: str, plural: str, days: int) -> str:
    """The plural form a user of ``lang`` reads for ``days``."""
    text = tn(lang, singular, plural, days, days=days)
    assert lang == "en" or text != tn("en", singular, plural, days, days=days), singular
    return text


def assert_translated(lang: str) -> None:
    """In a Chinese run, every text the test expected must really be Chinese, not the msgid."""
    if lang == "en":
        return
    missing = sorted(m for m in EXPECTED_MSGIDS if t(lang, m) == m)
    assert not missing, f"no {lang} translation for: {missing}"


def has(message: SandboxMessage, lang: str, msgid: str, /, **params: Any) -> bool:
    """Whether the message shows the translated text (every line of it)."""
    body = message.body
    return all(line in body for line in tr(lang, msgid, **params).split("\n"))


def labels(message: SandboxMessage) -> list[str]:
    """The button labels of a message, row by row."""
    return [text for text, _data in message.buttons]


def rows(message: SandboxMessage) -> list[list[str]]:
    """The button labels of a message as rows."""
    return [[b.text for b in row] for row in message.keyboard]


def category(lang: str, code: str) -> str:
    return tr(lang, messages.CATEGORY_NAMES[code])


def local(moment: datetime | None) -> str:
    """A stored moment as the bot shows it, in the zone of the repository's settings."""
    return messages.local_time(moment, zone=RULES.zone)


# --- waiting ----------------------------------------------------------------------------------


async def eventually(
    check: Callable[[], Awaitable[Any]], *, what: str, within: float = WAIT
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_text(
    user: SandboxUser,
    lang: str,
    msgid: str,
    /,
    *,
    after: int | Action | None = None,
    within: float = WAIT,
    **params: Any,
) -> SandboxMessage:
    """The next bot message (or edit) showing the translated text."""
    return await user.wait_for_bot_message(
        lambda m: has(m, lang, msgid, **params), after=after, timeout=within
    )


async def wait_photo(user: SandboxUser, *, after: int | Action | None = None) -> SandboxMessage:
    return await user.wait_for_bot_message(
        lambda m: m.photo is not None, after=after, timeout=WAIT, edits=False
    )


async def answer_to(user: SandboxUser, pressed: Pressed, *, within: float = WAIT) -> CallbackAnswer:
    """The bot's answerCallbackQuery for exactly this press."""

    async def find() -> CallbackAnswer | None:
        for answer in await user.callback_answers():
            if answer.callback_query_id == pressed.callback_query_id:
                return answer
        return None

    return await eventually(find, what=f"the answer to {pressed.callback_query_id}", within=within)


async def handled(bot: Running, *actions: Action, within: float = WAIT) -> None:
    """Wait until the bot has run every handler for these updates (recorded as processed)."""
    ids = [a.update_id for a in actions if a.update_id is not None]

    def check(session: Session) -> bool:
        found = session.exec(
            select(func.count()).where(col(ProcessedUpdate.update_id).in_(ids))
        ).one()
        return found == len(ids)

    await eventually(lambda: bot.db.run(check), what=f"updates {ids} handled", within=within)


async def settle(bot: Running, *actions: Action, within: float = WAIT) -> None:
    """The updates are handled and every owed message they caused has been delivered."""
    if actions:
        await handled(bot, *actions, within=within)

    def idle(session: Session) -> bool:
        statuses = session.exec(
            select(OutboxMessage.status).where(
                col(OutboxMessage.status).in_((OutboxStatus.PENDING, OutboxStatus.FAILED))
            )
        ).all()
        assert OutboxStatus.FAILED not in statuses, "an owed message failed to send"
        return not statuses

    await eventually(lambda: bot.db.run(idle), what="the outbox to drain", within=within)


async def bot_messages_since(user: SandboxUser, seq: int) -> list[SandboxMessage]:
    """New bot messages in the user's chat after event ``seq`` (edits not counted)."""
    events, _ = await user.client.events(seq, chat_id=user.user_id)
    return [
        SandboxMessage.from_view(e["message"])
        for e in events
        if e["type"] == "message" and e["message"]["from_bot"]
    ]


async def edits_since(user: SandboxUser, seq: int) -> list[SandboxMessage]:
    events, _ = await user.client.events(seq, chat_id=user.user_id)
    return [SandboxMessage.from_view(e["message"]) for e in events if e["type"] == "edit"]


async def expect_silence(bot: Running, since: int, *users: SandboxUser, actions=()) -> None:  # type: ignore[no-untyped-def]
    """None of ``users`` got a bot message after ``since`` once everything has settled."""
    await settle(bot, *actions)
    for user in users:
        got = await bot_messages_since(user, since)
        assert not got, f"{user!r} should have got nothing, got {[m.body[:80] for m in got]}"


async def mark(bot: Running) -> int:
    """The current event sequence number, a point to look for messages from."""
    return await bot.client.last_seq()


# --- acting -----------------------------------------------------------------------------------


async def cast(bot: Running, lang: str, *telegram_ids: int) -> dict[int, SandboxUser]:
    """Demo personas, each switched to ``lang`` with /lang before the story starts.

    Everyone else of the demo organisation exists too (they have started the bot, in their
    own language), so whatever the bot owes them can be delivered and checked.
    """
    for persona in PERSONAS:
        if persona.telegram_id not in telegram_ids:
            await bot.client.persona(persona.telegram_id, persona.name, persona.language)
    people = {
        tid: await bot.client.persona(tid, NAMES[tid], language_code=lang) for tid in telegram_ids
    }
    sent = await asyncio.gather(*(u.send(f"/lang {lang}") for u in people.values()))
    # The msgid is English; its Chinese translation says the language is now Chinese.
    await asyncio.gather(
        *(
            wait_text(u, lang, "Language set to English.", after=s)
            for u, s in zip(people.values(), sent, strict=True)
        )
    )
    await settle(bot, *sent)
    return people


def find_button(message: SandboxMessage, label: str) -> str:
    """The callback data of the button labelled exactly ``label``."""
    for text, data in message.buttons:
        if text == label and data is not None:
            return data
    raise AssertionError(f"no button {label!r} on message {message.message_id}: {labels(message)}")


async def press_label(user: SandboxUser, message: SandboxMessage | None, label: str) -> Pressed:
    """Press the button labelled exactly ``label`` on ``message`` (default: the latest bot
    message that has such a button)."""
    if message is None:
        for candidate in reversed(await user.bot_messages()):
            if any(text == label for text, _ in candidate.buttons):
                message = candidate
                break
        else:
            raise AssertionError(f"{user!r} has no message with a button {label!r}")
    else:
        message = await user.message(message.message_id)
    return await user.press(message, data=find_button(message, label))


async def refused(
    user: SandboxUser, pressed: Pressed, lang: str, msgid: str, /, **params: Any
) -> CallbackAnswer:
    """The press was answered with the polite refusal ``msgid`` as an alert."""
    answer = await answer_to(user, pressed)
    assert answer.show_alert, answer
    assert answer.text != tr(lang, GENERIC_ERROR), f"the bot crashed on {pressed}: {answer}"
    assert answer.text == tr(lang, msgid, **params)[:200], answer
    return answer


async def command_refused(
    user: SandboxUser, text: str, lang: str, msgid: str, /, **params: Any
) -> SandboxMessage:
    """Sending ``text`` gets the polite refusal ``msgid`` (a ⚠️ reply)."""
    sent = await user.send(text)
    reply = await user.wait_for_bot_message(after=sent, timeout=WAIT)
    assert reply.body == "⚠️ " + tr(lang, msgid, **params), reply.body
    return reply


# --- stored state -----------------------------------------------------------------------------


def _case(session: Session, number: str) -> Case:
    return session.exec(select(Case).where(Case.number == number)).one()


async def case_by_number(bot: Running, number: str) -> Case:
    return await bot.db.run(_case, number)


async def latest_case(bot: Running, enterprise_code: str) -> Case:
    def find(session: Session) -> Case:
        return session.exec(
            select(Case)
            .join(Enterprise, col(Enterprise.id) == Case.enterprise_id)
            .where(Enterprise.credit_code == enterprise_code)
            .order_by(col(Case.id).desc())
        ).first()

    found = await bot.db.run(find)
    assert found is not None, f"no case for {enterprise_code}"
    return found


async def case_count(bot: Running) -> int:
    return await bot.db.run(lambda s: s.exec(select(func.count()).select_from(Case)).one())


async def assignments_of(bot: Running, number: str) -> dict[str, Assignment]:
    """The case's assignments by department code."""

    def find(session: Session) -> dict[str, Assignment]:
        case = _case(session, number)
        found = session.exec(
            select(Assignment, Department)
            .join(Department, col(Department.id) == Assignment.department_id)
            .where(Assignment.case_id == case.id)
            .order_by(col(Assignment.id))
        ).all()
        return {dept.code: a for a, dept in found}

    return await bot.db.run(find)


async def departments(bot: Running) -> dict[str, Department]:
    def find(session: Session) -> dict[str, Department]:
        return {d.code: d for d in session.exec(select(Department)).all()}

    return await bot.db.run(find)


async def outbox_rows_for(bot: Running, telegram_id: int, template: str | None = None) -> int:
    """How many owed messages were ever queued for a person (optionally one template)."""

    def count(session: Session) -> int:
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .join(User, col(User.id) == OutboxMessage.user_id)
            .where(User.telegram_id == telegram_id)
        )
        if template is not None:
            query = query.where(OutboxMessage.template == template)
        return session.exec(query).one()

    return await bot.db.run(count)


async def user_id(bot: Running, telegram_id: int) -> int:
    return await bot.db.run(
        lambda s: s.exec(select(User.id).where(User.telegram_id == telegram_id)).one()
    )


def dept_label(lang: str, dept: Department) -> str:
    return messages.name_of(lang, dept)


def days_left(bot: Running, due: datetime) -> int:
    left = time_left(bot.deps.rules.calendar, now=utcnow(), due_at=due)
    assert left.kind == "working_days", "the card shows working days only a day or more ahead"
    return left.working_days


def card_lines(
    bot: Running,
    lang: str,
    assignment: Assignment,
    dept: Department,
    *,
    case_number: str,
    enterprise: str,
    project: str | None,
    category_code: str,
    description: str,
    status: str,
    major: bool = False,
) -> list[str]:
    """The lines an assignment card must show (see services.messages.assignment.card_text)."""
    left = days_left(bot, assignment.due_at)
    remaining = trn(lang, "{days} working day left", "{days} working days left", left)
    lines = [
        tr(lang, "Assignment order {number}", number=assignment.number),
        tr(lang, "To: {department}", department=dept_label(lang, dept)),
        tr(lang, "Case {number}", number=case_number),
        tr(lang, "Enterprise: {name}", name=enterprise),
        tr(lang, "Category: {category}", category=category(lang, category_code)),
        tr(lang, "Description:"),
        description,
        tr(
            lang,
            "Deadline: {due} ({remaining})",
            due=local(assignment.due_at),
            remaining=remaining,
        ),
        tr(lang, "Status: {status}", status=tr(lang, status)),
    ]
    if project is not None:
        suffix = " · " + tr(lang, "major project") if major else ""
        lines.append(tr(lang, "Project: {name}", name=project) + suffix)
    return lines


def missing_lines(message: SandboxMessage, lines: Iterable[str]) -> list[str]:
    """The expected lines the message does not show (empty when all are there)."""
    return [line for line in lines if line not in message.body]


# --- redelivery -------------------------------------------------------------------------------


async def redeliver(bot: Running, user: SandboxUser, sent: Sent, *, update_id: int | None = None):  # type: ignore[no-untyped-def]
    """Feed the user's message to the application again, as Telegram does when it redelivers.

    The sandbox has no redelivery switch, so the stored message goes through
    ``Application.process_update`` with the original update id (or another one, to get past
    the processed-update record and reach the idempotency keys).
    """
    message = await user.message(sent.message_id)
    payload = {"update_id": update_id or sent.update_id, "message": message.raw}
    update = Update.de_json(payload, bot.app.bot)
    await bot.app.process_update(update)
    return update


async def redeliver_press(bot: Running, user: SandboxUser, pressed: Pressed, data: str) -> None:
    """Feed a button press (with its ``data``) to the application again, same update id."""
    message = await user.message(pressed.message_id)
    callback = {
        "id": pressed.callback_query_id,
        "from": {
            "id": user.user_id,
            "is_bot": False,
            "first_name": user.first_name,
            "language_code": user.language_code,
        },
        "chat_instance": "redelivered",
        "data": data,
        "message": message.raw,
    }
    payload = {"update_id": pressed.update_id, "callback_query": callback}
    await bot.app.process_update(Update.de_json(payload, bot.app.bot))
