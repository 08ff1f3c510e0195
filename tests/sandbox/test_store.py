"""The emulator's world written through to its SQLite file and read back (issue 10)."""

from __future__ import annotations

from pathlib import Path

import httpx

from sandbox.server import SandboxServer
from sandbox.state import World, message_view
from sandbox.store import IN_MEMORY, SandboxStore, store_path_for
from tests.sandbox.demo_app import TOKEN

ALICE = 1001


def test_the_store_lives_next_to_the_database() -> None:
    assert store_path_for("sqlite:///data/duban.db") == "data/sandbox.db"
    assert store_path_for("sqlite:////srv/x/demo.db") == "/srv/x/demo.sandbox.db"
    assert store_path_for("sqlite://") == IN_MEMORY
    assert store_path_for("sqlite:///:memory:") == IN_MEMORY
    url = "postgresql+psycopg://duban:pw@127.0.0.1/county"
    assert store_path_for(url) == str(Path("data") / "sandbox-county.db")


async def test_a_restarted_world_has_every_message_edit_answer_and_file(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    server = SandboxServer(port=0, store=SandboxStore(path))
    await server.start()
    server.add_persona(ALICE, "张三", note="企业联系人")
    try:
        async with httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}", trust_env=False) as http:
            sent = await http.post("/sendMessage", json={"chat_id": ALICE, "text": "first"})
            first = sent.json()["result"]["message_id"]
            await http.post(
                "/editMessageText", json={"chat_id": ALICE, "message_id": first, "text": "second"}
            )
            doomed = await http.post("/sendMessage", json={"chat_id": ALICE, "text": "gone"})
            await http.post(
                "/deleteMessage",
                json={"chat_id": ALICE, "message_id": doomed.json()["result"]["message_id"]},
            )
            await http.post(
                "/sendDocument",
                data={"chat_id": str(ALICE)},
                files={"document": ("minutes.txt", b"minutes", "text/plain")},
            )
        server.world.set_clock_offset(7200)
        bot = next(iter(server.world.bots.values()))
        before = [message_view(m) for m in bot.chats[ALICE].messages.values()]
    finally:
        await server.stop()

    world = World(store=SandboxStore(path))
    world.load()
    assert world.personas[ALICE].note == "企业联系人"
    assert world.clock_offset == 7200
    chat = world.primary.chats[ALICE]
    assert [message_view(m) for m in chat.messages.values()] == before
    assert chat.messages[first].data["text"] == "second" and chat.messages[first].edit_count == 1
    assert [m.deleted for m in chat.messages.values()] == [False, True, False]
    (stored,) = world.files.values()
    assert stored.data == b"minutes" and world.files_by_path[stored.file_path] is stored
    # New messages and files continue the numbering instead of reusing it.
    assert chat.add({"chat": {"id": ALICE}, "date": 0}, from_bot=True).message_id == 4
    assert world.store_file(b"more", "document", mime_type="text/plain").file_path != (
        stored.file_path
    )


def test_reset_empties_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    world = World(store=SandboxStore(path))
    world.add_persona(ALICE, "张三")
    world.chat(world.primary, ALICE).add({"chat": {"id": ALICE}, "date": 0}, from_bot=False)
    world.set_clock_offset(60)
    world.reset()
    again = World(store=SandboxStore(path))
    again.load()
    assert again.personas == {} and again.primary.chats == {} and again.clock_offset == 0
