"""Issue 10: the sandbox clock moves only forward, through the user-side API, and sweeps at once.

The sweep job runs once an hour here, so every reminder, overdue notice, supervision order
and veto that appears right after an advance was caused by the advance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models import SupervisionOrder
from models.types import utcnow
from sandbox.client import SandboxError
from tests.e2e.helpers import (
    assert_translated,
    assignments_of,
    bot_messages_since,
    cast,
    departments,
    has,
    local,
    mark,
    settle,
    wait_text,
)
from tests.e2e.sandbox_runner import sandbox_running, sandbox_settings
from tests.e2e.test_deadlines import CONTACT, DISPATCHER, DRC, DRC_HEAD, EPB, SUPERVISOR, submit

LANG = "en"
# No quiet hours: whatever the real time of the run, reminders go out when due.
TIME = {"sweep_interval": "1h", "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_the_clock_moves_by_an_hour_a_working_day_and_seconds(
    db_url: str, tmp_path: Path
) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        calendar = bot.deps.rules.calendar
        before = await bot.client.clock()
        assert set(before) == {"ok", "now", "local", "zone", "offset_seconds", "next_deadline"}
        assert before["zone"] == "Asia/Shanghai"  # settings time.timezone, which the page uses
        assert before["offset_seconds"] == 0 and before["next_deadline"] is None
        now = at(before["now"])
        assert abs(now - utcnow()) < timedelta(seconds=5)
        assert at(before["local"]) == now and at(before["local"]).utcoffset() == timedelta(hours=8)

        moved = await bot.client.advance("1h")
        assert moved["moved_seconds"] == 3600
        after = await bot.client.clock()
        assert after["offset_seconds"] == 3600
        assert timedelta(minutes=59) < at(after["now"]) - now < timedelta(minutes=61)

        moved = await bot.client.advance("1wd")
        later = at((await bot.client.clock())["local"])
        earlier = at(after["local"])
        # The same wall-clock time on the next working day, days off skipped.
        assert moved["moved_seconds"] % 86400 == 0
        assert calendar.is_workday(later.date())
        skipped = [
            earlier.date() + timedelta(days=d)
            for d in range(1, (later.date() - earlier.date()).days)
        ]
        assert later.date() > earlier.date() and not any(map(calendar.is_workday, skipped))

        moved = await bot.client.advance(seconds=90)
        assert moved["moved_seconds"] == 90
        # The emulator stamps messages on the same clock.
        user = await bot.client.persona(9001, "Admin", "en")
        sent = await user.send("/help")
        message = await user.message(sent.message_id)
        expected = at((await bot.client.clock())["now"]).timestamp()
        assert abs(message.date - expected) < 5


async def test_the_clock_refuses_to_go_back(db_url: str, tmp_path: Path) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        await bot.client.advance("2h")
        for body in ({"seconds": -60}, {"seconds": 0}, {"by": "-1h"}, {"by": "0h"}):
            with pytest.raises(SandboxError) as refused:
                await bot.client.request("POST", "/clock/advance", json=body)
            assert refused.value.status == 400
            assert "only moves forward" in refused.value.error
        for body in ({"by": "soon"}, {}, {"seconds": "ten"}, {"by": "next"}):
            with pytest.raises(SandboxError) as refused:
                await bot.client.request("POST", "/clock/advance", json=body)
            assert refused.value.status == 400
        assert (await bot.client.clock())["offset_seconds"] == 7200


async def test_the_clock_refuses_nonsense_and_moves_a_year_at_most(
    db_url: str, tmp_path: Path
) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        nonsense = (
            ('{"seconds": NaN}', "366 days"),  # Python's json reads these; they are no amount
            ('{"seconds": Infinity}', "366 days"),
            ('{"seconds": 1e308}', "366 days"),
            ('{"by": "367d"}', "366 days"),
            ('{"by": "100000d"}', "366 days"),
            ('{"by": "9999999999wd"}', "366 days"),
            ('{"by": "1h", "seconds": 5}', "not both"),
        )
        for body, says in nonsense:
            with pytest.raises(SandboxError) as refused:
                await bot.client.request(
                    "POST",
                    "/clock/advance",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            assert refused.value.status == 400 and says in refused.value.error, body
        assert (await bot.client.clock())["offset_seconds"] == 0
        # A year at a time, ten years ahead in all; then only a demo reset goes back.
        for _ in range(10):
            await bot.client.advance("366d")
        with pytest.raises(SandboxError) as refused:
            await bot.client.advance("1d")
        assert refused.value.status == 400 and "10 years" in refused.value.error
        assert (await bot.client.clock())["offset_seconds"] == 10 * 366 * 86400


async def test_a_drill_from_dispatch_to_veto_by_clock_alone(db_url: str, tmp_path: Path) -> None:
    settings = sandbox_settings(db_url, time=TIME)
    async with sandbox_running(settings, str(tmp_path / "sandbox.db")) as (bot, _runner):
        people = await cast(bot, LANG, CONTACT, DISPATCHER, DRC, EPB, DRC_HEAD, SUPERVISOR)
        depts = await departments(bot)
        number = await bot.db.run(lambda s: submit(s, bot.deps.rules))
        sent = await people[DISPATCHER].send(f"/dispatch {number} drc")
        await settle(bot, sent)
        slow = (await assignments_of(bot, number))["drc"]
        start = await mark(bot)
        assert (await bot.client.clock())["next_deadline"] == slow.ack_due_at.isoformat(
            timespec="seconds"
        )

        # Past the sign-for deadline: the liaison hears of it right after the call.
        moved = await bot.client.advance("next")
        assert moved["moved_seconds"] > 0
        await wait_text(
            people[DRC],
            LANG,
            "Assignment {number} is not signed for yet (it was due by {due}).",
            number=slow.number,
            due=local(slow.ack_due_at),
            after=start,
        )
        # The two reminders before the deadline, one hour at a time... or "next" straight past it.
        assert (await bot.client.clock())["next_deadline"] == slow.due_at.isoformat(
            timespec="seconds"
        )
        await bot.client.advance("next")
        drc = depts["drc"].name_en
        overdue = ("Assignment {number} ({department}) missed its deadline {due}.",)
        await wait_text(
            people[DRC],
            LANG,
            *overdue,
            number=slow.number,
            department=drc,
            due=local(slow.due_at),
            after=start,
        )
        order = await bot.db.run(lambda s: s.exec(select(SupervisionOrder)).one())
        assert (await bot.client.clock())["next_deadline"] == order.due_at.isoformat(
            timespec="seconds"
        )
        await bot.client.advance("next")
        veto = (
            "Supervision order {order} for assignment {number} ({department}) was not "
            "completed by {due}."
        )
        params = {"order": order.number, "number": slow.number, "department": drc}
        await wait_text(
            people[SUPERVISOR], LANG, veto, after=start, due=local(order.due_at), **params
        )
        await settle(bot)
        supervision = "Supervision order {order} for assignment {number}: complete it by {due}."
        expected = {
            DRC: {"overdue", "supervision", "veto"},
            DRC_HEAD: {"overdue", "supervision", "veto"},
            DISPATCHER: {"overdue", "supervision", "veto"},
            SUPERVISOR: {"overdue", "supervision", "veto"},
            EPB: set(),
            CONTACT: {"enterprise"},
        }
        texts = {
            "overdue": (
                overdue[0],
                {"number": slow.number, "department": drc, "due": local(slow.due_at)},
            ),
            "supervision": (
                supervision,
                {"order": order.number, "number": slow.number, "due": local(order.due_at)},
            ),
            "veto": (veto, {**params, "due": local(order.due_at)}),
            # The enterprise's own words for the same step (tests/e2e/test_deadlines.py).
            "enterprise": (
                "In your case {case}, assignment {number} of {department} was not completed by "
                "its deadline {missed}. {office} has issued supervision order {order}: it must "
                "be completed by {due}.",
                {
                    "case": number,
                    "number": slow.number,
                    "department": drc,
                    "missed": local(slow.due_at),
                    "office": bot.deps.rules.offices.optimization.name_en,
                    "order": order.number,
                    "due": local(order.due_at),
                },
            ),
        }
        for who, wanted in expected.items():
            got = await bot_messages_since(people[who], start)
            for key, (msgid, values) in texts.items():
                count = sum(has(m, LANG, msgid, **values) for m in got)
                assert count == (key in wanted), (who, key, count, [m.body[:60] for m in got])
        # Nothing is open any more: no deadline ahead, and "next" says so.
        assert (await bot.client.clock())["next_deadline"] is None
        with pytest.raises(SandboxError) as refused:
            await bot.client.advance("next")
        assert refused.value.status == 400
        assert_translated(LANG)
