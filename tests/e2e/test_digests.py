"""A dispatcher who fell behind gets the new cases in one digest, and it works like the cards.

The outbox is paced to one message every two seconds per chat here, so the second and third
announcements wait behind the first and go out together. Pressing a button of the second
card opens the dispatch form in a new message (the digest stays whole); dispatching that case
edits only its part of the digest, and the other card keeps its buttons.
"""

from __future__ import annotations

from bot.settings import load_settings
from services.digests import SEPARATOR
from tests.e2e.harness import running_bot
from tests.e2e.helpers import (
    NAMES,
    STORY,
    cast,
    handled,
    latest_case,
    mark,
    press_label,
    tr,
    wait_text,
)
from tests.e2e.test_forged import DESCRIPTION, KUNHAO_CODE

LINE = SEPARATOR.strip()
SLOW = {"rate": 1000.0, "chat_rate": 0.5, "chat_burst": 1.0, "digest_after": "1s"}


@STORY
async def test_a_digest_of_new_cases_works_like_the_cards_it_carries(
    db_url: str, lang: str
) -> None:
    settings = load_settings(database={"url": db_url}, outbox=SLOW, reports={"enabled": False})
    async with running_bot(db_url, settings=settings) as bot:
        people = await cast(bot, lang, 1001, 2002)
        wang, dispatcher = people[1001], people[2002]
        start = await mark(bot)
        sent = []
        for n in range(3):
            sent.append(await wang.send(f"/report permit {DESCRIPTION} ({n + 1})"))
            await wang.wait_for_bot_message(after=sent[-1], timeout=15)
        await handled(bot, *sent)

        digest = await dispatcher.wait_for_bot_message(
            lambda m: LINE in m.body, after=start, timeout=30
        )
        parts = digest.body.split(LINE)
        assert len(parts) == 2, digest.body
        assert all(tr(lang, "New case reported") in part for part in parts)
        assert parts[0].lstrip().startswith("①") and parts[1].lstrip().startswith("②")
        dispatch = tr(lang, "Dispatch")
        assert f"① {dispatch}" in [text for text, _ in digest.buttons]
        assert f"② {dispatch}" in [text for text, _ in digest.buttons]

        # A button of the second card: the form comes as a new message, the digest stays.
        pressed = await press_label(dispatcher, digest, f"② {dispatch}")
        form = await wait_text(
            dispatcher,
            lang,
            "Choose the departments (tap to select or deselect), then the deadline.",
            after=pressed,
        )
        assert form.message_id != digest.message_id
        assert (await dispatcher.message(digest.message_id)).body == digest.body

        # Dispatched by command: only the second card's part changes.
        number = (await latest_case(bot, KUNHAO_CODE)).number
        assert number in parts[1]
        step = await mark(bot)
        await dispatcher.send(f"/dispatch {number} gov")
        dispatched = tr(lang, "Dispatched by {name}.", name=NAMES[2002])
        edited = await dispatcher.wait_for_edit(
            digest, lambda m: dispatched in m.body, after=step, timeout=30
        )
        now = edited.body.split(LINE)
        assert now[0] == parts[0] and dispatched in now[1] and dispatched not in now[0]
        assert edited.buttons and all(text.startswith("①") for text, _ in edited.buttons)
