"""Joining, /invite and /enterprise in chat: the real application polling the sandbox, zh and en."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from handlers import menu
from models import Department, Enterprise, Invitation, Project, RoleGrant, User
from models.enums import Role
from sandbox.client import SandboxUser
from services import callbacks
from tests.e2e.harness import Running, running_bot
from tests.e2e.helpers import (
    STORY,
    WAIT,
    assert_translated,
    cast,
    command_refused,
    find_button,
    has,
    press_label,
    refused,
    settle,
    tr,
    wait_text,
)
from tests.factories import credit_code

LINK = re.compile(r"https://t\.me/duban_bot\?start=([A-Za-z0-9_-]+)")
STALE = "This button is not valid any more."


def dept_name(lang: str) -> str:
    return "县发改委" if lang == "zh" else "Development & Reform Commission"


async def commands_of(bot: Running, telegram_id: int) -> dict[str, str]:
    """The command menu the persona's Telegram client shows: name -> description."""
    body = await bot.client.request("GET", "/commands", params={"user_id": telegram_id})
    return {c["command"]: c["description"] for c in body["commands"]}


async def invitation_code(user: SandboxUser, text: str, lang: str, role: Role) -> str:
    sent = await user.send(text)
    role_name = tr(lang, ROLE_MSGIDS[role])
    reply = await wait_text(user, lang, "Invitation for a new {role}", role=role_name, after=sent)
    assert "Asia/Shanghai" in reply.body
    match = LINK.search(reply.body)
    assert match, reply.body
    assert f"{tr(lang, 'Code:')} {match.group(1)}" in reply.body
    return match.group(1)


ROLE_MSGIDS = {
    Role.LIAISON: "department liaison",
    Role.ENTERPRISE: "enterprise contact",
    Role.HEAD: "department head",
    Role.PARK_OFFICER: "park efficiency office",
}


async def liaisons_of_drc(bot: Running) -> list[int]:
    def find(session: Session) -> list[int]:
        return list(
            session.exec(
                select(User.telegram_id)
                .join(RoleGrant, col(RoleGrant.user_id) == User.id)
                .join(Department, col(Department.id) == RoleGrant.department_id)
                .where(
                    RoleGrant.role == Role.LIAISON,
                    col(RoleGrant.revoked_at).is_(None),
                    Department.code == "drc",
                )
            ).all()
        )

    return await bot.db.run(find)


async def latest_invitation(bot: Running) -> Invitation:
    def find(session: Session) -> Invitation:
        return session.exec(select(Invitation).order_by(col(Invitation.id).desc())).first()

    return await bot.db.run(find)


@STORY
async def test_a_liaison_takes_over_after_confirming(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 9001, 3002, 3101)
        admin, old, head = people[9001], people[3002], people[3101]
        newcomer = await bot.client.persona(7001, "Newcomer", language_code=lang)
        code = await invitation_code(admin, "/invite liaison drc", lang, Role.LIAISON)

        # Asked first; nothing changes before the answer.
        sent = await newcomer.send(f"/start {code}")
        question = await wait_text(
            newcomer,
            lang,
            "{department} already has a liaison: {current}. A department has exactly one "
            "liaison. Do you want to take over? {current} will be told, and the department's "
            "open assignments stay with the department.",
            department=dept_name(lang),
            current="孙联络员",
            after=sent,
        )
        assert find_button(question, tr(lang, "Confirm")) == callbacks.join("y", code)
        pressed = await press_label(newcomer, question, tr(lang, "Cancel"))
        invitation = await latest_invitation(bot)
        expires = invitation.expires_at.astimezone(bot.deps.settings.time.zone)
        await newcomer.wait_for_edit(
            question,
            lambda m: has(
                m,
                lang,
                "Cancelled. Nothing was changed. The code stays valid until {time}; send "
                "/start {code} if you change your mind.",
                time=f"{expires:%Y-%m-%d %H:%M}",
                code=code,
            ),
            after=pressed,
        )
        await settle(bot, sent, pressed)
        assert await liaisons_of_drc(bot) == [3002]
        assert (await latest_invitation(bot)).used_at is None

        # Forged confirmations: refused politely, nothing changes.
        forged = await newcomer.press_raw(question.message_id, "j:y:not-the-real-code-123")
        await refused(
            newcomer,
            forged,
            lang,
            "This invitation code is not valid. Ask the office that invited you.",
        )
        garbage = await newcomer.press_raw(question.message_id, "j:x")
        await refused(newcomer, garbage, lang, STALE)
        await settle(bot, forged, garbage)
        assert await liaisons_of_drc(bot) == [3002]

        # The code is still good: ask again and confirm.
        sent = await newcomer.send(f"/start {code}")
        question = await newcomer.wait_for_bot_message(
            lambda m: bool(m.buttons), after=sent, timeout=WAIT
        )
        pressed = await press_label(newcomer, question, tr(lang, "Confirm"))
        role = tr(lang, "department liaison")
        await newcomer.wait_for_edit(
            question,
            lambda m: has(m, lang, "Welcome! You are now registered as {role}.", role=role),
            after=pressed,
        )
        await settle(bot, sent, pressed)
        assert await liaisons_of_drc(bot) == [7001]
        await wait_text(
            old,
            lang,
            "{new} has taken over as liaison of {department}. Your liaison role there has "
            "ended; the department's open assignments stay with the department and its new "
            "liaison.",
            new="Newcomer",
            department=dept_name(lang),
        )
        await wait_text(
            head,
            lang,
            "{new} is now the liaison of {department}, replacing {old}.",
            new="Newcomer",
            department=dept_name(lang),
            old="孙联络员",
        )

        # Menus: the new liaison gets the liaison's commands, the old one loses them.
        mine = await commands_of(bot, 7001)
        assert mine["ack"] == tr(lang, "Sign for an assignment: /ack <number>")
        assert "tasks" in mine and "report" not in mine
        theirs = await commands_of(bot, 3002)
        assert "ack" not in theirs and "tasks" not in theirs and "start" in theirs

        # A used code is refused.
        await command_refused(
            newcomer, f"/start {code}", lang, "This invitation code has already been used."
        )
        assert_translated(lang)


