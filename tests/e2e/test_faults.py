"""A fifth of all Bot API calls fail, start-up included: the bot comes up, nothing is lost,
and nobody is told "not completed" about a change that was saved."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, func, select

from bot.app import build_application
from bot.db import Database, upgrade
from bot.i18n import t
from bot.settings import load_settings
from bot.startup import Backoff, Resilience, polling, serve
from models import Case
from sandbox.client import SandboxClient
from sandbox.server import running_in_thread
from services.demo import PERSONAS, seed_demo
from services.org import sync_organisation
from tests.e2e.helpers import GENERIC_ERROR, bot_messages_since, eventually

TOKEN = "1000001:e2e-fault-token"
WANG = 1001
REPORTS = 12
RECEIVED = "Your case {number} has been received. The park's efficiency office will assign it to the departments concerned; you will be told at every step."  # noqa: E501
RECEIVED_START = t("zh", RECEIVED, number="\0").split("\0")[0]  # the words before the number


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_20_percent_fault_rate_loses_nothing_and_never_says_not_completed(
    db_url: str, seed: int
) -> None:
    settings = load_settings(database={"url": db_url})
    upgrade(db_url)
    db = Database(db_url)
    org = settings.organisation
    db.call(sync_organisation, parks=org.parks, departments=org.departments)
    db.call(seed_demo)
    with running_in_thread(fault_rate=0.2, seed=seed) as server:
        app = build_application(settings, token=TOKEN, base_url=server.bot_api_url, db=db)
        app.bot_data["resilience"] = Resilience(backoff=Backoff(0.05, 0.5))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, start_updates=polling(stop), stop=stop))
        client = SandboxClient(server.url)
        try:
            for p in PERSONAS:
                await client.persona(p.telegram_id, p.name, language_code=p.language)
            wang = await client.persona(WANG, "王经理", language_code="zh")
            since = await client.last_seq()
            for n in range(REPORTS):
                await wang.send(f"/report permit 第{n + 1}号：核准文件需要县发改委尽快出具。")

            def cases(session: Session) -> int:
                return session.exec(select(func.count()).select_from(Case)).one()

            async def all_answered() -> bool:
                texts = [m.text for m in await bot_messages_since(wang, since)]
                return sum(RECEIVED_START in text for text in texts) >= REPORTS

            await eventually(all_answered, what="every report answered", within=90)
            assert await db.run(cases) == REPORTS  # each filed once
            texts = [m.text for m in await bot_messages_since(wang, since)]
            assert sum(RECEIVED_START in text for text in texts) == REPORTS  # none twice
            assert not [x for x in texts if t("zh", GENERIC_ERROR) in x]
            assert not task.done()
            assert sum(server.context.faults.injected.values()) > 0
        finally:
            await client.aclose()
            stop.set()
            await asyncio.wait_for(task, 30)
