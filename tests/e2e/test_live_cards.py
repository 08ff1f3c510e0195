"""Cards stay current over the sandbox, zh and en: a change made anywhere shows on every card.

The park officer dispatches by command: the dispatcher's announcement (and the officer's own)
loses Dispatch/Ask/Decline and says who dispatched. The liaison signs for with the card's
button, then completes by typing /done: the card in their chat says completed, no buttons.
"""

from __future__ import annotations

from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    NAMES,
    STORY,
    assert_translated,
    assignments_of,
    bot_messages_since,
    cast,
    has,
    mark,
    press_label,
    settle,
    tr,
    wait_text,
)
from tests.e2e.test_forged import report

RESULT = "已代办核准材料 / permit papers handed over"


@STORY
async def test_cards_follow_changes_made_elsewhere(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 1001, 2001, 2002, 3001)
        wang, officer, dispatcher, gov = people[1001], people[2001], people[2002], people[3001]

        start = await mark(bot)
        number = await report(bot, wang, lang)
        announced = {}
        for person in (officer, dispatcher):
            message = await wait_text(person, lang, "New case reported", after=start)
            assert tr(lang, "Dispatch") in [text for text, _ in message.buttons]
            announced[person.user_id] = message

        # --- the officer dispatches by command; both announcements follow -----------------
        step = await mark(bot)
        sent = await officer.send(f"/dispatch {number} gov")
        await wait_text(officer, lang, "Assignment orders issued:", after=sent)
        dispatched = tr(lang, "Dispatched by {name}.", name=NAMES[2001])
        for person in (dispatcher, officer):
            edited = await person.wait_for_edit(
                announced[person.user_id], lambda m: dispatched in m.body, after=step
            )
            assert has(edited, lang, "New case reported") and edited.buttons == []
        # Edited in place: the dispatcher got no new message about it.
        await settle(bot, sent)
        assert await bot_messages_since(dispatcher, step) == []

        # --- the liaison signs for with the button, completes by typing /done -------------
        (order,) = (await assignments_of(bot, number)).values()
        card = await wait_text(gov, lang, "Assignment order {number}", number=order.number)
        pressed = await press_label(gov, card, tr(lang, "Sign for"))
        signed = tr(lang, "Status: {status}", status=tr(lang, "signed for, in progress"))
        card = await gov.wait_for_edit(card, lambda m: signed in m.body, after=pressed)
        assert tr(lang, "Complete") in [text for text, _ in card.buttons]
        await settle(bot, pressed)

        step = await mark(bot)
        sent = await gov.send(f"/done {order.number} {RESULT}")
        completed = tr(lang, "Status: {status}", status=tr(lang, "completed"))
        card = await gov.wait_for_edit(card, lambda m: completed in m.body, after=step)
        assert card.buttons == [] and signed not in card.body
        await settle(bot, sent)
        current = await gov.message(card.message_id)
        assert completed in current.body and current.buttons == []
        assert_translated(lang)