@STORY
async def test_the_guided_registration_of_a_park_officer(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 2001)
        officer = people[2001]
        name, code = "新材料有限公司", credit_code(11)

        sent = await officer.send("/enterprise")
        await wait_text(
            officer,
            lang,
            "Registering a new enterprise. Send its full registered name.",
            after=sent,
        )
        sent = await officer.send(name)
        ask_code = "Send the unified social credit code (18 characters) of {name}."
        await wait_text(officer, lang, ask_code, name=name, after=sent)

        # A typo in the code: the reason, then the same question again.
        typo = code[:-1] + ("0" if code[-1] != "0" else "1")
        sent = await officer.send(typo)
        reply = await wait_text(officer, lang, ask_code, name=name, after=sent)
        assert has(
            reply,
            lang,
            "The check character of {code} is wrong; please check the code for a typo.",
            code=typo,
        )

        sent = await officer.send(code)
        park = (
            "江华经济技术开发区"
            if lang == "zh"
            else ("Jianghua Economic & Technological Development Zone")
        )
        reply = await wait_text(officer, lang, "Park: {park}", park=park, after=sent)
        assert has(
            reply,
            lang,
            "Send the name of a project of {name}, or press Finish to register the enterprise "
            "without projects.",
            name=name,
        )
        sent = await officer.send("一期工程")
        ask_amount = (
            "How much does {project} invest, in yuan? For example 8000万, 1.2亿 or 120000000."
        )
        await wait_text(officer, lang, ask_amount, project="一期工程", after=sent)
        sent = await officer.send("很多")
        reply = await wait_text(officer, lang, ask_amount, project="一期工程", after=sent)
        assert reply.body.startswith("⚠️")

        sent = await officer.send("1.2亿")
        key = await wait_text(
            officer,
            lang,
            "{project} is a major project (investment of {amount} or more): a named "
            "efficiency head follows it end to end.",
            project="一期工程",
            amount="1亿元" if lang == "zh" else "100,000,000 yuan",
            after=sent,
        )
        pressed = await press_label(officer, key, tr(lang, "Yes"))
        heads = await officer.wait_for_edit(key, lambda m: bool(m.buttons), after=pressed)
        assert [label for label, _ in heads.buttons][:2] == ["赵科长", "黄部长"]
        pressed = await press_label(officer, heads, "黄部长")
        more = await officer.wait_for_edit(
            heads, lambda m: has(m, lang, "Project added:"), after=pressed
        )
        pressed = await press_label(officer, more, tr(lang, "Finish"))
        summary = await officer.wait_for_edit(
            more, lambda m: has(m, lang, "Enterprise registered"), after=pressed
        )
        for line in (
            tr(lang, "Name: {name}", name=name),
            tr(lang, "Credit code: {code}", code=code),
            tr(lang, "Park: {park}", park=park),
            tr(lang, "efficiency head: {name}", name="黄部长"),
            tr(lang, "major project"),
            tr(lang, "key project"),
            "1.2亿元" if lang == "zh" else "120,000,000 yuan",
        ):
            assert line in summary.body, (line, summary.body)

        pressed = await press_label(officer, summary, tr(lang, "Invite the enterprise contact"))
        invite = await wait_text(
            officer,
            lang,
            "Invitation for a new {role}",
            role=tr(lang, "enterprise contact"),
            after=pressed,
        )
        assert tr(lang, "Unit: {scope}", scope=name) in invite.body
        contact_code = LINK.search(invite.body)
        assert contact_code

        def stored(session: Session) -> tuple[Enterprise, list[Project], int]:
            enterprise = session.exec(
                select(Enterprise).where(Enterprise.credit_code == code)
            ).one()
            projects = session.exec(
                select(Project).where(Project.enterprise_id == enterprise.id)
            ).all()
            head_id = session.exec(select(User.id).where(User.telegram_id == 4002)).one()
            return enterprise, list(projects), head_id

        enterprise, projects, head_id = await bot.db.run(stored)
        assert enterprise.name == name
        assert [
            (p.name, p.investment_yuan, p.is_key, p.efficiency_head_user_id) for p in projects
        ] == [("一期工程", 120_000_000, True, head_id)]

        # The contact joins with the code from the button.
        contact = await bot.client.persona(7002, "Contact", language_code=lang)
        sent = await contact.send(f"/start {contact_code.group(1)}")
        await wait_text(
            contact,
            lang,
            "Welcome! You are now registered as {role}.",
            role=tr(lang, "enterprise contact"),
            after=sent,
        )
        await settle(bot, sent)
        assert "report" in await commands_of(bot, 7002)

        # Forged and stale registration buttons change nothing.
        for data, msgid, params in (
            ("e:p:1", "No registration is in progress. Send /enterprise to start one.", {}),
            ("e:zz", STALE, {}),
            ("e:i:abc", STALE, {}),
            ("e:i:99999", "There is no enterprise with id {id}.", {"id": 99999}),
            ("e:" + "9" * 61, STALE, {}),
        ):
            forged = await officer.press_raw(summary.message_id, data)
            await refused(officer, forged, lang, msgid, **params)
        await settle(bot)
        assert len((await bot.db.run(stored))[1]) == 1
        assert_translated(lang)


