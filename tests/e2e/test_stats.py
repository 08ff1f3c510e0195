"""Acceptance (issue 9): a supervisor asks /stats over the sandbox and gets the summary, the
chart and the workbook; the workbook opens with openpyxl and holds the text's numbers."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session, select

from handlers.menu import NOT_YOURS
from models import User
from services import cases
from services.periods import USAGE
from services.stats.workbook import ASSIGNMENTS, SUMMARY
from services.users import load_actor
from tests.e2e.harness import Running, running_bot
from tests.e2e.helpers import STORY, assignments_of, cast, settle, tr, wait_text

CONTACT, DISPATCHER, DRC, EPB, SUPERVISOR = 1001, 2002, 3002, 3003, 4001


async def one_case_two_assignments(bot: Running, people: dict) -> None:  # type: ignore[type-arg]
    """A permit case to the DRC and the environment bureau; the bureau finishes it at once."""

    def submit(session: Session) -> str:
        user = session.exec(select(User).where(User.telegram_id == CONTACT)).one()
        return cases.submit_case(
            session,
            actor=load_actor(session, user),
            category="permit",
            description="二期增容用电审批",
            idempotency_key="stats:1",
            rules=bot.deps.rules,
        ).case.number

    number = await bot.db.run(submit)
    await settle(bot, await people[DISPATCHER].send(f"/dispatch {number} drc,epb"))
    quick = (await assignments_of(bot, number))["epb"]
    await settle(bot, await people[EPB].send(f"/ack {quick.number}"))
    await settle(bot, await people[EPB].send(f"/done {quick.number} 环评批复已下达"))


@STORY
async def test_a_supervisor_gets_text_chart_and_workbook(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, CONTACT, DISPATCHER, DRC, EPB, SUPERVISOR)
        await one_case_two_assignments(bot, people)
        supervisor = people[SUPERVISOR]
        sent = await supervisor.send("/stats")
        text = await wait_text(supervisor, lang, "Assignments issued", after=sent)
        photo = await supervisor.wait_for_bot_message(lambda m: m.photo is not None, after=sent)
        document = await supervisor.wait_for_bot_message(
            lambda m: m.document is not None, after=sent
        )
        events, _ = await bot.client.events(sent.seq, chat_id=SUPERVISOR)
        assert any(e["type"] == "chat_action" and e["action"] == "upload_document" for e in events)
        assert text.message_id < photo.message_id < document.message_id

        body = text.body
        assert tr(lang, "Assignments issued") + ": 2" in body
        assert tr(lang, "Completed on time") + ": 1" in body
        assert tr(lang, "On-time completion rate") + ": 100.0% (1/1)" in body
        assert tr(lang, "Cases received") + ": 1" in body

        png = await bot.client.file_bytes(photo.photo["file_id"])  # type: ignore[index]
        assert Image.open(io.BytesIO(png)).format == "PNG"
        assert document.document["file_name"].endswith(".xlsx")  # type: ignore[index]
        data = await bot.client.file_bytes(document.document["file_id"])  # type: ignore[index]
        book = load_workbook(io.BytesIO(data), read_only=True)
        summary = book[tr(lang, SUMMARY)]
        rows = list(summary.iter_rows(min_row=3, max_col=5, values_only=True))
        assert len(rows) >= 15
        for label, _value, shown, numerator, denominator in rows:
            detail = f" ({numerator:g}/{denominator})" if denominator is not None else ""
            assert f"{label}: {shown}{detail}" in body, label
        by_code = {r[1]: r for r in book[tr(lang, ASSIGNMENTS)].iter_rows(values_only=True) if r}
        assert by_code["epb"][2:4] == (1, 1) and by_code["drc"][2:4] == (1, 0)


@STORY
async def test_others_are_refused_and_a_bad_period_is_explained(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, DRC, SUPERVISOR)
        sent = await people[DRC].send("/stats")
        refused = await wait_text(people[DRC], lang, NOT_YOURS, after=sent, command="stats")
        assert refused.document is None
        sent = await people[SUPERVISOR].send("/stats October")
        await wait_text(people[SUPERVISOR], lang, USAGE, after=sent)
        await settle(bot, sent)
        events, _ = await bot.client.events(sent.seq, chat_id=SUPERVISOR)
        assert not [e for e in events if e["type"] == "message" and e["message"].get("document")]
