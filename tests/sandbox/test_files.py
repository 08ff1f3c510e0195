"""Photo and document upload, file_id reuse, getFile and download, both directions."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest

from sandbox.client import SandboxClient
from sandbox.media import make_png
from sandbox.server import SandboxServer
from tests.sandbox.conftest import ALICE
from tests.sandbox.demo_app import TOKEN
from tests.sandbox.helpers import assert_ptb_error


async def test_send_photo_get_file_download_round_trip(bot: Bot, client: SandboxClient) -> None:
    png = make_png(30, 20)
    message = await bot.send_photo(ALICE, png, caption="<b>现场</b>照片", parse_mode="HTML")
    photo = message.photo[-1]
    assert (photo.width, photo.height, photo.file_size) == (30, 20, len(png))
    assert message.caption == "现场照片"
    assert message.caption_entities[0].type == "bold"
    tg_file = await bot.get_file(photo.file_id)
    assert tg_file.file_path.endswith(".png")
    assert bytes(await tg_file.download_as_bytearray()) == png
    # Re-sending by file_id reuses the stored file.
    again = await bot.send_photo(ALICE, photo.file_id)
    assert again.photo[-1].file_unique_id == photo.file_unique_id
    user = await client.persona(ALICE, "张三")
    seen = await user.message(message.message_id)
    assert seen.photo["width"] == 30
    assert await client.file_bytes(seen.photo["file_id"]) == png


async def test_send_document(bot: Bot) -> None:
    payload = b"%PDF-1.4 pretend report"
    message = await bot.send_document(ALICE, payload, filename="周报.pdf", caption="本周")
    document = message.document
    assert document.file_name == "周报.pdf"
    assert document.mime_type == "application/pdf"
    assert document.file_size == len(payload)
    assert message.caption == "本周"
    tg_file = await bot.get_file(document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == payload
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type document as photo"):
        await bot.send_photo(ALICE, document.file_id)


async def test_media_errors(bot: Bot) -> None:
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_photo(ALICE, b"definitely not an image")
    assert_ptb_error(excinfo, "Bad Request: IMAGE_PROCESS_FAILED")
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_photo(ALICE, "AgACnonexistent")
    assert_ptb_error(excinfo, "Bad Request: wrong file identifier/HTTP URL specified")
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_document(ALICE, b"x", filename="a.txt", caption="c" * 1025)
    assert_ptb_error(excinfo, "Bad Request: message caption is too long")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_user_uploads_reach_the_bot(bot: Bot, client: SandboxClient) -> None:
    user = await client.persona(ALICE, "张三")
    png = make_png(64, 48, (10, 200, 30))
    sent_photo = await user.send_photo(png, caption="消防通道堵塞")
    sent_doc = await user.send_document(b"col1,col2\n1,2\n", "台账.csv", caption="台账")
    photo_update, doc_update = await bot.get_updates()
    assert photo_update.update_id == sent_photo.update_id
    photo = photo_update.message.photo[-1]
    assert (photo.width, photo.height) == (64, 48)
    assert photo_update.message.caption == "消防通道堵塞"
    assert bytes(await (await photo.get_file()).download_as_bytearray()) == png
    document = doc_update.message.document
    assert document.file_name == "台账.csv"
    assert document.mime_type == "text/csv"
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"col1,col2\n1,2\n"
    assert sent_doc.message.document["file_name"] == "台账.csv"


async def test_download_checks_path_and_token(server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        missing = await http.get(f"/file/bot{TOKEN}/photos/nothing.png")
        assert missing.status_code == 404
        bad_token = await http.get("/file/botnope/photos/nothing.png")
        assert bad_token.status_code == 401


async def test_user_photo_must_be_an_image(client: SandboxClient) -> None:
    from sandbox.client import SandboxError

    user = await client.persona(ALICE, "张三")
    with pytest.raises(SandboxError) as excinfo:
        await user.send_photo(b"not an image")
    assert excinfo.value.status == 400