@STORY
async def test_one_go_registration_and_refusals(db_url: str, lang: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, lang, 2002, 2001, 1001)
        dispatcher, officer, contact = people[2002], people[2001], people[1001]
        code = credit_code(21)
        sent = await dispatcher.send(f"/enterprise 码市 新企业 {code} MS")
        park = "码市工业园区" if lang == "zh" else "Mashi Industrial Park"
        summary = await wait_text(dispatcher, lang, "Enterprise registered", after=sent)
        assert tr(lang, "Name: {name}", name="码市 新企业") in summary.body
        assert tr(lang, "Park: {park}", park=park) in summary.body
        assert tr(lang, "No projects registered yet.") in summary.body

        park_en, park_zh = "Mashi Industrial Park", "码市工业园区"
        await command_refused(
            officer,
            f"/enterprise 另一家 {code}",
            lang,
            "The credit code {code} is already registered: {name}, {park_en}.",
            code=code,
            name="码市 新企业",
            park_en=park_en,
            park_zh=park_zh,
        )
        await command_refused(
            officer,
            f"/enterprise 别处企业 {credit_code(22)} MS",
            lang,
            "You may only register enterprises in your own park.",
        )
        # An enterprise contact is told these commands are not theirs.
        for text in ("/enterprise", "/invite enterprise x"):
            sent = await contact.send(text)
            reply = await contact.wait_for_bot_message(after=sent)
            command = text.split()[0].removeprefix("/")
            head = "⚠️ " + tr(lang, menu.NOT_YOURS, command=command)
            assert reply.body.split("\n")[0] == head, reply.body
        await command_refused(
            officer,
            "/invite liaison drc",
            lang,
            "Your roles do not allow inviting a {role}.",
            role="liaison",
        )
        await command_refused(
            dispatcher,
            "/invite supervisor",
            lang,
            "Your roles do not allow inviting a {role}.",
            role="supervisor",
        )
        await command_refused(
            dispatcher,
            "/invite head",
            lang,
            "Which department? Send /invite {role} <department code>.",
            role="head",
        )
        sent = await officer.send("/invite")
        usage = await wait_text(
            officer, lang, "Usage: /invite <role> [unit]. You may invite:", after=sent
        )
        expected = (
            f"/invite enterprise {tr(lang, '<credit code>')} — {tr(lang, 'enterprise contact')}"
        )
        assert expected in usage.body
        assert "/invite liaison" not in usage.body

        # Dispatchers invite park officers by park name as well as code.
        await invitation_code(
            dispatcher, "/invite park_officer 河路口工业园区", lang, Role.PARK_OFFICER
        )
        assert_translated(lang)


async def test_lang_republishes_the_menu_in_the_new_language(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        people = await cast(bot, "en", 3002)
        liaison = people[3002]
        menu = await commands_of(bot, 3002)
        assert menu["ack"] == "Sign for an assignment: /ack <number>"
        sent = await liaison.send("/lang zh")
        await wait_text(liaison, "zh", "Language set to English.", after=sent)
        await settle(bot, sent)
        menu = await commands_of(bot, 3002)
        assert menu["ack"] == tr("zh", "Sign for an assignment: /ack <number>")
        assert "report" not in menu
