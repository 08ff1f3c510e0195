"""Acceptance: /history in chat, zh and en: those concerned read the steps, others are refused."""

from __future__ import annotations

from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    STORY,
    cast,
    command_refused,
    departments,
    dept_label,
    settle,
    tr,
    wait_text,
)
from tests.e2e.test_forged import dispatch, report

NOT_SEEN = "There is no assignment {number} that you can see."


@STORY
async def test_history_in_chat(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 1002, 2002, 3002, 3005, 3101)
        wang, lina, dispatcher = people[1001], people[1002], people[2002]
        drc, power, head = people[3002], people[3005], people[3101]
        number = await report(bot, wang, lang)
        order = (await dispatch(bot, dispatcher, lang, number, "drc,power"))["drc"]
        sent = await drc.send(f"/ack {order.number}")
        await settle(bot, sent)
        sent = await drc.send(f"/progress {order.number} 已受理，正在审查")
        await settle(bot, sent)
        dept = dept_label(lang, (await departments(bot))["drc"])

        for reader in (dispatcher, head, drc, wang):
            sent = await reader.send(f"/history {order.number}")
            shown = await wait_text(
                reader, lang, "History of assignment {number}", number=order.number, after=sent
            )
            for msgid, params in (
                ("Signed for by {dept}", {"dept": dept}),
                ("Progress: {text}", {"text": "已受理，正在审查"}),
            ):
                line = tr(lang, msgid, **params)
                assert line in shown.body, (line, shown.body)

        # Another department on the same case, another enterprise: as if it did not exist.
        for outsider in (power, lina):
            await command_refused(
                outsider, f"/history {order.number}", lang, NOT_SEEN, number=order.number
            )
